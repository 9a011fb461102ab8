package io.offlinesync.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.jspecify.annotations.Nullable;

import io.offlinesync.Operation;
import io.offlinesync.OperationFilter;
import io.offlinesync.OperationNotFoundException;
import io.offlinesync.OperationStateException;
import io.offlinesync.OperationStatus;
import io.offlinesync.OutboxStats;

/**
 * Durable storage of operations and their state changes. The {@link io.offlinesync.Outbox} is its only intended
 * caller; applications use the outbox.
 *
 * <p>Implementations are thread-safe. Every method is atomic: it either makes its whole change durable before it
 * returns, or throws and changes nothing. State changes are guarded by the rules of {@link Transitions}; a refused
 * change throws {@link OperationStateException} and leaves the store as it was. Arguments are never
 * {@literal null}.
 *
 * @since 0.1.0
 */
public interface OutboxStore extends AutoCloseable {

	/**
	 * Store new operations, all or none, durably before returning.
	 * @param operations operations with ids not stored yet
	 * @throws io.offlinesync.StoreException if they could not be made durable; none of them is then stored
	 * @throws IllegalArgumentException if an id is already stored or repeated; nothing is stored
	 */
	void insert(List<Operation> operations);

	/**
	 * Look an operation up.
	 * @param id the id
	 * @return the operation, or empty
	 */
	Optional<Operation> find(String id);

	/**
	 * List operations with the given statuses in id (enqueue) order.
	 * @param statuses the statuses to include; empty means all
	 * @param afterId only ids after this one, or {@literal null} to start at the beginning
	 * @param limit the most to return; at least 1
	 * @return the operations
	 */
	List<Operation> list(Set<OperationStatus> statuses, @Nullable String afterId, int limit);

	/**
	 * Claim up to {@code limit} operations that are due at {@code now} and have not expired: the highest priority
	 * first, oldest first within a priority, except that one claimed operation in {@value OldestShare#EVERY} is the
	 * oldest due one whatever its priority ({@link OldestShare}). An operation with an ordering key is only
	 * claimable while no earlier operation with the same key is active, so at most one per key is returned, and
	 * never one ahead of an earlier one of its key. Each claimed operation is {@link OperationStatus#IN_FLIGHT} with
	 * a fresh claim token and one more attempt.
	 * @param now the current time
	 * @param limit the most to claim; at least 1
	 * @return the claimed operations, the highest priority first, oldest first within a priority
	 */
	List<Operation> claimReady(Instant now, int limit);

	/**
	 * Claim one operation.
	 * @param id the id
	 * @param now the current time
	 * @return the claimed operation
	 * @throws OperationNotFoundException if no such operation is stored
	 * @throws OperationStateException if it is not due, not claimable, or waits behind an earlier operation with
	 * its ordering key
	 */
	Operation claim(String id, Instant now);

	/**
	 * Mark a claimed operation delivered.
	 * @param id the id
	 * @param claimToken the token of the caller's claim
	 * @param now the current time
	 * @return the operation, now {@link OperationStatus#DONE}
	 * @throws OperationStateException if the caller does not hold the current claim
	 */
	Operation complete(String id, @Nullable String claimToken, Instant now);

	/**
	 * Mark many claimed operations delivered, as {@link #complete} would one by one, but in as few durable writes as
	 * the store can: a completion whose claim is no longer current is left out, and does not stop the others.
	 * @param claimed the operations as their claims returned them (id and claim token)
	 * @param now the current time
	 * @return the operations now {@link OperationStatus#DONE}, in the order given
	 * @throws io.offlinesync.StoreException if the changes could not be made durable; none of them is then made
	 */
	default List<Operation> completeAll(List<Operation> claimed, Instant now) {
		List<Operation> completed = new ArrayList<>(claimed.size());
		for (Operation operation : claimed) {
			try {
				completed.add(complete(operation.id(), operation.claimToken(), now));
			}
			catch (OperationStateException ex) {
				// Its claim ended (requeued after the in-flight timeout); the others still count.
			}
		}
		return completed;
	}

	/**
	 * Record a failed attempt of a claimed operation.
	 * @param id the id
	 * @param claimToken the token of the caller's claim
	 * @param error what went wrong
	 * @param retryAt when to try again, or {@literal null} to park the operation as
	 * {@link OperationStatus#PERMANENTLY_FAILED}
	 * @param now the current time
	 * @return the operation, now {@link OperationStatus#FAILED} or {@link OperationStatus#PERMANENTLY_FAILED}
	 * @throws OperationStateException if the caller does not hold the current claim
	 */
	Operation fail(String id, @Nullable String claimToken, String error, @Nullable Instant retryAt, Instant now);

	/**
	 * Give a claimed operation back without an attempt having been made: the attempt the claim counted is taken
	 * back and the operation is due at once.
	 * @param id the id
	 * @param claimToken the token of the caller's claim
	 * @param now the current time
	 * @return the operation, claimable again
	 * @throws OperationStateException if the caller does not hold the current claim
	 */
	Operation release(String id, @Nullable String claimToken, Instant now);

	/**
	 * Requeue operations claimed at or before {@code claimedBefore} whose claim holder never reported back (it
	 * crashed, or its send hung). Each becomes due at once, or is parked if it has used all its attempts.
	 * @param claimedBefore claims at or before this time are stale
	 * @param maxAttempts attempts allowed in all
	 * @param now the current time
	 * @return how many were requeued or parked
	 */
	int requeueStale(Instant claimedBefore, int maxAttempts, Instant now);

	/**
	 * Operator action: make a parked or failed operation pending again, with its attempts reset.
	 * @param id the id
	 * @param now the current time
	 * @return the operation, now {@link OperationStatus#PENDING}
	 * @throws OperationStateException if it is pending, in flight or done
	 */
	Operation retry(String id, Instant now);

	/**
	 * Operator action: remove an operation that is not in flight.
	 * @param id the id
	 * @return the removed operation
	 * @throws OperationStateException if it is in flight
	 */
	Operation discard(String id);

	/**
	 * Operator action on many operations: {@link #retry} each operation the filter selects, oldest first, up to its
	 * limit. An operation whose status does not allow a retry is left as it is and not counted. This default retries
	 * them one by one; stores override it to do it in one write.
	 * @param filter which operations
	 * @param now the current time
	 * @return how many were retried
	 * @since 0.1.0
	 */
	default int retryMatching(OperationFilter filter, Instant now) {
		int retried = 0;
		for (Operation operation : selectMatching(filter)) {
			try {
				retry(operation.id(), now);
				retried++;
			}
			catch (OperationStateException ex) {
				// Changed since it was selected: not this action's to touch any more.
			}
		}
		return retried;
	}

	/**
	 * Operator action on many operations: {@link #discard} each operation the filter selects, oldest first, up to its
	 * limit; one in flight is left and not counted. This default discards them one by one; stores override it to do
	 * it in one write.
	 * @param filter which operations
	 * @return how many were discarded
	 * @since 0.1.0
	 */
	default int discardMatching(OperationFilter filter) {
		int discarded = 0;
		for (Operation operation : selectMatching(filter)) {
			try {
				discard(operation.id());
				discarded++;
			}
			catch (OperationStateException ex) {
				// Changed since it was selected: not this action's to touch any more.
			}
		}
		return discarded;
	}

	/**
	 * Count the operations a bulk action with this filter would select (a dry run), up to its limit.
	 * @param filter which operations
	 * @return how many, at most the filter's limit
	 * @since 0.1.0
	 */
	default int countMatching(OperationFilter filter) {
		return selectMatching(filter).size();
	}

	private List<Operation> selectMatching(OperationFilter filter) {
		return Selection.matching(filter, (after, limit) -> list(filter.statuses(), after, limit));
	}

	/**
	 * Remove delivered and expired operations last updated at or before the cutoff.
	 * @param updatedBefore the cutoff
	 * @return how many were removed
	 */
	int purgeDone(Instant updatedBefore);

	/**
	 * Expire operations waiting to be claimed whose expiry has passed: each becomes
	 * {@link OperationStatus#EXPIRED} and is never sent again. An operation in flight is left to finish its send.
	 * The stores of this project find them through an index, without reading the others; a store without expiry
	 * support (this default) never expires anything, and claims such operations like any other.
	 * @param now the current time
	 * @param limit the most to expire in one call; at least 1
	 * @return the operations expired, as they are now but for their payloads, which are left out (empty): expired
	 * operations are counted and logged, never sent
	 * @since 0.1.0
	 */
	default List<Operation> expire(Instant now, int limit) {
		return List.of();
	}

	/**
	 * Count what is stored.
	 * @return the counts and the oldest active operation
	 */
	OutboxStats stats();

	/**
	 * The operations this store could not read back at run time and set aside (a record damaged on disk after the
	 * store opened), so that the others keep flowing. Stores that read nothing back at run time have none.
	 * @return the quarantined operations, oldest first
	 * @since 0.1.0
	 */
	default List<QuarantinedOperation> quarantined() {
		return List.of();
	}

	/**
	 * Run an action once the changes the calling thread has just made are committed. A store whose methods commit
	 * before they return runs it at once, which is what this default does; a store whose writes join a transaction
	 * of the caller runs it after that transaction commits, and never if it rolls back.
	 * @param action what to run
	 */
	default void afterCommit(Runnable action) {
		action.run();
	}

	/**
	 * Release the store's resources. Further calls fail.
	 */
	@Override
	void close();

}
