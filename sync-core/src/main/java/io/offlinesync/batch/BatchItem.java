package io.offlinesync.batch;

import java.util.Map;
import java.util.Objects;

import io.offlinesync.Operation;

/**
 * One operation of a batch, as it travels.
 *
 * @param idempotencyKey the key the receiver drops repeats by
 * @param kind what to do
 * @param target where
 * @param headers extra headers, never {@literal null}
 * @param payload the payload text
 * @since 0.1.0
 */
public record BatchItem(String idempotencyKey, String kind, String target, Map<String, String> headers,
		String payload) {

	public BatchItem {
		Objects.requireNonNull(idempotencyKey, "'idempotencyKey' must not be null");
		Objects.requireNonNull(kind, "'kind' must not be null");
		Objects.requireNonNull(target, "'target' must not be null");
		headers = (headers != null) ? Map.copyOf(headers) : Map.of();
		Objects.requireNonNull(payload, "'payload' must not be null");
	}

	/**
	 * @param operation a claimed operation
	 * @return it as a batch item
	 */
	public static BatchItem of(Operation operation) {
		return new BatchItem(operation.idempotencyKey(), operation.kind(), operation.target(), operation.headers(),
				operation.payload());
	}

}
