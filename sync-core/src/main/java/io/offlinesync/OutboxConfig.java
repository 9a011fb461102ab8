package io.offlinesync;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of an {@link Outbox}. Immutable and validated on construction.
 *
 * @since 0.1.0
 */
public final class OutboxConfig {

	/** Default largest payload, in UTF-8 bytes: 1 MiB. */
	public static final int DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

	private static final OutboxConfig DEFAULTS = builder().build();

	private final int maxPayloadBytes;

	private final RetryPolicy retryPolicy;

	private final List<OperationValidator> validators;

	private final Map<String, KindDefaults> kindDefaults;

	private final TraceContextCapture traceContextCapture;

	private OutboxConfig(Builder builder) {
		if (builder.maxPayloadBytes < 1 || builder.maxPayloadBytes > NewOperation.MAX_PAYLOAD_BYTES) {
			throw new IllegalArgumentException("'maxPayloadBytes' must be between 1 and " + NewOperation.MAX_PAYLOAD_BYTES
					+ " but was " + builder.maxPayloadBytes);
		}
		this.maxPayloadBytes = builder.maxPayloadBytes;
		this.retryPolicy = Objects.requireNonNull(builder.retryPolicy, "'retryPolicy' must not be null");
		this.validators = List.copyOf(builder.validators);
		this.kindDefaults = Map.copyOf(builder.kindDefaults);
		this.traceContextCapture = Objects.requireNonNull(builder.traceContextCapture,
				"'traceContextCapture' must not be null");
	}

	/** @return the default settings */
	public static OutboxConfig defaults() {
		return DEFAULTS;
	}

	/** @return a builder that starts from the defaults */
	public static Builder builder() {
		return new Builder();
	}

	/** @return the largest payload accepted, in UTF-8 bytes */
	public int maxPayloadBytes() {
		return this.maxPayloadBytes;
	}

	/** @return the retry policy */
	public RetryPolicy retryPolicy() {
		return this.retryPolicy;
	}

	/** @return the checks every enqueued operation passes, in order, besides the outbox's own */
	public List<OperationValidator> validators() {
		return this.validators;
	}

	/**
	 * @param kind an operation kind
	 * @return what operations of that kind get when they do not say otherwise
	 */
	public KindDefaults defaultsFor(String kind) {
		return this.kindDefaults.getOrDefault(kind, KindDefaults.NONE);
	}

	/** @return how the trace of an enqueue is captured */
	public TraceContextCapture traceContextCapture() {
		return this.traceContextCapture;
	}

	@Override
	public String toString() {
		return "OutboxConfig[maxPayloadBytes=" + this.maxPayloadBytes + ", retryPolicy=" + this.retryPolicy
				+ ", validators=" + this.validators + ", kindDefaults=" + this.kindDefaults + "]";
	}

	/**
	 * Builds an {@link OutboxConfig}.
	 *
	 * @since 0.1.0
	 */
	public static final class Builder {

		private int maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES;

		private RetryPolicy retryPolicy = RetryPolicy.defaults();

		private final List<OperationValidator> validators = new ArrayList<>();

		private final Map<String, KindDefaults> kindDefaults = new LinkedHashMap<>();

		private TraceContextCapture traceContextCapture = TraceContextCapture.NONE;

		private Builder() {
		}

		/**
		 * @param kind an operation kind
		 * @param defaults what its operations get when they do not say otherwise
		 * @return this builder
		 */
		public Builder kindDefaults(String kind, KindDefaults defaults) {
			this.kindDefaults.put(Objects.requireNonNull(kind, "'kind' must not be null"),
					Objects.requireNonNull(defaults, "'defaults' must not be null"));
			return this;
		}

		/**
		 * @param traceContextCapture how to capture the trace an operation is enqueued in; none by default
		 * @return this builder
		 */
		public Builder traceContextCapture(TraceContextCapture traceContextCapture) {
			this.traceContextCapture = traceContextCapture;
			return this;
		}

		/** @param maxPayloadBytes the largest payload, in UTF-8 bytes; 1 to {@link NewOperation#MAX_PAYLOAD_BYTES} */
		public Builder maxPayloadBytes(int maxPayloadBytes) {
			this.maxPayloadBytes = maxPayloadBytes;
			return this;
		}

		/** @param retryPolicy the retry policy */
		public Builder retryPolicy(RetryPolicy retryPolicy) {
			this.retryPolicy = retryPolicy;
			return this;
		}

		/**
		 * @param validator one more check every enqueued operation must pass, after the outbox's own
		 * @return this builder
		 */
		public Builder validator(OperationValidator validator) {
			this.validators.add(Objects.requireNonNull(validator, "'validator' must not be null"));
			return this;
		}

		/** @return the validated settings */
		public OutboxConfig build() {
			return new OutboxConfig(this);
		}

	}

}
