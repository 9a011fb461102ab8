package io.offlinesync.autoconfigure;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.jspecify.annotations.Nullable;

import io.offlinesync.DeliveryListener;
import io.offlinesync.EnqueueListener;
import io.offlinesync.NetworkProbe;
import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.OutboxStats;
import io.offlinesync.SendResult;
import io.offlinesync.SyncEngine;

/**
 * Micrometer meters of the outbox, all under {@code sync.} and all registered at start, with every tag value, so that
 * the first scrape finds each series (at zero): {@code sync.operations} (gauge, tag {@code status}),
 * {@code sync.oldest.pending.age} (seconds), {@code sync.online} (1 or 0), {@code sync.outage.duration} (seconds),
 * {@code sync.paused} (1 or 0), {@code sync.store.failing} (1 or 0), {@code sync.quarantined},
 * {@code sync.enqueued} (counter), {@code sync.deliveries} (counter, tag {@code outcome}), {@code sync.retries}
 * (failed attempts that scheduled another), {@code sync.parked} (operations parked), {@code sync.expired}
 * (operations expired) and {@code sync.send.latency} (timer, tag {@code outcome}).
 */
class SyncMetrics implements MeterBinder, DeliveryListener, EnqueueListener {

	private static final Duration STATS_MAX_AGE = Duration.ofSeconds(1);

	private final Outbox outbox;

	private final @Nullable NetworkProbe probe;

	/** Looked up when read: the engine takes this class as a listener, so it cannot be passed in made. */
	private final Supplier<SyncEngine> engine;

	private final Clock clock;

	private final LongAdder enqueued = new LongAdder();

	/** Set once by {@link #bindTo}; attempts before it (none in practice) are not counted. */
	private volatile @Nullable Meters meters;

	private @Nullable OutboxStats snapshot;

	private long snapshotNanos;

	SyncMetrics(Outbox outbox, @Nullable NetworkProbe probe, Supplier<SyncEngine> engine, Clock clock) {
		this.outbox = outbox;
		this.probe = probe;
		this.engine = engine;
		this.clock = clock;
		outbox.addEnqueueListener(this);
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		for (OperationStatus status : OperationStatus.values()) {
			Gauge.builder("sync.operations", this, (metrics) -> metrics.stats().count(status))
				.tag("status", status.name().toLowerCase(Locale.ROOT))
				.description("Operations in the outbox by status")
				.register(registry);
		}
		Gauge.builder("sync.oldest.pending.age", this,
				(metrics) -> metrics.stats().oldestUndeliveredAge(this.clock.instant()).toMillis() / 1000.0)
			.baseUnit("seconds")
			.description("Age of the oldest operation not yet delivered")
			.register(registry);
		if (this.probe != null) {
			Gauge.builder("sync.online", this.probe, (probe) -> probe.lastKnownOnline() ? 1 : 0)
				.description("Whether the network was up at the last check")
				.register(registry);
			Gauge.builder("sync.outage.duration", this.probe, (probe) -> outageSeconds(probe.status()))
				.baseUnit("seconds")
				.description("How long the open outage has lasted; 0 when none is open")
				.register(registry);
		}
		Gauge.builder("sync.paused", this, (metrics) -> metrics.isPaused() ? 1 : 0)
			.description("Whether delivery is paused by an operator")
			.register(registry);
		Gauge.builder("sync.store.failing", this.outbox, (outbox) -> outbox.storeFailure().isPresent() ? 1 : 0)
			.description("Whether the store failed its last writes (a full disk, a database gone)")
			.register(registry);
		Gauge.builder("sync.quarantined", this.outbox, (outbox) -> outbox.quarantined().size())
			.description("Operations set aside because their record could not be read back")
			.register(registry);
		FunctionCounter.builder("sync.enqueued", this.enqueued, LongAdder::sum)
			.description("Operations enqueued")
			.register(registry);
		this.meters = new Meters(registry);
	}

	private boolean isPaused() {
		SyncEngine engine = this.engine.get();
		return engine != null && engine.isPaused();
	}

	private double outageSeconds(NetworkProbe.Status status) {
		return (status.outageSince() != null)
				? Math.max(0, Duration.between(status.outageSince(), this.clock.instant()).toMillis() / 1000.0) : 0;
	}

	/**
	 * One count of the store serves all the gauges of a scrape: for a database store each count is a query.
	 */
	synchronized OutboxStats stats() {
		long now = System.nanoTime();
		if (this.snapshot == null || now - this.snapshotNanos > STATS_MAX_AGE.toNanos()) {
			this.snapshot = this.outbox.stats();
			this.snapshotNanos = now;
		}
		return this.snapshot;
	}

	@Override
	public void enqueued(List<Operation> operations) {
		this.enqueued.add(operations.size());
	}

	@Override
	public void onAttempt(Operation operation, SendResult result, Duration latency, @Nullable Operation stored) {
		Meters meters = this.meters;
		if (meters == null) {
			return;
		}
		meters.deliveries[result.outcome().ordinal()].increment();
		meters.latency[result.outcome().ordinal()].record(latency.toNanos(), TimeUnit.NANOSECONDS);
		if (stored != null && result.outcome() == SendResult.Outcome.RETRYABLE
				&& stored.status() == OperationStatus.FAILED) {
			meters.retries.increment();
		}
		if (stored != null && stored.status() == OperationStatus.PERMANENTLY_FAILED) {
			meters.parked.increment();
		}
	}

	@Override
	public void onExpired(List<Operation> expired) {
		Meters meters = this.meters;
		if (meters != null) {
			meters.expired.increment(expired.size());
		}
	}

	/** The meters every attempt updates, made once: a lookup in the registry per attempt would cost a map search. */
	private static final class Meters {

		/** By outcome ordinal. */
		private final Counter[] deliveries = new Counter[SendResult.Outcome.values().length];

		/** By outcome ordinal. */
		private final Timer[] latency = new Timer[SendResult.Outcome.values().length];

		private final Counter retries;

		private final Counter parked;

		private final Counter expired;

		Meters(MeterRegistry registry) {
			for (SendResult.Outcome outcome : SendResult.Outcome.values()) {
				String tag = outcome.name().toLowerCase(Locale.ROOT);
				this.deliveries[outcome.ordinal()] = Counter.builder("sync.deliveries")
					.tag("outcome", tag)
					.description("Delivery attempts by outcome; unreachable ones are outages, not attempts")
					.register(registry);
				this.latency[outcome.ordinal()] = Timer.builder("sync.send.latency")
					.tag("outcome", tag)
					.description("Time from send to result")
					.register(registry);
			}
			this.retries = Counter.builder("sync.retries")
				.description("Failed attempts after which another attempt was scheduled")
				.register(registry);
			this.parked = Counter.builder("sync.parked")
				.description("Operations parked: failed for good or out of attempts")
				.register(registry);
			this.expired = Counter.builder("sync.expired")
				.description("Operations that expired before they were delivered, never to be sent")
				.register(registry);
		}

	}

}
