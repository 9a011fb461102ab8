package io.offlinesync;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * An operation the application wants delivered, before the outbox has stored it. Immutable; the {@code with…}
 * methods return copies.
 *
 * <pre class="code">
 * outbox.enqueue(NewOperation.of("http.post", "/api/messages", "{\"text\":\"hello\"}")
 *     .withOrderingKey("conversation-42")
 *     .withPriority(NewOperation.HIGHEST_PRIORITY)
 *     .withTimeToLive(Duration.ofMinutes(10)));
 * </pre>
 *
 * @since 0.1.0
 */
public final class NewOperation {

	/** The longest kind, in chars. */
	public static final int MAX_KIND_LENGTH = 200;

	/** The longest target, in chars. */
	public static final int MAX_TARGET_LENGTH = 8_192;

	/** The most headers. */
	public static final int MAX_HEADERS = 64;

	/** The longest header name, in chars. */
	public static final int MAX_HEADER_NAME_LENGTH = 256;

	/** The longest header value, in chars. */
	public static final int MAX_HEADER_VALUE_LENGTH = 8_192;

	/** The longest idempotency key or ordering key, in chars. */
	public static final int MAX_KEY_LENGTH = 256;

	/** The largest payload any outbox accepts, in UTF-8 bytes; {@link OutboxConfig#maxPayloadBytes()} is lower. */
	public static final int MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

	/** The lowest priority: claimed after every due operation of a higher one. */
	public static final int LOWEST_PRIORITY = 1;

	/** The priority of an operation that names none, and of every operation enqueued before priorities existed. */
	public static final int DEFAULT_PRIORITY = 5;

	/** The highest priority: claimed before every due operation of a lower one. */
	public static final int HIGHEST_PRIORITY = 9;

	/** The most trace context fields an operation keeps. */
	public static final int MAX_TRACE_CONTEXT_FIELDS = 8;

	private final String kind;

	private final String target;

	private final String payload;

	private final Map<String, String> headers;

	private final @Nullable String idempotencyKey;

	private final @Nullable String orderingKey;

	private final @Nullable Integer priority;

	private final @Nullable Instant expiresAt;

	private final @Nullable Duration timeToLive;

	private final Map<String, String> traceContext;

	private NewOperation(String kind, String target, String payload, Map<String, String> headers,
			@Nullable String idempotencyKey, @Nullable String orderingKey, @Nullable Integer priority,
			@Nullable Instant expiresAt, @Nullable Duration timeToLive,
			Map<String, String> traceContext) {
		this.kind = kind;
		this.target = target;
		this.payload = payload;
		this.headers = headers;
		this.idempotencyKey = idempotencyKey;
		this.orderingKey = orderingKey;
		this.priority = priority;
		this.expiresAt = expiresAt;
		this.timeToLive = timeToLive;
		this.traceContext = traceContext;
	}

	/**
	 * An operation of the given kind on the given target.
	 * @param kind what to do, for example {@code http.post}; must not be blank
	 * @param target where to do it, for example {@code /api/messages}; must not be blank
	 * @param payload the body; must not be {@literal null} (use an empty string for none)
	 * @return the operation
	 * @throws InvalidOperationException if an argument is blank or {@literal null}
	 */
	public static NewOperation of(String kind, String target, String payload) {
		requireText("kind", kind);
		requireText("target", target);
		if (payload == null) {
			throw new InvalidOperationException("'payload' must not be null (use an empty string for no payload)");
		}
		return new NewOperation(kind, target, payload, Map.of(), null, null, null, null, null, Map.of());
	}

	private static void requireText(String name, @Nullable String value) {
		if (value == null || value.isBlank()) {
			throw new InvalidOperationException(
					"'" + name + "' must not be blank but was " + ((value != null) ? "'" + value + "'" : "null"));
		}
	}

	/**
	 * A copy with one more header for the transport.
	 * @param name the header name; must not be blank
	 * @param value the header value; must not be {@literal null}
	 * @return the copy
	 */
	public NewOperation withHeader(String name, String value) {
		requireText("header name", name);
		if (value == null) {
			throw new InvalidOperationException("Header '" + name + "' must not have a null value");
		}
		Map<String, String> copy = new LinkedHashMap<>(this.headers);
		copy.put(name, value);
		return new NewOperation(this.kind, this.target, this.payload, Collections.unmodifiableMap(copy),
				this.idempotencyKey, this.orderingKey, this.priority, this.expiresAt, this.timeToLive,
				this.traceContext);
	}

	/**
	 * A copy with the key a receiver uses to drop repeats. Without one, the operation id is used.
	 * @param idempotencyKey the key; must not be blank
	 * @return the copy
	 */
	public NewOperation withIdempotencyKey(String idempotencyKey) {
		requireText("idempotencyKey", idempotencyKey);
		return new NewOperation(this.kind, this.target, this.payload, this.headers, idempotencyKey, this.orderingKey,
				this.priority, this.expiresAt, this.timeToLive, this.traceContext);
	}

	/**
	 * A copy with an ordering key: operations sharing one are delivered one at a time, in enqueue order.
	 * @param orderingKey the key; must not be blank
	 * @return the copy
	 */
	public NewOperation withOrderingKey(String orderingKey) {
		requireText("orderingKey", orderingKey);
		return new NewOperation(this.kind, this.target, this.payload, this.headers, this.idempotencyKey, orderingKey,
				this.priority, this.expiresAt, this.timeToLive, this.traceContext);
	}

	/**
	 * A copy with a priority: while a backlog drains, due operations of a higher priority are claimed first, oldest
	 * first within a priority. An operation never overtakes an earlier one of its ordering key. Without one, the
	 * kind's default applies ({@code sync.defaults.<kind>.priority}), else {@link #DEFAULT_PRIORITY}.
	 * @param priority from {@link #LOWEST_PRIORITY} to {@link #HIGHEST_PRIORITY}
	 * @return the copy
	 */
	public NewOperation withPriority(int priority) {
		requirePriority(priority);
		return new NewOperation(this.kind, this.target, this.payload, this.headers, this.idempotencyKey,
				this.orderingKey, priority, this.expiresAt, this.timeToLive, this.traceContext);
	}

	static void requirePriority(int priority) {
		if (priority < LOWEST_PRIORITY || priority > HIGHEST_PRIORITY) {
			throw new InvalidOperationException("'priority' must be between " + LOWEST_PRIORITY + " and "
					+ HIGHEST_PRIORITY + " but was " + priority);
		}
	}

	/**
	 * A copy that expires at an instant: not delivered by then, it is never sent again and ends
	 * {@link OperationStatus#EXPIRED}. A send under way when it expires finishes.
	 * @param expiresAt when it expires
	 * @return the copy, without a time to live
	 */
	public NewOperation withExpiresAt(Instant expiresAt) {
		Objects.requireNonNull(expiresAt, "'expiresAt' must not be null");
		return new NewOperation(this.kind, this.target, this.payload, this.headers, this.idempotencyKey,
				this.orderingKey, this.priority, expiresAt, null, this.traceContext);
	}

	/**
	 * A copy that expires this long after it is enqueued; see {@link #withExpiresAt}. Without an expiry, the kind's
	 * default applies ({@code sync.defaults.<kind>.time-to-live}), else it never expires.
	 * @param timeToLive how long it is worth sending; positive
	 * @return the copy, without an expiry instant
	 */
	public NewOperation withTimeToLive(Duration timeToLive) {
		if (timeToLive == null || timeToLive.isNegative() || timeToLive.isZero()) {
			throw new InvalidOperationException("'timeToLive' must be positive but was " + timeToLive);
		}
		return new NewOperation(this.kind, this.target, this.payload, this.headers, this.idempotencyKey,
				this.orderingKey, this.priority, null, timeToLive, this.traceContext);
	}

	/**
	 * A copy with the trace context to continue when it is delivered, as propagation fields (for example W3C
	 * {@code traceparent}). The outbox fills it from the current trace when tracing is set up; this sets it by hand.
	 * @param traceContext the fields; at most {@link #MAX_TRACE_CONTEXT_FIELDS}
	 * @return the copy
	 */
	public NewOperation withTraceContext(Map<String, String> traceContext) {
		Objects.requireNonNull(traceContext, "'traceContext' must not be null");
		return new NewOperation(this.kind, this.target, this.payload, this.headers, this.idempotencyKey,
				this.orderingKey, this.priority, this.expiresAt, this.timeToLive,
				Collections.unmodifiableMap(new LinkedHashMap<>(traceContext)));
	}

	public String kind() {
		return this.kind;
	}

	public String target() {
		return this.target;
	}

	public String payload() {
		return this.payload;
	}

	public Map<String, String> headers() {
		return this.headers;
	}

	/** @return the idempotency key, or {@literal null} to use the operation id */
	public @Nullable String idempotencyKey() {
		return this.idempotencyKey;
	}

	/** @return the ordering key, or {@literal null} */
	public @Nullable String orderingKey() {
		return this.orderingKey;
	}

	/** @return the priority, or {@literal null} for the kind's default */
	public @Nullable Integer priority() {
		return this.priority;
	}

	/** @return when it expires, or {@literal null} */
	public @Nullable Instant expiresAt() {
		return this.expiresAt;
	}

	/** @return how long after enqueue it expires, or {@literal null} */
	public @Nullable Duration timeToLive() {
		return this.timeToLive;
	}

	/** @return the trace context to continue, never {@literal null} */
	public Map<String, String> traceContext() {
		return this.traceContext;
	}

	@Override
	public String toString() {
		return "NewOperation[kind=" + this.kind + ", target=" + this.target + ", payload=" + this.payload.length()
				+ " chars]";
	}

}
