package io.offlinesync;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * The checks an operation passes before it is stored: limits, text every store keeps exactly, the application's
 * own validators. Each refusal names the field, the limit and, in a batch, which operation.
 */
final class NewOperationChecks {

	private final OutboxConfig config;

	NewOperationChecks(OutboxConfig config) {
		this.config = config;
	}

	/**
	 * Refuse an operation that could not be stored exactly or breaks a limit.
	 * @param operation the operation
	 * @param index its place in the enqueue
	 * @param count how many are enqueued together
	 * @throws InvalidOperationException naming the problem and, in a batch, the operation
	 */
	void check(NewOperation operation, int index, int count) {
		if (operation == null) {
			throw new InvalidOperationException("Operation " + (index + 1) + " of " + count + " is null");
		}
		requireStorable("kind", operation.kind(), NewOperation.MAX_KIND_LENGTH, index, count);
		requireStorable("target", operation.target(), NewOperation.MAX_TARGET_LENGTH, index, count);
		requireStorable("payload", operation.payload(), Integer.MAX_VALUE, index, count);
		if (operation.headers().size() > NewOperation.MAX_HEADERS) {
			throw new InvalidOperationException("An operation may have at most " + NewOperation.MAX_HEADERS
					+ " headers but has " + operation.headers().size() + where(index, count));
		}
		for (Map.Entry<String, String> header : operation.headers().entrySet()) {
			requireStorable("header name", header.getKey(), NewOperation.MAX_HEADER_NAME_LENGTH, index, count);
			requireStorable("header '" + header.getKey() + "'", header.getValue(), NewOperation.MAX_HEADER_VALUE_LENGTH,
					index, count);
			if (containsLineBreak(header.getKey()) || containsLineBreak(header.getValue())) {
				throw new InvalidOperationException(
						"Header '" + header.getKey() + "' must not contain a line break" + where(index, count));
			}
		}
		if (operation.idempotencyKey() != null) {
			requireStorable("idempotencyKey", operation.idempotencyKey(), NewOperation.MAX_KEY_LENGTH, index, count);
		}
		if (operation.orderingKey() != null) {
			requireStorable("orderingKey", operation.orderingKey(), NewOperation.MAX_KEY_LENGTH, index, count);
		}
		String traceProblem = traceContextProblem(operation.traceContext());
		if (traceProblem != null) {
			throw new InvalidOperationException(traceProblem + where(index, count));
		}
		// A char takes at most three bytes in UTF-8: most payloads need not be counted.
		if (3L * operation.payload().length() > this.config.maxPayloadBytes()) {
			long bytes = utf8Length(operation.payload());
			if (bytes > this.config.maxPayloadBytes()) {
				throw new InvalidOperationException("'payload' is " + bytes + " bytes in UTF-8, over the limit of "
						+ this.config.maxPayloadBytes() + " bytes" + where(index, count));
			}
		}
		for (OperationValidator validator : this.config.validators()) {
			try {
				validator.validate(operation);
			}
			catch (InvalidOperationException ex) {
				throw (count > 1) ? new InvalidOperationException(ex.getMessage() + where(index, count)) : ex;
			}
		}
	}

	/** @return when the operation expires: its own expiry, its time to live or its kind's, or {@literal null} */
	static @Nullable Instant expiresAt(NewOperation operation, KindDefaults defaults, Instant now, int index,
			int count) {
		Instant expiresAt = operation.expiresAt();
		if (expiresAt != null) {
			if (!expiresAt.isAfter(now)) {
				throw new InvalidOperationException("'expiresAt' " + expiresAt + " has passed (now is " + now + ")"
						+ where(index, count));
			}
			return expiresAt;
		}
		Duration timeToLive = (operation.timeToLive() != null) ? operation.timeToLive() : defaults.timeToLive();
		return (timeToLive != null) ? now.plus(timeToLive) : null;
	}

	/** @return what keeps a trace context from being stored, or {@literal null} if nothing does */
	static @Nullable String traceContextProblem(Map<String, String> trace) {
		if (trace.size() > NewOperation.MAX_TRACE_CONTEXT_FIELDS) {
			return "'traceContext' has " + trace.size() + " fields, over the limit of "
					+ NewOperation.MAX_TRACE_CONTEXT_FIELDS;
		}
		for (Map.Entry<String, String> field : trace.entrySet()) {
			if (field.getKey() == null || field.getValue() == null || field.getKey().isBlank()) {
				return "'traceContext' has a blank name or a null value";
			}
			boolean tooLong = field.getKey().length() > NewOperation.MAX_HEADER_NAME_LENGTH
					|| field.getValue().length() > NewOperation.MAX_HEADER_VALUE_LENGTH;
			boolean notHeaderText = loneSurrogateAt(field.getKey()) >= 0 || loneSurrogateAt(field.getValue()) >= 0
					|| containsLineBreak(field.getKey()) || containsLineBreak(field.getValue());
			if (tooLong || notHeaderText) {
				return "'traceContext' field '" + field.getKey() + "' is longer than a header may be, or not text a "
						+ "header can carry";
			}
		}
		return null;
	}

	/** Where in a batch an operation is, for messages; built only when one is thrown. */
	private static String where(int index, int count) {
		return (count > 1) ? " (operation " + (index + 1) + " of " + count + ")" : "";
	}

	/**
	 * Refuse text over its limit, and lone surrogates: they have no UTF-8 form, so a store would silently replace
	 * them and the text read back would differ from the text enqueued.
	 */
	private static void requireStorable(String field, String value, int maxLength, int index, int count) {
		if (value.length() > maxLength) {
			throw new InvalidOperationException("'" + field + "' is " + value.length() + " chars long, over the limit of "
					+ maxLength + where(index, count));
		}
		int at = loneSurrogateAt(value);
		if (at >= 0) {
			throw loneSurrogate(field, value, at, index, count);
		}
	}

	/** @return the index of the first lone surrogate, or -1 */
	private static int loneSurrogateAt(String value) {
		for (int i = 0; i < value.length(); i++) {
			char c = value.charAt(i);
			if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
				i++;
			}
			else if (Character.isSurrogate(c)) {
				return i;
			}
		}
		return -1;
	}

	private static InvalidOperationException loneSurrogate(String field, String value, int at, int index, int count) {
		return new InvalidOperationException("'" + field + "' contains a lone surrogate (U+"
				+ Integer.toHexString(value.charAt(at)).toUpperCase() + ") at index " + at + where(index, count)
				+ "; it is not valid Unicode text and could not be stored exactly");
	}

	private static boolean containsLineBreak(String value) {
		return value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0;
	}

	private static long utf8Length(String value) {
		long bytes = 0;
		for (int i = 0; i < value.length(); i++) {
			char c = value.charAt(i);
			if (c < 0x80) {
				bytes += 1;
			}
			else if (c < 0x800) {
				bytes += 2;
			}
			else if (Character.isHighSurrogate(c)) {
				bytes += 4;
				i++;
			}
			else {
				bytes += 3;
			}
		}
		return bytes;
	}

}
