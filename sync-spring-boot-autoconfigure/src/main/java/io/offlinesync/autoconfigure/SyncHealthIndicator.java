package io.offlinesync.autoconfigure;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

import io.offlinesync.NetworkProbe;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.OutboxStats;
import io.offlinesync.SyncEngine;
import io.offlinesync.store.QuarantinedOperation;

/**
 * Health of the outbox: the store answers and writes, the backlog, the oldest undelivered operation, the link, whether
 * delivery is paused, and the last delivery. Being offline or paused is normal for an outbox (restarting the
 * application would fix neither), so only a store that cannot write, or one that cannot be read, and the configured
 * thresholds turn it DOWN.
 */
class SyncHealthIndicator extends AbstractHealthIndicator {

	private final Outbox outbox;

	private final @Nullable NetworkProbe probe;

	private final @Nullable SyncEngine engine;

	private final @Nullable DeliveryTracker tracker;

	private final HealthThresholds thresholds;

	private final Clock clock;

	SyncHealthIndicator(Outbox outbox, @Nullable NetworkProbe probe, @Nullable SyncEngine engine,
			@Nullable DeliveryTracker tracker, HealthThresholds thresholds, Clock clock) {
		super("The offline-sync outbox store could not be read");
		this.outbox = outbox;
		this.probe = probe;
		this.engine = engine;
		this.tracker = tracker;
		this.thresholds = thresholds;
		this.clock = clock;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		OutboxStats stats = this.outbox.stats();
		Instant now = this.clock.instant();
		Duration oldestAge = stats.oldestUndeliveredAge(now);
		Map<String, Long> counts = new LinkedHashMap<>();
		stats.counts().forEach((status, count) -> counts.put(status.name().toLowerCase(Locale.ROOT), count));
		builder.withDetail("backlog", stats.backlog())
			.withDetail("counts", counts)
			.withDetail("oldestPendingAge", oldestAge.toString())
			.withDetail("online", (this.probe != null) && this.probe.lastKnownOnline())
			.withDetail("engineRunning", (this.engine != null) && this.engine.isRunning())
			.withDetail("paused", (this.engine != null) && this.engine.isPaused());
		if (this.probe != null) {
			builder.withDetail("link", link(this.probe.status()));
		}
		if (this.tracker != null) {
			putIfPresent(builder, "lastSuccessAt", this.tracker.lastSuccessAt());
			putIfPresent(builder, "lastErrorAt", this.tracker.lastErrorAt());
			putIfPresent(builder, "lastError", this.tracker.lastError());
		}
		List<QuarantinedOperation> quarantined = this.outbox.quarantined();
		if (!quarantined.isEmpty()) {
			builder.withDetail("quarantined", quarantined.stream().map(SyncHealthIndicator::describe).toList());
		}
		List<String> problems = new ArrayList<>();
		this.outbox.storeFailure().ifPresent((failure) -> problems.add("the store has failed its writes since "
				+ failure.since() + ": " + failure.reason()));
		Long maxBacklog = this.thresholds.maxBacklog();
		if (maxBacklog != null && stats.backlog() > maxBacklog) {
			problems.add("backlog " + stats.backlog() + " is over sync.health.max-backlog=" + maxBacklog);
		}
		Duration maxAge = this.thresholds.maxOldestPendingAge();
		if (maxAge != null && oldestAge.compareTo(maxAge) > 0) {
			problems.add("oldest pending operation is " + oldestAge + " old, over sync.health.max-oldest-pending-age="
					+ maxAge);
		}
		Long maxParked = this.thresholds.maxParked();
		long parked = stats.count(OperationStatus.PERMANENTLY_FAILED);
		if (maxParked != null && parked > maxParked) {
			problems.add(parked + " parked operations, over sync.health.max-parked=" + maxParked);
		}
		if (problems.isEmpty()) {
			builder.up();
		}
		else {
			builder.down().withDetail("problems", problems);
		}
	}

	/**
	 * The link as an operator reads it: online, offline (why, since when, when it is checked again) or recovering
	 * (a check passed and one trial send is on its way).
	 */
	private static Map<String, Object> link(NetworkProbe.Status status) {
		Map<String, Object> link = new LinkedHashMap<>();
		link.put("state", status.confirmed() ? "online" : status.online() ? "recovering" : "offline");
		if (status.outageSince() != null) {
			link.put("outageSince", status.outageSince().toString());
		}
		if (status.reason() != null) {
			link.put("reason", status.reason());
		}
		if (status.nextCheckAt() != null) {
			link.put("nextCheckAt", status.nextCheckAt().toString());
		}
		return link;
	}

	static Map<String, Object> describe(QuarantinedOperation operation) {
		Map<String, Object> described = new LinkedHashMap<>();
		described.put("id", operation.id());
		described.put("reason", operation.reason());
		described.put("at", operation.at().toString());
		return described;
	}

	private static void putIfPresent(Health.Builder builder, String key, @Nullable Object value) {
		if (value != null) {
			builder.withDetail(key, value.toString());
		}
	}

}
