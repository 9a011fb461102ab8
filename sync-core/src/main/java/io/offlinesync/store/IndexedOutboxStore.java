package io.offlinesync.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

import io.offlinesync.Operation;
import io.offlinesync.OperationNotFoundException;
import io.offlinesync.OperationStatus;
import io.offlinesync.OutboxStats;
import io.offlinesync.StoreException;

/**
 * Base of the stores that keep every operation's state in an {@link OperationIndex} and persist each change before
 * applying it: data first, memory after, so that a failed write leaves the in-memory view equal to what is stored.
 * Subclasses only persist.
 *
 * @since 0.1.0
 */
public abstract class IndexedOutboxStore implements OutboxStore {

	private final OperationIndex index = new OperationIndex();

	private boolean closed;

	/**
	 * Make changes durable. Called with the store's monitor held, before the changes become visible.
	 * @param upserts operations to add or replace, in order
	 * @param removals ids to remove
	 * @throws StoreException if they could not be made durable; the subclass must then have no partial change
	 * visible after a reopen other than one its recovery drops
	 */
	protected abstract void persist(List<Operation> upserts, List<String> removals);

	/**
	 * Called after a persisted change has been applied to the index, with the store's monitor held: the place for
	 * housekeeping that must see the new state, such as compaction. Must not throw.
	 */
	protected void afterChange() {
	}

	/**
	 * Release the subclass's resources; called once, with the store's monitor held.
	 */
	protected void onClose() {
	}

	/**
	 * The index, for subclasses that load state on open (with the monitor held).
	 * @return the index
	 */
	protected final OperationIndex index() {
		return this.index;
	}

	@Override
	public synchronized void insert(List<Operation> operations) {
		requireOpen();
		Set<String> ids = new HashSet<>();
		for (Operation operation : operations) {
			if (!ids.add(operation.id()) || this.index.get(operation.id()) != null) {
				throw new IllegalArgumentException("Operation id '" + operation.id() + "' is already stored");
			}
		}
		if (operations.isEmpty()) {
			return;
		}
		persist(operations, List.of());
		operations.forEach(this.index::put);
		afterChange();
	}

	@Override
	public synchronized Optional<Operation> find(String id) {
		requireOpen();
		return Optional.ofNullable(this.index.get(id));
	}

	@Override
	public synchronized List<Operation> list(Set<OperationStatus> statuses, String afterId, int limit) {
		requireOpen();
		requirePositive(limit);
		return this.index.list(statuses, afterId, limit);
	}

	@Override
	public synchronized List<Operation> claimReady(Instant now, int limit) {
		requireOpen();
		requirePositive(limit);
		List<Operation> claimed = new ArrayList<>();
		for (Operation candidate : this.index.dueCandidates(now, limit)) {
			claimed.add(Transitions.claim(candidate, null, Transitions.newClaimToken(), now));
		}
		apply(claimed);
		return claimed;
	}

	@Override
	public synchronized Operation claim(String id, Instant now) {
		return change(id, (operation) -> Transitions.claim(operation, this.index.earlierWithSameKey(operation),
				Transitions.newClaimToken(), now));
	}

	@Override
	public synchronized Operation complete(String id, String claimToken, Instant now) {
		return change(id, (operation) -> Transitions.complete(operation, claimToken, now));
	}

	@Override
	public synchronized Operation fail(String id, String claimToken, String error, Instant retryAt, Instant now) {
		return change(id, (operation) -> Transitions.fail(operation, claimToken, error, retryAt, now));
	}

	@Override
	public synchronized Operation release(String id, String claimToken, Instant now) {
		return change(id, (operation) -> Transitions.release(operation, claimToken, now));
	}

	@Override
	public synchronized int requeueStale(Instant claimedBefore, int maxAttempts, Instant now) {
		requireOpen();
		List<Operation> requeued = new ArrayList<>();
		for (Operation stale : this.index.inFlightClaimedBefore(claimedBefore)) {
			requeued.add(Transitions.requeueStale(stale, maxAttempts, now));
		}
		apply(requeued);
		return requeued.size();
	}

	@Override
	public synchronized Operation retry(String id, Instant now) {
		return change(id, (operation) -> Transitions.retry(operation, now));
	}

	@Override
	public synchronized Operation discard(String id) {
		requireOpen();
		Operation operation = require(id);
		Transitions.requireDiscardable(operation);
		persist(List.of(), List.of(id));
		this.index.remove(id);
		afterChange();
		return operation;
	}

	@Override
	public synchronized int purgeDone(Instant updatedBefore) {
		requireOpen();
		List<String> ids = this.index.doneBefore(updatedBefore).stream().map(Operation::id).toList();
		if (!ids.isEmpty()) {
			persist(List.of(), ids);
			ids.forEach(this.index::remove);
			afterChange();
		}
		return ids.size();
	}

	@Override
	public synchronized OutboxStats stats() {
		requireOpen();
		return this.index.stats();
	}

	@Override
	public synchronized void close() {
		if (!this.closed) {
			this.closed = true;
			onClose();
		}
	}

	/**
	 * @return whether {@link #close()} was called
	 */
	protected final synchronized boolean isClosed() {
		return this.closed;
	}

	private Operation change(String id, UnaryOperator<Operation> transition) {
		requireOpen();
		Operation changed = transition.apply(require(id));
		apply(List.of(changed));
		return changed;
	}

	private void apply(List<Operation> changed) {
		if (!changed.isEmpty()) {
			persist(changed, List.of());
			changed.forEach(this.index::put);
			afterChange();
		}
	}

	private Operation require(String id) {
		Operation operation = this.index.get(id);
		if (operation == null) {
			throw new OperationNotFoundException(id);
		}
		return operation;
	}

	private void requireOpen() {
		if (this.closed) {
			throw new StoreException("The outbox store " + this + " is closed");
		}
	}

	private static void requirePositive(int limit) {
		if (limit < 1) {
			throw new IllegalArgumentException("'limit' must be at least 1 but was " + limit);
		}
	}

}
