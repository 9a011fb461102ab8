package io.offlinesync.store;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

import org.jspecify.annotations.Nullable;

import io.offlinesync.Operation;
import io.offlinesync.OperationStateException;
import io.offlinesync.OperationStatus;

/**
 * The guarded state changes of an operation, shared by every store so that all of them refuse the same things with
 * the same messages. Each method checks its guard, then returns the changed copy; it never touches storage.
 *
 * @since 0.1.0
 */
public final class Transitions {

	/** The error recorded on an operation whose claim went stale. */
	public static final String STALE_CLAIM_ERROR = "requeued after in-flight timeout";

	/** The error recorded on an operation whose claimer is known to have ended (the store was reopened). */
	public static final String ABANDONED_CLAIM_ERROR = "requeued after a restart: the process that claimed it had ended";

	private Transitions() {
	}

	/**
	 * A fresh, unguessable claim token.
	 * @return the token
	 */
	public static String newClaimToken() {
		return UUID.randomUUID().toString();
	}

	/**
	 * Whether an operation's expiry has passed.
	 * @param operation the operation
	 * @param now the current time
	 * @return whether it has an expiry at or before {@code now}
	 */
	public static boolean hasExpired(Operation operation, Instant now) {
		return operation.expiresAt() != null && !operation.expiresAt().isAfter(now);
	}

	/**
	 * Expire an operation that was not delivered in time: it is never sent again.
	 * @param operation the current state
	 * @param now the current time
	 * @return the expired copy
	 * @throws OperationStateException if it is not waiting to be claimed (a send under way finishes), or has not
	 * expired
	 */
	public static Operation expire(Operation operation, Instant now) {
		if (!operation.status().isClaimable() || !hasExpired(operation, now)) {
			throw new OperationStateException("Operation '" + operation.id() + "' cannot expire: its status is "
					+ operation.status() + " and it expires at " + operation.expiresAt() + " (now is " + now
					+ "); only PENDING or FAILED operations whose expiry has passed can");
		}
		return operation.toBuilder().status(OperationStatus.EXPIRED).updatedAt(now).build();
	}

	/**
	 * Claim an operation.
	 * @param operation the current state
	 * @param earlierWithSameKey the id of an earlier active operation with the same ordering key, or {@literal null}
	 * @param claimToken the token of the new claim
	 * @param now the current time
	 * @return the claimed copy
	 * @throws OperationStateException if the operation is not claimable, not due, or must wait for an earlier one
	 */
	public static Operation claim(Operation operation, @Nullable String earlierWithSameKey, String claimToken, Instant now) {
		if (!operation.status().isClaimable()) {
			throw new OperationStateException("Operation '" + operation.id() + "' cannot be claimed: its status is "
					+ operation.status() + ", and only PENDING or FAILED operations can be claimed");
		}
		if (operation.nextAttemptAt().isAfter(now)) {
			throw new OperationStateException("Operation '" + operation.id() + "' cannot be claimed: it is not due until "
					+ operation.nextAttemptAt() + " (now is " + now + ")");
		}
		if (hasExpired(operation, now)) {
			throw new OperationStateException("Operation '" + operation.id() + "' cannot be claimed: it expired at "
					+ operation.expiresAt() + " (now is " + now + ")");
		}
		if (earlierWithSameKey != null) {
			throw new OperationStateException("Operation '" + operation.id() + "' cannot be claimed: operation '"
					+ earlierWithSameKey + "' with the same ordering key '" + operation.orderingKey()
					+ "' must be delivered first");
		}
		return operation.toBuilder()
			.status(OperationStatus.IN_FLIGHT)
			.claimToken(claimToken)
			.attempt(operation.attempt() + 1)
			.updatedAt(now)
			.build();
	}

	/**
	 * Mark a claimed operation delivered.
	 * @param operation the current state
	 * @param claimToken the caller's claim token
	 * @param now the current time
	 * @return the done copy
	 */
	public static Operation complete(Operation operation, @Nullable String claimToken, Instant now) {
		requireClaim(operation, claimToken, "complete");
		return operation.toBuilder()
			.status(OperationStatus.DONE)
			.claimToken(null)
			.lastError(null)
			.updatedAt(now)
			.build();
	}

	/**
	 * Record a failed attempt.
	 * @param operation the current state
	 * @param claimToken the caller's claim token
	 * @param error what went wrong
	 * @param retryAt when to retry, or {@literal null} to park
	 * @param now the current time
	 * @return the failed or parked copy
	 */
	public static Operation fail(Operation operation, @Nullable String claimToken, String error,
			@Nullable Instant retryAt, Instant now) {
		requireClaim(operation, claimToken, "fail");
		Operation.Builder failed = operation.toBuilder().claimToken(null).lastError(error).updatedAt(now);
		if (retryAt == null) {
			return failed.status(OperationStatus.PERMANENTLY_FAILED).build();
		}
		return failed.status(OperationStatus.FAILED).nextAttemptAt(retryAt).build();
	}

	/**
	 * Give a claim back without an attempt.
	 * @param operation the current state
	 * @param claimToken the caller's claim token
	 * @param now the current time
	 * @return the claimable copy, due at {@code now}
	 */
	public static Operation release(Operation operation, @Nullable String claimToken, Instant now) {
		requireClaim(operation, claimToken, "release");
		int attempt = Math.max(0, operation.attempt() - 1);
		return operation.toBuilder()
			.status((attempt == 0) ? OperationStatus.PENDING : OperationStatus.FAILED)
			.claimToken(null)
			.attempt(attempt)
			.nextAttemptAt(now)
			.updatedAt(now)
			.build();
	}

	/**
	 * Requeue an operation whose claim went stale. The attempt the claim counted stays counted.
	 * @param operation the current state, in flight
	 * @param maxAttempts attempts allowed in all
	 * @param now the current time
	 * @return the copy, due at once, or parked if no attempt is left
	 */
	public static Operation requeueStale(Operation operation, int maxAttempts, Instant now) {
		return requeue(operation, maxAttempts, now, STALE_CLAIM_ERROR);
	}

	/**
	 * Requeue an operation whose claimer is known to have ended, such as one a store found in flight when it was
	 * opened under an exclusive lock: at once, without waiting for the in-flight timeout. The attempt the claim
	 * counted stays counted.
	 * @param operation the current state, in flight
	 * @param maxAttempts attempts allowed in all
	 * @param now the current time
	 * @return the copy, due at once, or parked if no attempt is left
	 */
	public static Operation requeueAbandoned(Operation operation, int maxAttempts, Instant now) {
		return requeue(operation, maxAttempts, now, ABANDONED_CLAIM_ERROR);
	}

	private static Operation requeue(Operation operation, int maxAttempts, Instant now, String error) {
		if (operation.status() != OperationStatus.IN_FLIGHT) {
			throw new OperationStateException("Operation '" + operation.id() + "' cannot be requeued: its status is "
					+ operation.status() + ", not IN_FLIGHT");
		}
		Operation.Builder requeued = operation.toBuilder()
			.claimToken(null)
			.lastError(error)
			.nextAttemptAt(now)
			.updatedAt(now);
		boolean exhausted = operation.attempt() >= maxAttempts;
		return requeued.status(exhausted ? OperationStatus.PERMANENTLY_FAILED : OperationStatus.FAILED).build();
	}

	/**
	 * Operator retry of a parked or failed operation.
	 * @param operation the current state
	 * @param now the current time
	 * @return the pending copy, attempts reset, due at once
	 */
	public static Operation retry(Operation operation, Instant now) {
		if (operation.status() != OperationStatus.PERMANENTLY_FAILED && operation.status() != OperationStatus.FAILED) {
			throw new OperationStateException("Operation '" + operation.id() + "' cannot be retried: its status is "
					+ operation.status() + ", and only PERMANENTLY_FAILED or FAILED operations can be retried");
		}
		return operation.toBuilder()
			.status(OperationStatus.PENDING)
			.attempt(0)
			.lastError(null)
			.nextAttemptAt(now)
			.updatedAt(now)
			.build();
	}

	/**
	 * Check that an operation may be discarded.
	 * @param operation the current state
	 */
	public static void requireDiscardable(Operation operation) {
		if (operation.status() == OperationStatus.IN_FLIGHT) {
			throw new OperationStateException("Operation '" + operation.id()
					+ "' cannot be discarded while it is IN_FLIGHT; wait until its attempt ends");
		}
	}

	/**
	 * Whether a caller with this token holds the current claim of an operation: the check every completion, failure
	 * and release makes, for callers that skip an operation instead of refusing it.
	 * @param operation the current state, or {@literal null} if it is gone
	 * @param claimToken the caller's claim token
	 * @return whether it is in flight under that token
	 */
	public static boolean holdsClaim(@Nullable Operation operation, @Nullable String claimToken) {
		return operation != null && operation.status() == OperationStatus.IN_FLIGHT
				&& Objects.equals(operation.claimToken(), claimToken);
	}

	private static void requireClaim(Operation operation, @Nullable String claimToken, String action) {
		if (operation.status() != OperationStatus.IN_FLIGHT) {
			throw new OperationStateException("Cannot " + action + " operation '" + operation.id()
					+ "': it is not in flight (status " + operation.status() + "), so the caller's claim has ended");
		}
		if (!Objects.equals(operation.claimToken(), claimToken)) {
			throw new OperationStateException("Cannot " + action + " operation '" + operation.id()
					+ "': the caller's claim is no longer current (it was requeued and claimed again)");
		}
	}

}
