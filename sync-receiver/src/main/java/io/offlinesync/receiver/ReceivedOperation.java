package io.offlinesync.receiver;

import java.util.Map;
import java.util.Objects;

import io.offlinesync.batch.BatchItem;

/**
 * An operation as it arrived.
 *
 * @param idempotencyKey the key the sender gave it; repeats of a delivery carry the same one
 * @param kind what to do, for example {@code http.post}
 * @param target where, for example {@code /notes}
 * @param headers its headers, never {@literal null}
 * @param payload its payload
 * @since 0.1.0
 */
public record ReceivedOperation(String idempotencyKey, String kind, String target, Map<String, String> headers,
		String payload) {

	public ReceivedOperation {
		if (idempotencyKey == null || idempotencyKey.isBlank()) {
			throw new IllegalArgumentException("An operation needs an idempotency key to drop its repeats by");
		}
		Objects.requireNonNull(kind, "'kind' must not be null");
		Objects.requireNonNull(target, "'target' must not be null");
		headers = (headers != null) ? Map.copyOf(headers) : Map.of();
		Objects.requireNonNull(payload, "'payload' must not be null");
	}

	static ReceivedOperation of(BatchItem item) {
		return new ReceivedOperation(item.idempotencyKey(), item.kind(), item.target(), item.headers(), item.payload());
	}

}
