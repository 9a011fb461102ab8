package io.offlinesync.autoconfigure;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;

import io.offlinesync.DeliveryListener;
import io.offlinesync.EnqueueListener;
import io.offlinesync.NetworkProbe;
import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.OutboxStats;
import io.offlinesync.SendResult;

/**
 * Micrometer meters of the outbox, all under {@code sync.}: {@code sync.operations} (gauge, tag {@code status}),
 * {@code sync.oldest.pending.age} (seconds), {@code sync.online} (1 or 0), {@code sync.enqueued} (counter),
 * {@code sync.deliveries} (counter, tag {@code outcome}), {@code sync.retries} (attempts that scheduled another) and
 * {@code sync.send.latency} (timer, tag {@code outcome}).
 */
class SyncMetrics implements MeterBinder, DeliveryListener, EnqueueListener {

	private static final Duration STATS_MAX_AGE = Duration.ofSeconds(1);

	private final Outbox outbox;

	private final NetworkProbe probe;

	private final Clock clock;

	private final LongAdder enqueued = new LongAdder();

	private volatile MeterRegistry registry;

	private OutboxStats snapshot;

	private long snapshotNanos;

	SyncMetrics(Outbox outbox, NetworkProbe probe, Clock clock) {
		this.outbox = outbox;
		this.probe = probe;
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
		FunctionCounter.builder("sync.enqueued", this.enqueued, LongAdder::sum)
			.description("Operations enqueued")
			.register(registry);
		this.registry = registry;
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
	public void onAttempt(Operation operation, SendResult result, Duration latency, Operation stored) {
		MeterRegistry meters = this.registry;
		if (meters == null) {
			return;
		}
		String outcome = result.outcome().name().toLowerCase(Locale.ROOT);
		Counter.builder("sync.deliveries")
			.tag("outcome", outcome)
			.description("Delivery attempts by outcome")
			.register(meters)
			.increment();
		Timer.builder("sync.send.latency")
			.tag("outcome", outcome)
			.description("Time from send to result")
			.register(meters)
			.record(latency.toNanos(), TimeUnit.NANOSECONDS);
		if (result.outcome() == SendResult.Outcome.RETRYABLE && stored != null
				&& stored.status() == OperationStatus.FAILED) {
			Counter.builder("sync.retries")
				.description("Failed attempts after which another attempt was scheduled")
				.register(meters)
				.increment();
		}
	}

}
