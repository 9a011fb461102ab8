package io.offlinesync;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * How often and how far apart failed deliveries are retried. Immutable and validated on construction.
 *
 * <p>The delay before attempt {@code n + 1}, after {@code n} failed attempts, is
 * {@code initialDelay × multiplier^(n−1)}, capped at {@code maxDelay}, then moved by up to ±{@code jitterRatio} of
 * itself with a value from the jitter source, and capped at {@code maxDelay} again. After {@code maxAttempts} attempts
 * the operation is parked as {@link OperationStatus#PERMANENTLY_FAILED}.
 *
 * @since 0.1.0
 */
public final class RetryPolicy {

	/** Default maximum number of attempts, including the first. */
	public static final int DEFAULT_MAX_ATTEMPTS = 8;

	/** Default delay after the first failure. */
	public static final Duration DEFAULT_INITIAL_DELAY = Duration.ofMillis(500);

	/** Default upper bound of a delay. */
	public static final Duration DEFAULT_MAX_DELAY = Duration.ofSeconds(30);

	/** Default growth factor between consecutive delays. */
	public static final double DEFAULT_MULTIPLIER = 2.0;

	/** Default jitter, as a fraction of the delay. */
	public static final double DEFAULT_JITTER_RATIO = 0.2;

	private static final RetryPolicy DEFAULTS = builder().build();

	private final int maxAttempts;

	private final Duration initialDelay;

	private final Duration maxDelay;

	private final double multiplier;

	private final double jitterRatio;

	private final DoubleSupplier jitterSource;

	private RetryPolicy(Builder builder) {
		if (builder.maxAttempts < 1) {
			throw new IllegalArgumentException("'maxAttempts' must be at least 1 but was " + builder.maxAttempts);
		}
		requireNotNegative("initialDelay", builder.initialDelay);
		requireNotNegative("maxDelay", builder.maxDelay);
		if (builder.maxDelay.compareTo(builder.initialDelay) < 0) {
			throw new IllegalArgumentException("'maxDelay' (" + builder.maxDelay
					+ ") must not be shorter than 'initialDelay' (" + builder.initialDelay + ")");
		}
		if (!(builder.multiplier >= 1.0) || Double.isInfinite(builder.multiplier)) {
			throw new IllegalArgumentException("'multiplier' must be a finite number of at least 1.0 but was "
					+ builder.multiplier);
		}
		if (!(builder.jitterRatio >= 0.0 && builder.jitterRatio <= 1.0)) {
			throw new IllegalArgumentException("'jitterRatio' must be between 0.0 and 1.0 but was " + builder.jitterRatio);
		}
		this.maxAttempts = builder.maxAttempts;
		this.initialDelay = builder.initialDelay;
		this.maxDelay = builder.maxDelay;
		this.multiplier = builder.multiplier;
		this.jitterRatio = builder.jitterRatio;
		this.jitterSource = Objects.requireNonNull(builder.jitterSource, "'jitterSource' must not be null");
	}

	private static void requireNotNegative(String name, Duration value) {
		Objects.requireNonNull(value, () -> "'" + name + "' must not be null");
		if (value.isNegative()) {
			throw new IllegalArgumentException("'" + name + "' must not be negative but was " + value);
		}
	}

	/**
	 * The policy with the default values (8 attempts, 500 ms, 30 s, ×2.0, 0.2 jitter).
	 * @return the default policy
	 */
	public static RetryPolicy defaults() {
		return DEFAULTS;
	}

	/**
	 * A builder that starts from the defaults.
	 * @return a new builder
	 */
	public static Builder builder() {
		return new Builder();
	}

	/**
	 * The delay before the next attempt, after the given number of attempts has failed.
	 * @param failedAttempts how many attempts have failed so far; at least 1
	 * @return the delay, never negative and never longer than {@link #maxDelay()}
	 */
	public Duration delayAfter(int failedAttempts) {
		if (failedAttempts < 1) {
			throw new IllegalArgumentException("'failedAttempts' must be at least 1 but was " + failedAttempts);
		}
		double maxMillis = this.maxDelay.toMillis();
		// Computed in double and capped before any conversion, so large attempt counts cannot overflow.
		double base = Math.min(maxMillis, this.initialDelay.toMillis() * Math.pow(this.multiplier, failedAttempts - 1));
		double unit = this.jitterSource.getAsDouble();
		if (!(unit >= 0.0 && unit < 1.0)) {
			throw new IllegalStateException("The jitter source must answer values in [0, 1) but answered " + unit);
		}
		double jittered = base * (1.0 + this.jitterRatio * (2.0 * unit - 1.0));
		return Duration.ofMillis(Math.round(Math.max(0.0, Math.min(maxMillis, jittered))));
	}

	/**
	 * Whether another attempt is allowed after the given number of attempts.
	 * @param attempts the attempts made so far
	 * @return whether {@code attempts < maxAttempts}
	 */
	public boolean allowsAnotherAttempt(int attempts) {
		return attempts < this.maxAttempts;
	}

	public int maxAttempts() {
		return this.maxAttempts;
	}

	public Duration initialDelay() {
		return this.initialDelay;
	}

	public Duration maxDelay() {
		return this.maxDelay;
	}

	public double multiplier() {
		return this.multiplier;
	}

	public double jitterRatio() {
		return this.jitterRatio;
	}

	/**
	 * A builder that starts from this policy's values.
	 * @return a new builder
	 */
	public Builder toBuilder() {
		return new Builder().maxAttempts(this.maxAttempts).initialDelay(this.initialDelay).maxDelay(this.maxDelay)
			.multiplier(this.multiplier).jitterRatio(this.jitterRatio).jitterSource(this.jitterSource);
	}

	@Override
	public String toString() {
		return "RetryPolicy[maxAttempts=" + this.maxAttempts + ", initialDelay=" + this.initialDelay + ", maxDelay="
				+ this.maxDelay + ", multiplier=" + this.multiplier + ", jitterRatio=" + this.jitterRatio + "]";
	}

	/**
	 * Builds a {@link RetryPolicy}; starts from the defaults.
	 *
	 * @since 0.1.0
	 */
	public static final class Builder {

		private int maxAttempts = DEFAULT_MAX_ATTEMPTS;

		private Duration initialDelay = DEFAULT_INITIAL_DELAY;

		private Duration maxDelay = DEFAULT_MAX_DELAY;

		private double multiplier = DEFAULT_MULTIPLIER;

		private double jitterRatio = DEFAULT_JITTER_RATIO;

		private DoubleSupplier jitterSource = () -> ThreadLocalRandom.current().nextDouble();

		private Builder() {
		}

		/** @param maxAttempts attempts in all, the first included; at least 1 */
		public Builder maxAttempts(int maxAttempts) {
			this.maxAttempts = maxAttempts;
			return this;
		}

		/** @param initialDelay delay after the first failure; not negative */
		public Builder initialDelay(Duration initialDelay) {
			this.initialDelay = initialDelay;
			return this;
		}

		/** @param maxDelay upper bound of any delay; not shorter than the initial delay */
		public Builder maxDelay(Duration maxDelay) {
			this.maxDelay = maxDelay;
			return this;
		}

		/** @param multiplier growth factor between consecutive delays; at least 1.0 */
		public Builder multiplier(double multiplier) {
			this.multiplier = multiplier;
			return this;
		}

		/** @param jitterRatio fraction of a delay by which it may move either way; 0.0 to 1.0 */
		public Builder jitterRatio(double jitterRatio) {
			this.jitterRatio = jitterRatio;
			return this;
		}

		/**
		 * @param jitterSource source of values in {@code [0, 1)}; thread-safe. Tests pass a seeded or fixed source.
		 */
		public Builder jitterSource(DoubleSupplier jitterSource) {
			this.jitterSource = jitterSource;
			return this;
		}

		/**
		 * Validate and build.
		 * @return the policy
		 * @throws IllegalArgumentException naming the first invalid value
		 */
		public RetryPolicy build() {
			return new RetryPolicy(this);
		}

	}

}
