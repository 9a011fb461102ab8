package io.offlinesync;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;

/**
 * Records the results of a {@link SyncEngine}'s sends on threads of its own (a durable write may wait for a disk
 * force or a database, which must not block the transport's I/O threads), logs what an operator acts on, and tells
 * the delivery listeners. Deliveries are recorded in batches: what arrives while a batch is being made durable goes
 * into the next one, so that many completions share one forced write or one database commit.
 */
final class DeliveryRecorder {

	private static final System.Logger logger = System.getLogger(SyncEngine.class.getName());

	/** The most deliveries recorded in one durable write. */
	private static final int MAX_RECORDED_AT_ONCE = 256;

	private final Outbox outbox;

	private final EngineConfig config;

	private final String threadNamePrefix;

	private final LogThrottle throttledLog;

	private final List<DeliveryListener> listeners = new CopyOnWriteArrayList<>();

	private final Queue<Delivered> delivered = new ConcurrentLinkedQueue<>();

	private final AtomicBoolean deliveredRecorderScheduled = new AtomicBoolean();

	/** Guards {@link #recorder}. */
	private final Object recorderLock = new Object();

	private @Nullable ExecutorService recorder;

	DeliveryRecorder(Outbox outbox, EngineConfig config, String threadNamePrefix, LogThrottle throttledLog) {
		this.outbox = outbox;
		this.config = config;
		this.threadNamePrefix = threadNamePrefix;
		this.throttledLog = throttledLog;
	}

	void addListener(DeliveryListener listener) {
		this.listeners.add(listener);
	}

	/**
	 * Record the result of a send; {@code finish} runs once it is recorded (or recording failed).
	 * @param sharedRetryAt when to retry, shared by operations sent together, or {@literal null} for the retry
	 * policy's own backoff
	 */
	void record(Operation operation, SendResult outcome, Duration latency, Runnable finish,
			@Nullable Instant sharedRetryAt) {
		if (outcome.isOk()) {
			this.delivered.add(new Delivered(operation, outcome, latency, finish));
			scheduleDeliveredRecorder();
		}
		else {
			recordOnRecorder(() -> recordFailure(operation, outcome, latency, sharedRetryAt), finish);
		}
	}

	/**
	 * Tell of operations that expired before they were delivered: one summarised line (throttled in a storm), and
	 * the listeners.
	 */
	void expired(List<Operation> expired) {
		Map<String, Integer> byKind = new TreeMap<>();
		expired.forEach((operation) -> byKind.merge(operation.kind(), 1, Integer::sum));
		this.throttledLog.log(System.Logger.Level.INFO, "expired",
				() -> "Expired " + expired.size() + ((expired.size() == 1) ? " operation" : " operations")
						+ " not delivered in time, never to be sent: " + byKind,
				null);
		notifyListeners((listener) -> listener.onExpired(expired));
	}

	void shutdown() {
		synchronized (this.recorderLock) {
			if (this.recorder != null) {
				this.recorder.shutdown();
			}
		}
	}

	private void recordOnRecorder(Runnable record, Runnable finish) {
		recorder().execute(() -> {
			try {
				record.run();
			}
			finally {
				finish.run();
			}
		});
	}

	/**
	 * Deliveries are recorded in batches by one recorder task at a time: what arrives while a batch is being made
	 * durable goes into the next one, so that many completions share one forced write or one database commit.
	 */
	private void scheduleDeliveredRecorder() {
		if (this.deliveredRecorderScheduled.compareAndSet(false, true)) {
			recorder().execute(this::recordDelivered);
		}
	}

	private void recordDelivered() {
		while (true) {
			List<Delivered> batch = new ArrayList<>();
			Delivered next;
			while (batch.size() < MAX_RECORDED_AT_ONCE && (next = this.delivered.poll()) != null) {
				batch.add(next);
			}
			if (batch.isEmpty()) {
				this.deliveredRecorderScheduled.set(false);
				// A delivery queued between the poll and the reset would otherwise wait for the next one.
				if (this.delivered.isEmpty() || !this.deliveredRecorderScheduled.compareAndSet(false, true)) {
					return;
				}
				continue;
			}
			recordDelivered(batch);
		}
	}

	private void recordDelivered(List<Delivered> batch) {
		Map<String, Operation> done = new HashMap<>();
		boolean recorded = false;
		try {
			for (Operation operation : this.outbox.markAllDone(batch.stream().map(Delivered::operation).toList())) {
				done.put(operation.id(), operation);
			}
			recorded = true;
		}
		catch (RuntimeException ex) {
			this.throttledLog.log(System.Logger.Level.WARNING, "recording: " + ex,
					() -> "Could not record the delivery of " + batch.size()
							+ " operations; the in-flight timeout will requeue them: " + ex,
					ex);
		}
		for (Delivered delivery : batch) {
			try {
				Operation stored = done.get(delivery.operation().id());
				if (stored == null && recorded) {
					logger.log(System.Logger.Level.INFO, () -> "Delivery of " + delivery.operation().id()
							+ " dropped: its claim is no longer current");
				}
				notifyListeners(delivery.operation(), delivery.result(), delivery.latency(), stored);
			}
			finally {
				delivery.finish().run();
			}
		}
	}

	private ExecutorService recorder() {
		synchronized (this.recorderLock) {
			if (this.recorder == null || this.recorder.isShutdown()) {
				AtomicInteger count = new AtomicInteger();
				int threads = Math.min(this.config.concurrency(), 16);
				ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 10, TimeUnit.SECONDS,
						new LinkedBlockingQueue<>(), (task) -> {
							Thread thread = new Thread(task, this.threadNamePrefix + "recorder-" + count.incrementAndGet());
							thread.setDaemon(true);
							return thread;
						});
				pool.allowCoreThreadTimeOut(true);
				this.recorder = pool;
			}
			return this.recorder;
		}
	}

	/**
	 * Record a send that did not deliver: an unreachable remote gives the operation back without counting the attempt
	 * (it waits for the link, not for a backoff); any other failure is a failed attempt.
	 */
	private void recordFailure(Operation operation, SendResult result, Duration latency,
			@Nullable Instant sharedRetryAt) {
		boolean unreachable = result.outcome() == SendResult.Outcome.UNREACHABLE;
		Operation stored = null;
		try {
			stored = unreachable ? this.outbox.release(operation) : this.outbox.markFailed(operation, result, sharedRetryAt);
		}
		catch (OperationStateException ex) {
			logger.log(System.Logger.Level.INFO, () -> "Result of " + operation.id() + " dropped: " + ex.getMessage());
		}
		catch (RuntimeException ex) {
			this.throttledLog.log(System.Logger.Level.WARNING, "recording: " + ex, () -> "Could not record the result of "
					+ operation.id() + "; the in-flight timeout will requeue it: " + ex, ex);
		}
		if (stored != null) {
			logOutcome(stored, result);
		}
		notifyListeners(operation, result, latency, stored);
	}

	private void logOutcome(Operation stored, SendResult result) {
		if (stored.status() == OperationStatus.PERMANENTLY_FAILED) {
			this.throttledLog.log(System.Logger.Level.WARNING, "parked: " + stored.lastError(),
					() -> "Operation " + stored.id() + " (" + stored.kind() + " " + stored.target() + ") parked after "
							+ stored.attempt() + ((stored.attempt() == 1) ? " attempt: " : " attempts: ")
							+ stored.lastError(),
					null);
		}
		else if (stored.status() == OperationStatus.FAILED && result.outcome() == SendResult.Outcome.RETRYABLE) {
			logger.log(System.Logger.Level.DEBUG, () -> "Operation " + stored.id() + " attempt " + stored.attempt()
					+ " failed (" + result.error() + "); next attempt at " + stored.nextAttemptAt());
		}
	}

	private void notifyListeners(Operation operation, SendResult result, Duration latency, @Nullable Operation stored) {
		notifyListeners((listener) -> listener.onAttempt(operation, result, latency, stored));
	}

	/** Tell each listener; one that fails is logged and the others are still told. */
	private void notifyListeners(Consumer<DeliveryListener> event) {
		for (DeliveryListener listener : this.listeners) {
			try {
				event.accept(listener);
			}
			catch (RuntimeException ex) {
				logger.log(System.Logger.Level.WARNING, "Delivery listener " + listener + " failed", ex);
			}
		}
	}

	private record Delivered(Operation operation, SendResult result, Duration latency, Runnable finish) {
	}

}
