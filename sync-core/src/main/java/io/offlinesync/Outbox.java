package io.offlinesync;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

import io.offlinesync.store.OutboxStore;
import io.offlinesync.store.QuarantinedOperation;

/**
 * The facade the application and the engine use. {@link #enqueue(NewOperation)} returns only once the operation is
 * durable in the store; nothing touches the network before that.
 *
 * <p>Thread-safe. Every refusal throws before anything is stored: {@link InvalidOperationException} for bad input,
 * {@link OperationStateException} for a state change the operation's state does not allow.
 *
 * @since 0.1.0
 */
public final class Outbox {

	private static final System.Logger logger = System.getLogger(Outbox.class.getName());

	private final OutboxStore store;

	private final OutboxConfig config;

	private final Clock clock;

	private final OperationIds ids;

	private final NewOperationChecks checks;

	private final List<EnqueueListener> enqueueListeners = new CopyOnWriteArrayList<>();

	/** The failure of the last write to the store, until a write succeeds again; {@literal null} while none. */
	private final AtomicReference<StoreFailure> storeFailure = new AtomicReference<>();

	/**
	 * An outbox with the default settings and the system clock.
	 * @param store where operations are kept
	 */
	public Outbox(OutboxStore store) {
		this(store, OutboxConfig.defaults(), Clock.systemUTC());
	}

	/**
	 * An outbox.
	 * @param store where operations are kept
	 * @param config the settings
	 * @param clock the source of every timestamp
	 */
	public Outbox(OutboxStore store, OutboxConfig config, Clock clock) {
		this.store = Objects.requireNonNull(store, "'store' must not be null");
		this.config = Objects.requireNonNull(config, "'config' must not be null");
		this.clock = Objects.requireNonNull(clock, "'clock' must not be null");
		this.ids = new OperationIds(clock);
		this.checks = new NewOperationChecks(config);
	}

	/**
	 * Store one operation durably.
	 * @param operation what to deliver
	 * @return the stored operation, {@link OperationStatus#PENDING}
	 * @throws InvalidOperationException if the operation is refused; nothing is stored
	 * @throws StoreException if it could not be made durable; nothing is stored
	 */
	public Operation enqueue(NewOperation operation) {
		return enqueueAll(List.of(operation)).get(0);
	}

	/**
	 * Store one operation durably.
	 * @param kind what to do, for example {@code http.post}
	 * @param target where, for example {@code /api/messages}
	 * @param payload the body
	 * @return the stored operation
	 * @see #enqueue(NewOperation)
	 */
	public Operation enqueue(String kind, String target, String payload) {
		return enqueue(NewOperation.of(kind, target, payload));
	}

	/**
	 * Store many operations in one durable write: all of them or, if one is refused or the write fails, none.
	 * @param operations what to deliver, in order
	 * @return the stored operations, in the same order
	 */
	public List<Operation> enqueueAll(List<NewOperation> operations) {
		Objects.requireNonNull(operations, "'operations' must not be null");
		for (int i = 0; i < operations.size(); i++) {
			this.checks.check(operations.get(i), i, operations.size());
		}
		Instant now = now();
		@Nullable Map<String, String> trace = null;
		List<Operation> stored = new ArrayList<>(operations.size());
		for (int i = 0; i < operations.size(); i++) {
			NewOperation operation = operations.get(i);
			KindDefaults defaults = this.config.defaultsFor(operation.kind());
			Instant expiresAt = NewOperationChecks.expiresAt(operation, defaults, now, i, operations.size());
			Map<String, String> traceContext = operation.traceContext();
			if (traceContext.isEmpty()) {
				if (trace == null) {
					trace = capturedTrace();
				}
				traceContext = trace;
			}
			stored.add(Operation.builder()
				.id(this.ids.next())
				.kind(operation.kind())
				.target(operation.target())
				.payload(operation.payload())
				.headers(operation.headers())
				.idempotencyKey(operation.idempotencyKey())
				.orderingKey(operation.orderingKey())
				.priority((operation.priority() != null) ? operation.priority()
						: (defaults.priority() != null) ? defaults.priority() : NewOperation.DEFAULT_PRIORITY)
				.expiresAt(expiresAt)
				.traceContext(traceContext)
				.createdAt(now)
				.build());
		}
		writing(() -> {
			this.store.insert(stored);
			return null;
		});
		if (!stored.isEmpty()) {
			// Listeners (the engine's wake-up) must not see operations a surrounding transaction may still roll back.
			this.store.afterCommit(() -> notifyListeners((listener) -> listener.enqueued(stored)));
		}
		return stored;
	}

	/**
	 * @param id an operation id
	 * @return the operation, or empty
	 */
	public Optional<Operation> find(String id) {
		return this.store.find(id);
	}

	/**
	 * List operations in enqueue order.
	 * @param statuses statuses to include; empty for all
	 * @param afterId continue after this id (the last of a previous page), or {@literal null}
	 * @param limit the most to return; at least 1
	 * @return the operations
	 */
	public List<Operation> list(Set<OperationStatus> statuses, @Nullable String afterId, int limit) {
		return this.store.list(statuses, afterId, limit);
	}

	/**
	 * Claim up to {@code limit} due operations, oldest first, at most one per ordering key.
	 * @param limit the most to claim
	 * @return the claimed operations, {@link OperationStatus#IN_FLIGHT}
	 */
	public List<Operation> claimReady(int limit) {
		return writing(() -> this.store.claimReady(now(), limit));
	}

	/**
	 * Claim one operation.
	 * @param id the id
	 * @return the claimed operation
	 * @throws OperationStateException if it is not ready
	 */
	public Operation claim(String id) {
		return writing(() -> this.store.claim(id, now()));
	}

	/**
	 * Record that a claimed operation was delivered.
	 * @param claimed the operation as returned by the claim
	 * @return the done operation
	 * @throws OperationStateException if the claim is no longer current
	 */
	public Operation markDone(Operation claimed) {
		return writing(() -> this.store.complete(claimed.id(), claimed.claimToken(), now()));
	}

	/**
	 * Record that many claimed operations were delivered, in as few durable writes as the store can.
	 * @param claimed the operations as returned by their claims
	 * @return the done operations; one whose claim is no longer current is left out
	 */
	public List<Operation> markAllDone(List<Operation> claimed) {
		Objects.requireNonNull(claimed, "'claimed' must not be null");
		return claimed.isEmpty() ? List.of() : writing(() -> this.store.completeAll(claimed, now()));
	}

	/**
	 * Record a failed attempt: a retryable failure is retried after the policy's delay (or the receiver's
	 * {@code Retry-After}, if later) while attempts are left; a permanent failure, or the last attempt, parks it.
	 * @param claimed the operation as returned by the claim
	 * @param result the failed result
	 * @return the failed or parked operation
	 * @throws OperationStateException if the claim is no longer current
	 */
	public Operation markFailed(Operation claimed, SendResult result) {
		return markFailed(claimed, result, null);
	}

	/**
	 * {@link #markFailed(Operation, SendResult)}, with the time of a retry given: operations sent together share one,
	 * so that they come due together (a later {@code Retry-After} still wins).
	 */
	Operation markFailed(Operation claimed, SendResult result, @Nullable Instant sharedRetryAt) {
		if (result.isOk()) {
			throw new IllegalArgumentException("markFailed needs a failed result but got " + result);
		}
		Instant now = now();
		RetryPolicy policy = this.config.retryPolicy();
		// A failed result always carries its error.
		String failure = Objects.requireNonNullElse(result.error(), "send failed");
		if (result.outcome() == SendResult.Outcome.PERMANENT) {
			return writing(() -> this.store.fail(claimed.id(), claimed.claimToken(), failure, null, now));
		}
		if (!policy.allowsAnotherAttempt(claimed.attempt())) {
			String error = "gave up after " + claimed.attempt() + " attempts: " + failure;
			return writing(() -> this.store.fail(claimed.id(), claimed.claimToken(), error, null, now));
		}
		Duration retryAfter = result.retryAfter().orElse(Duration.ZERO);
		Instant retryAt;
		if (sharedRetryAt != null) {
			retryAt = now.plus(retryAfter).isAfter(sharedRetryAt) ? now.plus(retryAfter) : sharedRetryAt;
		}
		else {
			Duration delay = policy.delayAfter(claimed.attempt());
			retryAt = now.plus((retryAfter.compareTo(delay) > 0) ? retryAfter : delay);
		}
		Instant due = retryAt.truncatedTo(ChronoUnit.MICROS);
		return writing(() -> this.store.fail(claimed.id(), claimed.claimToken(), failure, due, now));
	}

	/**
	 * Give a claimed operation back unattempted (the engine stopped before sending it).
	 * @param claimed the operation as returned by the claim
	 * @return the operation, due at once
	 */
	public Operation release(Operation claimed) {
		return writing(() -> this.store.release(claimed.id(), claimed.claimToken(), now()));
	}

	/**
	 * Requeue operations claimed longer ago than the timeout whose claim holder never reported back.
	 * @param inFlightTimeout how long a claim may last
	 * @return how many were requeued (or parked, when out of attempts)
	 */
	public int requeueStale(Duration inFlightTimeout) {
		Instant now = now();
		return writing(
				() -> this.store.requeueStale(now.minus(inFlightTimeout), this.config.retryPolicy().maxAttempts(), now));
	}

	/**
	 * Operator action: make a parked or failed operation pending again, attempts reset.
	 * @param id the id
	 * @return the pending operation
	 */
	public Operation retry(String id) {
		Operation retried = writing(() -> this.store.retry(id, now()));
		notifyListeners((listener) -> listener.retried(1));
		return retried;
	}

	/**
	 * Operator action: make every parked or failed operation the filter selects pending again, attempts reset, in as
	 * few writes as the store can. Selected operations in other statuses are left as they are.
	 * @param filter which operations, and how many at most
	 * @return how many were retried
	 */
	public int retryAll(OperationFilter filter) {
		Objects.requireNonNull(filter, "'filter' must not be null");
		int retried = writing(() -> this.store.retryMatching(filter, now()));
		logger.log(System.Logger.Level.INFO, () -> "Operator retry of " + retried + " operations matching " + filter);
		if (retried > 0) {
			notifyListeners((listener) -> listener.retried(retried));
		}
		return retried;
	}

	/**
	 * Operator action: remove every operation the filter selects that is not in flight.
	 * @param filter which operations, and how many at most
	 * @return how many were removed
	 */
	public int discardAll(OperationFilter filter) {
		Objects.requireNonNull(filter, "'filter' must not be null");
		int discarded = writing(() -> this.store.discardMatching(filter));
		logger.log(System.Logger.Level.INFO,
				() -> "Operator discard of " + discarded + " operations matching " + filter);
		return discarded;
	}

	/**
	 * A dry run of a bulk action: how many operations the filter selects.
	 * @param filter which operations, and how many at most
	 * @return how many, at most the filter's limit
	 */
	public int count(OperationFilter filter) {
		Objects.requireNonNull(filter, "'filter' must not be null");
		return this.store.countMatching(filter);
	}

	/**
	 * Operator action: remove an operation that is not in flight.
	 * @param id the id
	 * @return the removed operation
	 */
	public Operation discard(String id) {
		return writing(() -> this.store.discard(id));
	}

	/**
	 * Remove delivered and expired operations older than the given age.
	 * @param olderThan how long a delivered or expired operation is kept
	 * @return how many were removed
	 */
	public int purgeDone(Duration olderThan) {
		return writing(() -> this.store.purgeDone(now().minus(olderThan)));
	}

	/**
	 * Expire the operations waiting to be sent whose expiry has passed: they are never sent. The engine does this
	 * on every pass, online or not, so that the backlog shrinks during an outage too.
	 * @param limit the most to expire at once
	 * @return the operations expired (without their payloads)
	 */
	public List<Operation> expireDue(int limit) {
		return writing(() -> this.store.expire(now(), limit));
	}

	/** @return the counts by status and the oldest undelivered operation */
	public OutboxStats stats() {
		return this.store.stats();
	}

	/**
	 * Whether the store failed its last write (a full disk, a database that went away): the failure, from the first
	 * failed write until a write succeeds again. Health turns DOWN on it; it clears by itself once the store can write.
	 * @return the failure, or empty while writes succeed
	 */
	public Optional<StoreFailure> storeFailure() {
		return Optional.ofNullable(this.storeFailure.get());
	}

	/**
	 * Operations the store could not read back at run time (their record damaged on disk after it was opened) and
	 * set aside, so that the others keep flowing. They are not claimed, listed or found; the store's next recovery
	 * drops their damaged records and keeps a copy of the journal as found.
	 * @return the operations set aside, oldest first; empty for a store that never sets any aside
	 */
	public List<QuarantinedOperation> quarantined() {
		return this.store.quarantined();
	}

	/** @return the settings */
	public OutboxConfig config() {
		return this.config;
	}

	/** @return the clock every timestamp comes from */
	public Clock clock() {
		return this.clock;
	}

	/**
	 * Hear every enqueue (and operator retry); the engine uses it to wake up.
	 * @param listener the listener
	 */
	public void addEnqueueListener(EnqueueListener listener) {
		this.enqueueListeners.add(Objects.requireNonNull(listener, "'listener' must not be null"));
	}

	/**
	 * @param listener a listener added before
	 */
	public void removeEnqueueListener(EnqueueListener listener) {
		this.enqueueListeners.remove(listener);
	}

	/**
	 * The current time to the microsecond: the finest that every store keeps (PostgreSQL's timestamps included), so
	 * that an operation reads back exactly as it was written.
	 */
	private Instant now() {
		return this.clock.instant().truncatedTo(ChronoUnit.MICROS);
	}

	/**
	 * Run a write to the store, remembering whether it failed: refusals of a change (a claim that ended, bad input)
	 * say nothing about the store, a {@link StoreException} does. A call that changed nothing (nothing was due)
	 * wrote nothing, so it does not end a failure.
	 */
	private <T> T writing(Supplier<T> write) {
		T result;
		try {
			result = write.get();
		}
		catch (StoreException ex) {
			Instant at = this.clock.instant();
			this.storeFailure.updateAndGet((before) -> new StoreFailure((before != null) ? before.since() : at, at,
					String.valueOf(ex.getMessage())));
			throw ex;
		}
		if (this.storeFailure.get() != null && wroteSomething(result)) {
			StoreFailure ended = this.storeFailure.getAndSet(null);
			if (ended != null) {
				logger.log(System.Logger.Level.INFO, () -> "The outbox store writes again after failing since "
						+ ended.since() + " (" + ended.reason() + ")");
			}
		}
		return result;
	}

	private static boolean wroteSomething(Object result) {
		if (result instanceof Collection<?> changed) {
			return !changed.isEmpty();
		}
		return !(result instanceof Integer changed) || changed > 0;
	}

	/** Tell each listener; one that fails is logged and the others are still told. */
	private void notifyListeners(Consumer<EnqueueListener> event) {
		for (EnqueueListener listener : this.enqueueListeners) {
			try {
				event.accept(listener);
			}
			catch (RuntimeException ex) {
				logger.log(System.Logger.Level.WARNING, "Enqueue listener " + listener + " failed", ex);
			}
		}
	}

	/**
	 * The trace of the caller, if it can be kept: one that cannot (too many or too long fields) is left out, since an
	 * enqueue must not fail for the sake of tracing.
	 */
	private Map<String, String> capturedTrace() {
		Map<String, String> trace;
		try {
			trace = this.config.traceContextCapture().current();
		}
		catch (RuntimeException ex) {
			logger.log(System.Logger.Level.DEBUG, "Could not capture the trace of an enqueue", ex);
			return Map.of();
		}
		if (trace == null || NewOperationChecks.traceContextProblem(trace) != null) {
			return Map.of();
		}
		return trace;
	}

	/**
	 * The store failed its writes.
	 * @param since when the first of the failed writes in a row happened
	 * @param lastAt when the last one happened
	 * @param reason the last failure's message
	 *
	 * @since 0.1.0
	 */
	public record StoreFailure(Instant since, Instant lastAt, String reason) {
	}

}
