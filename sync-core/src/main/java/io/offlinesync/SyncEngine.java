package io.offlinesync;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;

/**
 * Delivers ready operations from an {@link Outbox} through a {@link SyncTransport} while the {@link NetworkProbe}
 * says the network is up.
 *
 * <p>Each pass also requeues stale claims, expires operations whose expiry has passed (online or not, so that the
 * backlog shrinks during an outage too) and, once a minute, purges delivered and expired operations older than
 * {@link EngineConfig#doneRetention()}, so the store does not grow without bound.
 *
 * <p>{@link #tick()} makes one synchronous pass, for tests and for applications that drive the engine themselves.
 * {@link #start()} runs passes on a background thread that wakes at once on enqueue, when the network comes back and
 * when a send finishes, and otherwise sleeps ({@link EngineConfig#idleSleep()} or, offline,
 * {@link EngineConfig#offlineSleep()}). Up to {@link EngineConfig#concurrency()} sends are in flight at once, without
 * a thread each. Operations that share an ordering key go one at a time, in enqueue order.
 *
 * <p>A send whose remote could not be reached ({@link SendResult.Outcome#UNREACHABLE}, or an exception that says the
 * connection could not be made) is an outage, not an attempt: the operation is given back with its attempts as they
 * were, the probe takes the link offline, and nothing more is claimed until the probe's backoff re-check passes; then
 * one trial send goes out, and once one reaches the remote the engine runs at full speed again.
 *
 * <p>Every send ends in a recorded result: a transport that throws, completes exceptionally, answers nothing or
 * exceeds {@link EngineConfig#sendTimeout()} counts as a retryable failure. If even recording fails (the store is
 * down), the claim goes stale and the in-flight timeout requeues the operation.
 *
 * @since 0.1.0
 */
public final class SyncEngine implements AutoCloseable {

	private static final System.Logger logger = System.getLogger(SyncEngine.class.getName());

	private static final AtomicInteger instances = new AtomicInteger();

	/** How often delivered operations older than the retention are purged. */
	static final Duration PURGE_INTERVAL = Duration.ofMinutes(1);

	/** The most operations one sweep expires; more wait for the next sweep. */
	private static final int EXPIRED_AT_ONCE = 1_000;

	/** How often the background loop sweeps stale claims: often next to any in-flight timeout, cheap for a database. */
	static final Duration SWEEP_INTERVAL = Duration.ofMillis(200);

	private final Outbox outbox;

	private final SyncTransport transport;

	private final NetworkProbe probe;

	private final EngineConfig config;

	private final Semaphore sendPermits;

	private final String threadNamePrefix = "offline-sync-" + instances.incrementAndGet() + "-";

	private final Object wakeMonitor = new Object();

	private final EnqueueListener onEnqueue = new EnqueueListener() {

		@Override
		public void enqueued(List<Operation> operations) {
			if (SyncEngine.this.perSend > 1 && !SyncEngine.this.config.linger().isZero()) {
				lingerThenWakeUp();
			}
			else {
				wakeUp();
			}
		}

		@Override
		public void retried(int count) {
			wakeUp();
		}

	};

	/** Parking, failed passes and failed recordings come in storms when a remote or the store fails for good. */
	private final LogThrottle throttledLog = new LogThrottle(logger, Duration.ofMinutes(1), 10);

	private final DeliveryRecorder recorder;

	/** How many operations one send slot carries: a batch transport's batch size, else 1. */
	private final int perSend;

	private volatile boolean paused;

	/** Whether a wake-up waits for the linger to end. */
	private final AtomicBoolean lingering = new AtomicBoolean();

	private final Consumer<Boolean> onNetworkChange = (online) -> {
		if (online) {
			wakeUp();
		}
	};

	private boolean wakeRequested;

	private volatile boolean running;

	private @Nullable Thread loop;

	private volatile Instant nextPurgeAt = Instant.MIN;

	/** When the background loop last swept stale claims; {@link #tick()} sweeps on every pass. */
	private long lastSweepNanos = System.nanoTime() - SWEEP_INTERVAL.toNanos();

	/**
	 * An engine; it does nothing until {@link #tick()} or {@link #start()}.
	 * @param outbox where operations come from
	 * @param transport how they are delivered
	 * @param probe whether the network is up
	 * @param config the settings
	 */
	public SyncEngine(Outbox outbox, SyncTransport transport, NetworkProbe probe, EngineConfig config) {
		this.outbox = Objects.requireNonNull(outbox, "'outbox' must not be null");
		this.transport = Objects.requireNonNull(transport, "'transport' must not be null");
		this.probe = Objects.requireNonNull(probe, "'probe' must not be null");
		this.config = Objects.requireNonNull(config, "'config' must not be null");
		this.sendPermits = new Semaphore(config.concurrency());
		this.perSend = (transport instanceof BatchTransport batches) ? Math.max(1, batches.maxBatchSize()) : 1;
		this.recorder = new DeliveryRecorder(outbox, config, this.threadNamePrefix, this.throttledLog);
	}

	/**
	 * One pass: requeue stale claims; then, while the link is up, claim ready operations as send slots free up, up to
	 * the batch limit, send them, and record every result before returning. An operation is claimed only once a slot
	 * for it is free, so its send starts at once and no claim waits in a queue.
	 * @return how many operations were claimed and attempted
	 */
	public int tick() {
		housekeeping();
		if (this.paused) {
			return 0;
		}
		List<CompletableFuture<Void>> sends = new ArrayList<>();
		int attempted = 0;
		int slots = 0;
		while (slots < this.config.batchLimit() && this.probe.isOnline()) {
			List<Operation> claimed = claimForFreeSlots(this.config.batchLimit() - slots, true);
			if (claimed.isEmpty()) {
				break;
			}
			for (List<Operation> group : groups(claimed)) {
				sends.add(send(group));
				slots++;
			}
			attempted += claimed.size();
		}
		// Bounded: each send ends by the send timeout at the latest.
		CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();
		return attempted;
	}

	/**
	 * Claim ready operations for up to {@code max} free send slots (each carries one operation, or one batch of a
	 * batch transport), and hold a slot for each send the claimed ones make. While the link is unconfirmed (its
	 * outage has not yet ended in a send that reached the remote), one trial send at a time.
	 * @param max the most send slots to fill
	 * @param waitForSlot whether to wait for a slot when none is free
	 * @return the claimed operations, each send they make holding a send permit
	 */
	private List<Operation> claimForFreeSlots(int max, boolean waitForSlot) {
		int wanted = max;
		if (!this.probe.isConfirmed()) {
			if (sendsInFlight() > 0) {
				return List.of();
			}
			wanted = 1;
		}
		int permits = 0;
		if (waitForSlot) {
			this.sendPermits.acquireUninterruptibly();
			permits = 1;
		}
		while (permits < wanted && this.sendPermits.tryAcquire()) {
			permits++;
		}
		if (permits == 0) {
			return List.of();
		}
		List<Operation> claimed;
		try {
			claimed = this.outbox.claimReady(permits * this.perSend);
		}
		catch (RuntimeException | Error ex) {
			this.sendPermits.release(permits);
			throw ex;
		}
		this.sendPermits.release(permits - (claimed.size() + this.perSend - 1) / this.perSend);
		return claimed;
	}

	/** @return the claimed operations in the groups that go out together: one each, or batches */
	private List<List<Operation>> groups(List<Operation> claimed) {
		List<List<Operation>> groups = new ArrayList<>();
		for (int from = 0; from < claimed.size(); from += this.perSend) {
			groups.add(claimed.subList(from, Math.min(claimed.size(), from + this.perSend)));
		}
		return groups;
	}

	/**
	 * Start delivering in the background. Does nothing if already running.
	 */
	public synchronized void start() {
		if (this.running) {
			return;
		}
		this.running = true;
		this.outbox.addEnqueueListener(this.onEnqueue);
		this.probe.addListener(this.onNetworkChange);
		this.loop = new Thread(this::runLoop, this.threadNamePrefix + "engine");
		this.loop.setDaemon(true);
		this.loop.start();
		logger.log(System.Logger.Level.INFO, () -> "Delivery engine started (" + this.config.concurrency()
				+ " sends at once" + (this.paused ? ", paused" : "") + ")");
	}

	/**
	 * Stop the background loop: no new sends start, sends already in flight are given until the send timeout to
	 * finish and record their result, and the loop thread has ended when this returns. Anything still unanswered is
	 * left to the in-flight timeout. Does nothing if not running.
	 */
	@Override
	public synchronized void close() {
		if (!this.running) {
			return;
		}
		this.running = false;
		this.outbox.removeEnqueueListener(this.onEnqueue);
		this.probe.removeListener(this.onNetworkChange);
		wakeUp();
		long graceMillis = this.config.sendTimeout().toMillis() + 1000;
		// Set by start() while running.
		Thread stopping = Objects.requireNonNull(this.loop);
		try {
			stopping.join(graceMillis);
			if (this.sendPermits.tryAcquire(this.config.concurrency(), graceMillis, TimeUnit.MILLISECONDS)) {
				this.sendPermits.release(this.config.concurrency());
			}
			else {
				logger.log(System.Logger.Level.WARNING,
						"Sends still unanswered at shutdown; the in-flight timeout will requeue them");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		if (stopping.isAlive()) {
			logger.log(System.Logger.Level.WARNING, "The engine loop did not stop within " + graceMillis + " ms");
		}
		this.loop = null;
		this.recorder.shutdown();
		this.throttledLog.flush();
		logger.log(System.Logger.Level.INFO, "Delivery engine stopped");
	}

	/**
	 * Stop claiming operations, for a maintenance window: sends in flight finish and are recorded, enqueue goes on,
	 * and the backlog waits until {@link #resume()}. Does nothing if already paused.
	 */
	public void pause() {
		if (!this.paused) {
			this.paused = true;
			logger.log(System.Logger.Level.INFO, () -> "Delivery paused; " + sendsInFlight()
					+ " sends in flight finish, enqueued operations wait for resume");
		}
	}

	/**
	 * Deliver again after {@link #pause()}, at once. Does nothing if not paused.
	 */
	public void resume() {
		if (this.paused) {
			this.paused = false;
			logger.log(System.Logger.Level.INFO, "Delivery resumed");
			wakeUp();
		}
	}

	/** @return whether delivery is paused */
	public boolean isPaused() {
		return this.paused;
	}

	/** With batches and a linger: the first enqueue after a send waits for more to fill the batch. */
	private void lingerThenWakeUp() {
		if (this.lingering.compareAndSet(false, true)) {
			CompletableFuture.delayedExecutor(this.config.linger().toNanos(), TimeUnit.NANOSECONDS).execute(() -> {
				this.lingering.set(false);
				wakeUp();
			});
		}
	}

	/**
	 * Make the background loop run a pass now instead of finishing its sleep.
	 */
	public void wakeUp() {
		synchronized (this.wakeMonitor) {
			this.wakeRequested = true;
			this.wakeMonitor.notifyAll();
		}
	}

	/** @return whether the background loop runs */
	public boolean isRunning() {
		return this.running;
	}

	/** @return how many sends are in flight now */
	public int sendsInFlight() {
		return this.config.concurrency() - this.sendPermits.availablePermits();
	}

	/** @return the start of the names of this engine's threads, such as {@code offline-sync-1-} */
	String threadNamePrefix() {
		return this.threadNamePrefix;
	}

	/** @return the settings */
	public EngineConfig config() {
		return this.config;
	}

	/**
	 * Hear every attempt's result.
	 * @param listener the listener; runs on the thread that completed the send, and must be quick
	 */
	public void addDeliveryListener(DeliveryListener listener) {
		this.recorder.addListener(Objects.requireNonNull(listener, "'listener' must not be null"));
	}

	private void runLoop() {
		while (this.running) {
			Duration sleep;
			try {
				sleep = pump();
			}
			catch (RuntimeException ex) {
				this.throttledLog.log(System.Logger.Level.WARNING, "engine pass: " + ex,
						() -> "Engine pass failed; retrying after the idle sleep: " + ex, ex);
				sleep = this.config.idleSleep();
			}
			if (sleep != null) {
				awaitWakeUp(sleep);
			}
		}
	}

	/**
	 * One non-blocking pass of the background loop: claim as many ready operations as there are free send slots and
	 * start their sends. Finished sends wake the loop, so sends overlap passes instead of waiting for whole batches.
	 * @return how long to sleep, or {@literal null} to pass again at once
	 */
	private @Nullable Duration pump() {
		long now = System.nanoTime();
		if (now - this.lastSweepNanos >= SWEEP_INTERVAL.toNanos()) {
			this.lastSweepNanos = now;
			housekeeping();
		}
		if (this.paused) {
			return this.config.idleSleep();
		}
		if (!this.probe.isOnline()) {
			return this.config.offlineSleep();
		}
		int free = this.sendPermits.availablePermits();
		// Claim in groups: for a store whose every claim is a database round trip, claiming one operation per freed
		// slot would make the claims, not the sends, the limit. Every finished send wakes the loop to look again.
		if (this.probe.isConfirmed() && (free == 0 || (free < claimGroup() && sendsInFlight() > 0))) {
			return this.config.idleSleep();
		}
		List<Operation> claimed = claimForFreeSlots(Math.min(free, this.config.batchLimit()), false);
		List<List<Operation>> groups = groups(claimed);
		for (int i = 0; i < groups.size(); i++) {
			if (!this.running) {
				groups.subList(i, groups.size()).forEach(this::releaseUnsent);
				break;
			}
			send(groups.get(i));
		}
		return claimed.isEmpty() ? this.config.idleSleep() : null;
	}

	/**
	 * Requeue stale claims and expire operations no longer worth sending (even offline: neither waits for the
	 * network) and, once per purge interval, purge delivered and expired operations past their retention.
	 */
	private void housekeeping() {
		this.throttledLog.flush();
		this.outbox.requeueStale(this.config.inFlightTimeout());
		List<Operation> expired = this.outbox.expireDue(EXPIRED_AT_ONCE);
		if (!expired.isEmpty()) {
			this.recorder.expired(expired);
		}
		Instant now = this.outbox.clock().instant();
		if (!now.isBefore(this.nextPurgeAt)) {
			this.nextPurgeAt = now.plus(PURGE_INTERVAL);
			int purged = this.outbox.purgeDone(this.config.doneRetention());
			if (purged > 0) {
				logger.log(System.Logger.Level.DEBUG, () -> "Purged " + purged + " delivered operations");
			}
		}
	}

	/** How many send slots must be free before the background loop claims again while sends are in flight. */
	private int claimGroup() {
		return Math.max(1, Math.min(this.config.concurrency(), this.config.batchLimit()) / 2);
	}

	/** Give back claimed operations that go out together but were not sent, and their send permit. */
	private void releaseUnsent(List<Operation> unsent) {
		this.sendPermits.release();
		for (Operation operation : unsent) {
			try {
				this.outbox.release(operation);
			}
			catch (RuntimeException ex) {
				logger.log(System.Logger.Level.WARNING, "Could not give back " + operation.id()
						+ " at shutdown; the in-flight timeout will requeue it", ex);
			}
		}
	}

	private void awaitWakeUp(Duration sleep) {
		synchronized (this.wakeMonitor) {
			try {
				if (!this.wakeRequested && this.running) {
					this.wakeMonitor.wait(sleep.toMillis());
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				this.running = false;
			}
			this.wakeRequested = false;
		}
	}

	/**
	 * Send claimed operations that go out together (one, or a batch); the caller holds one send permit for them,
	 * which this releases once every result is recorded.
	 */
	private CompletableFuture<Void> send(List<Operation> group) {
		long started = System.nanoTime();
		CompletableFuture<List<SendResult>> attempt = new CompletableFuture<>();
		try {
			CompletionStage<List<SendResult>> stage = (group.size() == 1 && this.perSend == 1)
					? single(this.transport.send(group.get(0)))
					: ((BatchTransport) this.transport).sendAll(List.copyOf(group));
			if (stage == null) {
				attempt.complete(null);
			}
			else {
				stage.whenComplete((results, failure) -> {
					if (failure != null) {
						attempt.completeExceptionally(failure);
					}
					else {
						attempt.complete(results);
					}
				});
			}
		}
		catch (RuntimeException | Error ex) {
			attempt.completeExceptionally(ex);
		}
		// Results are recorded on the engine's own threads: a durable write may wait for a disk force or a database,
		// which must not block the transport's I/O threads.
		CompletableFuture<Void> recorded = new CompletableFuture<>();
		attempt.orTimeout(this.config.sendTimeout().toMillis(), TimeUnit.MILLISECONDS)
			.whenComplete((results, failure) -> {
				AtomicBoolean released = new AtomicBoolean();
				Runnable release = () -> {
					if (released.compareAndSet(false, true)) {
						this.sendPermits.release();
						wakeUp();
						recorded.complete(null);
					}
				};
				try {
					record(group, toResults(group, results, failure), failure == null,
							Duration.ofNanos(System.nanoTime() - started), release);
				}
				catch (RuntimeException | Error ex) {
					// The slot must come back whatever happened; the in-flight timeout requeues what was not recorded.
					this.throttledLog.log(System.Logger.Level.WARNING, "recording: " + ex,
							() -> "Could not hand over the results of " + group.size() + " operations: " + ex, ex);
					release.run();
				}
			});
		return recorded;
	}

	private void record(List<Operation> group, List<SendResult> outcomes, boolean answered, Duration latency,
			Runnable release) {
		AtomicInteger unrecorded = new AtomicInteger(group.size());
		Runnable finish = () -> {
			if (unrecorded.decrementAndGet() == 0) {
				release.run();
			}
		};
		SendResult unreachable = outcomes.stream()
			.filter((outcome) -> outcome.outcome() == SendResult.Outcome.UNREACHABLE)
			.findFirst()
			.orElse(null);
		if (unreachable != null) {
			// An outage, not a failed attempt: pause delivery before the next claim, and give these back.
			this.probe.reportUnreachable(Objects.requireNonNullElse(unreachable.error(), "unreachable"));
		}
		else if (answered) {
			// The transport answered, so the remote was reached.
			this.probe.reportReachable();
		}
		Instant sharedRetryAt = null;
		if (refusedAsAWhole(group, outcomes)) {
			int attempts = group.stream().mapToInt(Operation::attempt).max().orElse(1);
			sharedRetryAt = this.outbox.clock().instant().plus(this.outbox.config().retryPolicy().delayAfter(attempts));
		}
		for (int i = 0; i < group.size(); i++) {
			this.recorder.record(group.get(i), outcomes.get(i), latency, finish, sharedRetryAt);
		}
	}

	/**
	 * Whether a batch failed as a whole (a 503 for the request, say): its operations then share one retry time and go
	 * out again together, as one batch, instead of each after its own jittered delay.
	 */
	private static boolean refusedAsAWhole(List<Operation> group, List<SendResult> outcomes) {
		return group.size() > 1 && outcomes.get(0).outcome() == SendResult.Outcome.RETRYABLE
				&& outcomes.stream().allMatch(outcomes.get(0)::equals);
	}

	private static @Nullable CompletionStage<List<SendResult>> single(@Nullable CompletionStage<SendResult> stage) {
		return (stage != null) ? stage.thenApply((result) -> (result != null) ? List.of(result) : null) : null;
	}

	/** One result per operation: what the transport answered, or its failure for each. */
	private List<SendResult> toResults(List<Operation> group, @Nullable List<SendResult> results,
			@Nullable Throwable failure) {
		SendResult each;
		if (failure != null) {
			each = toResult(null, failure);
		}
		// Not contains(null): immutable lists throw on it.
		else if (results == null || results.stream().anyMatch(Objects::isNull)) {
			each = SendResult.retryable("transport answered no result");
		}
		else if (results.size() != group.size()) {
			each = SendResult.retryable(
					"transport answered " + results.size() + " results for " + group.size() + " operations");
		}
		else {
			return results;
		}
		return Collections.nCopies(group.size(), each);
	}

	private SendResult toResult(@Nullable SendResult result, @Nullable Throwable failure) {
		if (failure == null) {
			return (result != null) ? result : SendResult.retryable("transport answered no result");
		}
		Throwable cause = (failure instanceof CompletionException && failure.getCause() != null) ? failure.getCause()
				: failure;
		if (cause instanceof TimeoutException) {
			return SendResult.retryable("send timed out after " + this.config.sendTimeout().toMillis() + " ms");
		}
		return SendResult.ofFailure(cause);
	}

}
