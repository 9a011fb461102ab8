package io.offlinesync;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * What an operation of one kind gets when it does not say otherwise: a priority and a time to live. Set per kind
 * with {@code sync.defaults.<kind>.priority} and {@code sync.defaults.<kind>.time-to-live}, or
 * {@link OutboxConfig.Builder#kindDefaults}.
 *
 * @param priority the priority, from {@link NewOperation#LOWEST_PRIORITY} to {@link NewOperation#HIGHEST_PRIORITY},
 * or {@literal null} for {@link NewOperation#DEFAULT_PRIORITY}
 * @param timeToLive how long after enqueue it expires, positive, or {@literal null} for never
 * @since 0.1.0
 */
public record KindDefaults(@Nullable Integer priority, @Nullable Duration timeToLive) {

	/** No defaults: the default priority, no expiry. */
	public static final KindDefaults NONE = new KindDefaults(null, null);

	public KindDefaults {
		if (priority != null) {
			NewOperation.requirePriority(priority);
		}
		if (timeToLive != null && (timeToLive.isNegative() || timeToLive.isZero())) {
			throw new IllegalArgumentException("'timeToLive' must be positive but was " + timeToLive);
		}
	}

}
