package io.offlinesync.autoconfigure;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * The thresholds of {@code sync.health.*}, validated: each is off ({@literal null}) or not negative.
 *
 * @param maxBacklog undelivered operations above which health is DOWN, or {@literal null}
 * @param maxOldestPendingAge age of the oldest undelivered operation above which health is DOWN, or {@literal null}
 * @param maxParked parked operations above which health is DOWN, or {@literal null}
 */
record HealthThresholds(@Nullable Long maxBacklog, @Nullable Duration maxOldestPendingAge,
		@Nullable Long maxParked) {

	HealthThresholds {
		requireNotNegative("sync.health.max-backlog", maxBacklog);
		requireNotNegative("sync.health.max-parked", maxParked);
		if (maxOldestPendingAge != null && maxOldestPendingAge.isNegative()) {
			throw invalid("sync.health.max-oldest-pending-age", maxOldestPendingAge);
		}
	}

	static HealthThresholds of(SyncProperties.Health health) {
		return new HealthThresholds(health.getMaxBacklog(), health.getMaxOldestPendingAge(), health.getMaxParked());
	}

	private static void requireNotNegative(String property, @Nullable Long value) {
		if (value != null && value < 0) {
			throw invalid(property, value);
		}
	}

	private static InvalidSyncPropertyException invalid(String property, Object value) {
		return new InvalidSyncPropertyException(property, "'" + property + "' must not be negative but was " + value
				+ " (a negative threshold would keep health DOWN for ever; leave it unset to turn it off)");
	}

}
