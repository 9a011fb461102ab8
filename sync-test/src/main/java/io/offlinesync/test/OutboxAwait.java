package io.offlinesync.test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;

/**
 * Waits, up to a timeout, until operations reach a state, for tests with the engine running in the background. On a
 * timeout the failure says, for every operation still short of it, its status, attempts, last error and next attempt.
 *
 * <pre class="code">
 * Operation note = notes.add("buy milk");
 * OutboxAwait.on(outbox).untilDelivered(note);
 * </pre>
 *
 * @since 0.1.0
 */
public final class OutboxAwait {

	/** The timeout unless another is set. */
	public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

	private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

	private final Outbox outbox;

	private final Duration timeout;

	private OutboxAwait(Outbox outbox, Duration timeout) {
		this.outbox = outbox;
		this.timeout = timeout;
	}

	/**
	 * @param outbox the outbox to watch
	 * @return a waiter with the default timeout
	 */
	public static OutboxAwait on(Outbox outbox) {
		return new OutboxAwait(Objects.requireNonNull(outbox, "'outbox' must not be null"), DEFAULT_TIMEOUT);
	}

	/**
	 * @param timeout the longest wait; positive
	 * @return a copy that waits at most this long
	 */
	public OutboxAwait atMost(Duration timeout) {
		Objects.requireNonNull(timeout, "'timeout' must not be null");
		if (timeout.isNegative() || timeout.isZero()) {
			throw new IllegalArgumentException("'timeout' must be positive but was " + timeout);
		}
		return new OutboxAwait(this.outbox, timeout);
	}

	/**
	 * @param operations the operations, as enqueued
	 * @return their states once all are {@link OperationStatus#DONE}
	 * @throws AssertionError on timeout, or if one is parked (it will never be delivered)
	 */
	public List<Operation> untilDelivered(Operation... operations) {
		return until("delivered", (operation) -> operation.status() == OperationStatus.DONE,
				(operation) -> operation.status() == OperationStatus.PERMANENTLY_FAILED, operations);
	}

	/**
	 * @param operations the operations, as enqueued
	 * @return their states once all are {@link OperationStatus#PERMANENTLY_FAILED}
	 * @throws AssertionError on timeout, or if one is delivered
	 */
	public List<Operation> untilParked(Operation... operations) {
		return until("parked", (operation) -> operation.status() == OperationStatus.PERMANENTLY_FAILED,
				(operation) -> operation.status() == OperationStatus.DONE, operations);
	}

	/**
	 * @param operation the operation, as enqueued
	 * @param condition the state to wait for
	 * @param description the state in words, for the failure message (such as {@code "failed once"})
	 * @return its state once the condition holds
	 * @throws AssertionError on timeout
	 */
	public Operation until(Operation operation, Predicate<Operation> condition, String description) {
		return until(description, condition, (current) -> false, operation).get(0);
	}

	/**
	 * Wait until nothing is pending, in flight or waiting for a retry.
	 * @throws AssertionError on timeout
	 */
	public void untilBacklogEmpty() {
		long deadline = System.nanoTime() + this.timeout.toNanos();
		while (this.outbox.stats().backlog() > 0) {
			if (System.nanoTime() > deadline) {
				List<Operation> active = this.outbox.list(
						Set.of(OperationStatus.PENDING, OperationStatus.IN_FLIGHT, OperationStatus.FAILED), null, 20);
				throw new AssertionError("Timed out after " + this.timeout + " waiting for an empty backlog; "
						+ this.outbox.stats().backlog() + " operations are still to be delivered" + describe(active));
			}
			LockSupport.parkNanos(POLL_NANOS);
		}
	}

	private List<Operation> until(String state, Predicate<Operation> reached, Predicate<Operation> never,
			Operation... operations) {
		long deadline = System.nanoTime() + this.timeout.toNanos();
		while (true) {
			List<Operation> current = new ArrayList<>(operations.length);
			List<Operation> notYet = new ArrayList<>();
			for (Operation operation : operations) {
				Optional<Operation> found = this.outbox.find(operation.id());
				if (found.isEmpty()) {
					throw new AssertionError("Operation " + operation.id() + " is not in the outbox (discarded or "
							+ "purged?) while waiting until " + state);
				}
				if (never.test(found.get())) {
					throw new AssertionError("Operation " + operation.id() + " will never be " + state + ": it is "
							+ found.get().status() + describe(List.of(found.get())));
				}
				current.add(found.get());
				if (!reached.test(found.get())) {
					notYet.add(found.get());
				}
			}
			if (notYet.isEmpty()) {
				return current;
			}
			if (System.nanoTime() > deadline) {
				throw new AssertionError("Timed out after " + this.timeout + " waiting until " + state + ": "
						+ notYet.size() + " of " + operations.length + " operations are not" + describe(notYet));
			}
			LockSupport.parkNanos(POLL_NANOS);
		}
	}

	static String describe(List<Operation> operations) {
		StringBuilder text = new StringBuilder();
		for (Operation operation : operations) {
			text.append("\n  ").append(operation.id()).append(' ').append(operation.kind()).append(' ')
				.append(operation.target()).append(": ").append(operation.status()).append(", attempt ")
				.append(operation.attempt());
			if (operation.status().isClaimable()) {
				text.append(", next attempt at ").append(operation.nextAttemptAt());
			}
			if (operation.lastError() != null) {
				text.append(", last error: ").append(operation.lastError());
			}
		}
		return text.toString();
	}

	@Override
	public String toString() {
		return "OutboxAwait[" + Arrays.asList(this.outbox, this.timeout) + "]";
	}

}
