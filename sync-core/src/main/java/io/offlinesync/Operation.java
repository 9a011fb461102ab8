package io.offlinesync;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * One stored unit of work and its delivery state. Immutable: every state change produces a new instance.
 *
 * <p>Ids are unique across processes and restarts and sort by creation time, so ordering by id is ordering by
 * enqueue. Timestamps are wall-clock instants because they are persisted.
 *
 * @since 0.1.0
 */
public final class Operation {

	private final String id;

	private final String kind;

	private final String target;

	private final String payload;

	private final Map<String, String> headers;

	private final String idempotencyKey;

	private final @Nullable String orderingKey;

	private final OperationStatus status;

	private final int attempt;

	private final @Nullable String lastError;

	private final @Nullable String claimToken;

	private final Instant nextAttemptAt;

	private final Instant createdAt;

	private final Instant updatedAt;

	private final int priority;

	private final @Nullable Instant expiresAt;

	private final Map<String, String> traceContext;

	private Operation(Builder builder) {
		this.id = requireText(builder.id, "id");
		this.kind = requireText(builder.kind, "kind");
		this.target = requireText(builder.target, "target");
		this.payload = Objects.requireNonNull(builder.payload, "'payload' must not be null");
		// Headers taken from another operation are already an unmodifiable copy: shared, not copied again.
		this.headers = builder.headers.isEmpty() ? Map.of()
				: builder.headersOfAnOperation ? builder.headers
						: Collections.unmodifiableMap(new LinkedHashMap<>(builder.headers));
		this.idempotencyKey = (builder.idempotencyKey != null) ? builder.idempotencyKey : this.id;
		this.orderingKey = builder.orderingKey;
		this.status = Objects.requireNonNull(builder.status, "'status' must not be null");
		if (builder.attempt < 0) {
			throw new IllegalArgumentException("'attempt' must not be negative but was " + builder.attempt);
		}
		this.attempt = builder.attempt;
		this.lastError = builder.lastError;
		this.claimToken = builder.claimToken;
		if ((this.status == OperationStatus.IN_FLIGHT) != (this.claimToken != null)) {
			throw new IllegalArgumentException("'claimToken' must be set exactly when the status is IN_FLIGHT, but status was "
					+ this.status + " and claimToken was " + this.claimToken);
		}
		this.createdAt = Objects.requireNonNull(builder.createdAt, "'createdAt' must not be null");
		this.updatedAt = (builder.updatedAt != null) ? builder.updatedAt : this.createdAt;
		this.nextAttemptAt = (builder.nextAttemptAt != null) ? builder.nextAttemptAt : this.createdAt;
		if (builder.priority < NewOperation.LOWEST_PRIORITY || builder.priority > NewOperation.HIGHEST_PRIORITY) {
			throw new IllegalArgumentException("'priority' must be between " + NewOperation.LOWEST_PRIORITY + " and "
					+ NewOperation.HIGHEST_PRIORITY + " but was " + builder.priority);
		}
		this.priority = builder.priority;
		this.expiresAt = builder.expiresAt;
		this.traceContext = builder.traceContext.isEmpty() ? Map.of()
				: builder.traceContextOfAnOperation ? builder.traceContext
						: Collections.unmodifiableMap(new LinkedHashMap<>(builder.traceContext));
	}

	private static String requireText(@Nullable String value, String name) {
		if (value == null || value.isBlank()) {
			throw new IllegalArgumentException("'" + name + "' must not be blank but was " + quote(value));
		}
		return value;
	}

	private static String quote(@Nullable String value) {
		return (value != null) ? "'" + value + "'" : "null";
	}

	/**
	 * Start building an operation. For store implementations and tests; applications enqueue a {@link NewOperation}.
	 * @return a new builder
	 */
	public static Builder builder() {
		return new Builder();
	}

	/**
	 * A builder that starts from this operation's values.
	 * @return a new builder
	 */
	public Builder toBuilder() {
		return new Builder(this);
	}

	/** @return the unique, creation-ordered id */
	public String id() {
		return this.id;
	}

	/** @return what to do, for example {@code http.post} */
	public String kind() {
		return this.kind;
	}

	/** @return where to do it, for example {@code /api/messages} */
	public String target() {
		return this.target;
	}

	/** @return the payload text, never {@literal null} */
	public String payload() {
		return this.payload;
	}

	/** @return extra headers for the transport, unmodifiable, never {@literal null} */
	public Map<String, String> headers() {
		return this.headers;
	}

	/** @return the key a receiver uses to drop repeats; the id unless the application chose one */
	public String idempotencyKey() {
		return this.idempotencyKey;
	}

	/** @return the ordering key, or {@literal null}: operations sharing one are delivered one at a time, in order */
	public @Nullable String orderingKey() {
		return this.orderingKey;
	}

	/** @return the delivery status */
	public OperationStatus status() {
		return this.status;
	}

	/** @return how many delivery attempts have been started */
	public int attempt() {
		return this.attempt;
	}

	/** @return the error of the last failed attempt, or {@literal null} */
	public @Nullable String lastError() {
		return this.lastError;
	}

	/** @return the token of the current claim while {@link OperationStatus#IN_FLIGHT}, otherwise {@literal null} */
	public @Nullable String claimToken() {
		return this.claimToken;
	}

	/** @return the earliest time the next attempt may start */
	public Instant nextAttemptAt() {
		return this.nextAttemptAt;
	}

	/** @return when the operation was enqueued */
	public Instant createdAt() {
		return this.createdAt;
	}

	/** @return when the operation last changed */
	public Instant updatedAt() {
		return this.updatedAt;
	}

	/**
	 * @return from {@link NewOperation#LOWEST_PRIORITY} to {@link NewOperation#HIGHEST_PRIORITY}: due operations of a
	 * higher priority are claimed first
	 */
	public int priority() {
		return this.priority;
	}

	/** @return when it stops being worth sending, or {@literal null} if never */
	public @Nullable Instant expiresAt() {
		return this.expiresAt;
	}

	/** @return the trace context it was enqueued in, as propagation fields; empty if none, never {@literal null} */
	public Map<String, String> traceContext() {
		return this.traceContext;
	}

	/**
	 * Whether the operation may be claimed at the given time, not counting ordering-key precedence.
	 * @param now the current time
	 * @return whether it is claimable and due
	 */
	public boolean isDue(Instant now) {
		return this.status.isClaimable() && !this.nextAttemptAt.isAfter(now);
	}

	@Override
	public boolean equals(Object other) {
		if (this == other) {
			return true;
		}
		if (!(other instanceof Operation)) {
			return false;
		}
		Operation that = (Operation) other;
		return this.attempt == that.attempt && this.id.equals(that.id) && this.kind.equals(that.kind)
				&& this.target.equals(that.target) && this.payload.equals(that.payload)
				&& this.headers.equals(that.headers) && this.idempotencyKey.equals(that.idempotencyKey)
				&& Objects.equals(this.orderingKey, that.orderingKey) && this.status == that.status
				&& Objects.equals(this.lastError, that.lastError) && Objects.equals(this.claimToken, that.claimToken)
				&& this.nextAttemptAt.equals(that.nextAttemptAt) && this.createdAt.equals(that.createdAt)
				&& this.updatedAt.equals(that.updatedAt) && this.priority == that.priority
				&& Objects.equals(this.expiresAt, that.expiresAt) && this.traceContext.equals(that.traceContext);
	}

	@Override
	public int hashCode() {
		return Objects.hash(this.id, this.status, this.attempt, this.updatedAt);
	}

	@Override
	public String toString() {
		// The payload may be large or sensitive: its length is enough to identify it in a log.
		return "Operation[id=" + this.id + ", kind=" + this.kind + ", target=" + this.target + ", status=" + this.status
				+ ", attempt=" + this.attempt + ", payload=" + this.payload.length() + " chars"
				+ ((this.orderingKey != null) ? ", orderingKey=" + this.orderingKey : "")
				+ ((this.priority != NewOperation.DEFAULT_PRIORITY) ? ", priority=" + this.priority : "")
				+ ((this.expiresAt != null) ? ", expiresAt=" + this.expiresAt : "")
				+ ((this.lastError != null) ? ", lastError=" + this.lastError : "") + ", nextAttemptAt="
				+ this.nextAttemptAt + "]";
	}

	/**
	 * Builds an {@link Operation}; {@link #build()} validates the result.
	 *
	 * @since 0.1.0
	 */
	public static final class Builder {

		private @Nullable String id;

		private @Nullable String kind;

		private @Nullable String target;

		private String payload = "";

		private Map<String, String> headers = Map.of();

		private boolean headersOfAnOperation;

		private @Nullable String idempotencyKey;

		private @Nullable String orderingKey;

		private OperationStatus status = OperationStatus.PENDING;

		private int attempt;

		private @Nullable String lastError;

		private @Nullable String claimToken;

		private @Nullable Instant nextAttemptAt;

		private @Nullable Instant createdAt;

		private @Nullable Instant updatedAt;

		private int priority = NewOperation.DEFAULT_PRIORITY;

		private @Nullable Instant expiresAt;

		private Map<String, String> traceContext = Map.of();

		private boolean traceContextOfAnOperation;

		private Builder() {
		}

		private Builder(Operation operation) {
			this.id = operation.id;
			this.kind = operation.kind;
			this.target = operation.target;
			this.payload = operation.payload;
			this.headers = operation.headers;
			this.headersOfAnOperation = true;
			this.idempotencyKey = operation.idempotencyKey;
			this.orderingKey = operation.orderingKey;
			this.status = operation.status;
			this.attempt = operation.attempt;
			this.lastError = operation.lastError;
			this.claimToken = operation.claimToken;
			this.nextAttemptAt = operation.nextAttemptAt;
			this.createdAt = operation.createdAt;
			this.updatedAt = operation.updatedAt;
			this.priority = operation.priority;
			this.expiresAt = operation.expiresAt;
			this.traceContext = operation.traceContext;
			this.traceContextOfAnOperation = true;
		}

		public Builder id(String id) {
			this.id = id;
			return this;
		}

		public Builder kind(String kind) {
			this.kind = kind;
			return this;
		}

		public Builder target(String target) {
			this.target = target;
			return this;
		}

		public Builder payload(String payload) {
			this.payload = payload;
			return this;
		}

		public Builder headers(Map<String, String> headers) {
			this.headers = Objects.requireNonNull(headers, "'headers' must not be null");
			this.headersOfAnOperation = false;
			return this;
		}

		public Builder idempotencyKey(@Nullable String idempotencyKey) {
			this.idempotencyKey = idempotencyKey;
			return this;
		}

		public Builder orderingKey(@Nullable String orderingKey) {
			this.orderingKey = orderingKey;
			return this;
		}

		public Builder status(OperationStatus status) {
			this.status = status;
			return this;
		}

		public Builder attempt(int attempt) {
			this.attempt = attempt;
			return this;
		}

		public Builder lastError(@Nullable String lastError) {
			this.lastError = lastError;
			return this;
		}

		public Builder claimToken(@Nullable String claimToken) {
			this.claimToken = claimToken;
			return this;
		}

		public Builder nextAttemptAt(@Nullable Instant nextAttemptAt) {
			this.nextAttemptAt = nextAttemptAt;
			return this;
		}

		public Builder createdAt(Instant createdAt) {
			this.createdAt = createdAt;
			return this;
		}

		public Builder updatedAt(@Nullable Instant updatedAt) {
			this.updatedAt = updatedAt;
			return this;
		}

		public Builder priority(int priority) {
			this.priority = priority;
			return this;
		}

		public Builder expiresAt(@Nullable Instant expiresAt) {
			this.expiresAt = expiresAt;
			return this;
		}

		public Builder traceContext(Map<String, String> traceContext) {
			this.traceContext = Objects.requireNonNull(traceContext, "'traceContext' must not be null");
			this.traceContextOfAnOperation = false;
			return this;
		}

		/**
		 * Validate and build.
		 * @return the operation
		 * @throws IllegalArgumentException if a required value is missing or values contradict each other
		 */
		public Operation build() {
			return new Operation(this);
		}

	}

}
