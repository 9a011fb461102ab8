package io.offlinesync.autoconfigure;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

import io.offlinesync.Operation;
import io.offlinesync.OperationStateException;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.OutboxStats;

/**
 * The {@code sync} Actuator endpoint: lists operations by status, shows one, and (when its access is opened with
 * {@code management.endpoint.sync.access=unrestricted}) retries a parked operation or discards one. Read-only by
 * default. Payloads are hidden unless {@code sync.endpoint.show-payloads=true}.
 *
 * @since 0.1.0
 */
@Endpoint(id = "sync", defaultAccess = Access.READ_ONLY)
public class SyncEndpoint {

	private static final int DEFAULT_LIMIT = 50;

	private static final int MAX_LIMIT = 1_000;

	private final Outbox outbox;

	private final boolean showPayloads;

	private final Clock clock;

	SyncEndpoint(Outbox outbox, boolean showPayloads, Clock clock) {
		this.outbox = outbox;
		this.showPayloads = showPayloads;
		this.clock = clock;
	}

	/**
	 * The counts, and a page of operations in enqueue order.
	 * @param status only this status (case-insensitive), or all
	 * @param limit page size, 1 to 1000; 50 by default
	 * @param after continue after this id
	 * @return the summary and the page
	 */
	@ReadOperation
	public Map<String, Object> operations(@Nullable String status, @Nullable Integer limit, @Nullable String after) {
		int size = (limit != null) ? limit : DEFAULT_LIMIT;
		if (size < 1 || size > MAX_LIMIT) {
			throw new InvalidEndpointRequestException("'limit' must be between 1 and " + MAX_LIMIT + " but was " + size,
					"Invalid limit");
		}
		Set<OperationStatus> statuses = (status != null) ? Set.of(parseStatus(status)) : Set.of();
		OutboxStats stats = this.outbox.stats();
		Map<String, Long> counts = new LinkedHashMap<>();
		stats.counts().forEach((key, count) -> counts.put(key.name().toLowerCase(Locale.ROOT), count));
		List<Map<String, Object>> page = new ArrayList<>();
		for (Operation operation : this.outbox.list(statuses, after, size)) {
			page.add(describe(operation));
		}
		Map<String, Object> result = new LinkedHashMap<>();
		result.put("counts", counts);
		result.put("backlog", stats.backlog());
		result.put("oldestPendingAge", stats.oldestUndeliveredAge(this.clock.instant()).toString());
		result.put("operations", page);
		return result;
	}

	/**
	 * One operation.
	 * @param id its id
	 * @return the operation, or {@literal null} (404) if unknown
	 */
	@ReadOperation
	public @Nullable Map<String, Object> operation(@Selector String id) {
		return this.outbox.find(id).map(this::describe).orElse(null);
	}

	/**
	 * Make a parked or failed operation pending again, attempts reset.
	 * @param id its id
	 * @return the operation after the change
	 */
	@WriteOperation
	public Map<String, Object> retry(@Selector String id) {
		try {
			return describe(this.outbox.retry(id));
		}
		catch (OperationStateException ex) {
			throw new InvalidEndpointRequestException(ex.getMessage(), "Operation cannot be retried");
		}
	}

	/**
	 * Remove an operation that is not in flight.
	 * @param id its id
	 * @return the removed operation
	 */
	@DeleteOperation
	public Map<String, Object> discard(@Selector String id) {
		try {
			return describe(this.outbox.discard(id));
		}
		catch (OperationStateException ex) {
			throw new InvalidEndpointRequestException(ex.getMessage(), "Operation cannot be discarded");
		}
	}

	private static OperationStatus parseStatus(String status) {
		try {
			return OperationStatus.valueOf(status.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
		}
		catch (IllegalArgumentException ex) {
			throw new InvalidEndpointRequestException("Unknown status '" + status + "'; use one of "
					+ java.util.Arrays.toString(OperationStatus.values()).toLowerCase(Locale.ROOT), "Invalid status");
		}
	}

	private Map<String, Object> describe(Operation operation) {
		Map<String, Object> view = new LinkedHashMap<>();
		view.put("id", operation.id());
		view.put("status", operation.status().name().toLowerCase(Locale.ROOT));
		view.put("kind", operation.kind());
		view.put("target", operation.target());
		view.put("attempt", operation.attempt());
		view.put("lastError", operation.lastError());
		view.put("orderingKey", operation.orderingKey());
		view.put("idempotencyKey", operation.idempotencyKey());
		view.put("createdAt", operation.createdAt().toString());
		view.put("updatedAt", operation.updatedAt().toString());
		view.put("nextAttemptAt", operation.nextAttemptAt().toString());
		view.put("payloadLength", operation.payload().length());
		if (this.showPayloads) {
			view.put("payload", operation.payload());
		}
		return view;
	}

}
