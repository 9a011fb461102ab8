package io.offlinesync;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An operation the application wants delivered, before the outbox has stored it. Immutable; the {@code with…}
 * methods return copies.
 *
 * <pre class="code">
 * outbox.enqueue(NewOperation.of("http.post", "/api/messages", "{\"text\":\"hello\"}")
 *     .withOrderingKey("conversation-42"));
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

	private final String kind;

	private final String target;

	private final String payload;

	private final Map<String, String> headers;

	private final String idempotencyKey;

	private final String orderingKey;

	private NewOperation(String kind, String target, String payload, Map<String, String> headers,
			String idempotencyKey, String orderingKey) {
		this.kind = kind;
		this.target = target;
		this.payload = payload;
		this.headers = headers;
		this.idempotencyKey = idempotencyKey;
		this.orderingKey = orderingKey;
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
		return new NewOperation(kind, target, payload, Map.of(), null, null);
	}

	private static void requireText(String name, String value) {
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
				this.idempotencyKey, this.orderingKey);
	}

	/**
	 * A copy with the key a receiver uses to drop repeats. Without one, the operation id is used.
	 * @param idempotencyKey the key; must not be blank
	 * @return the copy
	 */
	public NewOperation withIdempotencyKey(String idempotencyKey) {
		requireText("idempotencyKey", idempotencyKey);
		return new NewOperation(this.kind, this.target, this.payload, this.headers, idempotencyKey, this.orderingKey);
	}

	/**
	 * A copy with an ordering key: operations sharing one are delivered one at a time, in enqueue order.
	 * @param orderingKey the key; must not be blank
	 * @return the copy
	 */
	public NewOperation withOrderingKey(String orderingKey) {
		requireText("orderingKey", orderingKey);
		return new NewOperation(this.kind, this.target, this.payload, this.headers, this.idempotencyKey, orderingKey);
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
	public String idempotencyKey() {
		return this.idempotencyKey;
	}

	/** @return the ordering key, or {@literal null} */
	public String orderingKey() {
		return this.orderingKey;
	}

	@Override
	public String toString() {
		return "NewOperation[kind=" + this.kind + ", target=" + this.target + ", payload=" + this.payload.length()
				+ " chars]";
	}

}
