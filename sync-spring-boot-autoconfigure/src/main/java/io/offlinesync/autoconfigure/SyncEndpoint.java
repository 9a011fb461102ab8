package io.offlinesync.autoconfigure;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
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
import org.springframework.boot.convert.DurationStyle;

import io.offlinesync.Operation;
import io.offlinesync.OperationFilter;
import io.offlinesync.OperationStateException;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.OutboxStats;
import io.offlinesync.SyncEngine;

/**
 * The {@code sync} Actuator endpoint: lists operations by status and shows one; once its access is opened with
 * {@code management.endpoint.sync.access=unrestricted}, retries a parked operation or discards one
 * ({@code POST}/{@code DELETE /actuator/sync/{id}}), and takes an action as a JSON body on
 * {@code POST /actuator/sync}: {@code {"action":"pause"}}, {@code {"action":"resume"}}, or a bulk
 * {@code {"action":"retry"}} / {@code {"action":"discard"}} with optional filters {@code status} (comma-separated,
 * {@code permanently_failed} by default), {@code kind}, {@code targetPrefix}, {@code errorContains},
 * {@code olderThan} (such as {@code 2h} or {@code PT2H}), {@code limit} (1000 by default) and {@code dryRun}.
 * Read-only by default. Payloads are hidden unless {@code sync.endpoint.show-payloads=true}.
 *
 * @since 0.1.0
 */
@Endpoint(id = "sync", defaultAccess = Access.READ_ONLY)
public class SyncEndpoint {

	private static final int DEFAULT_LIMIT = 50;

	private static final int MAX_LIMIT = 1_000;

	private final Outbox outbox;

	private final @Nullable SyncEngine engine;

	private final boolean showPayloads;

	private final Clock clock;

	SyncEndpoint(Outbox outbox, @Nullable SyncEngine engine, boolean showPayloads, Clock clock) {
		this.outbox = outbox;
		this.engine = engine;
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
		result.put("paused", this.engine != null && this.engine.isPaused());
		result.put("quarantined", this.outbox.quarantined().stream().map(SyncHealthIndicator::describe).toList());
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
			throw new InvalidEndpointRequestException(String.valueOf(ex.getMessage()), "Operation cannot be retried");
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
			throw new InvalidEndpointRequestException(String.valueOf(ex.getMessage()), "Operation cannot be discarded");
		}
	}

	/**
	 * Pause or resume delivery, or retry or discard many operations at once.
	 * @param action {@code pause}, {@code resume}, {@code retry} or {@code discard}
	 * @param status for retry and discard: the statuses, comma-separated; {@code permanently_failed} by default
	 * @param kind only this kind
	 * @param targetPrefix only targets that start so
	 * @param errorContains only operations whose last error contains this
	 * @param olderThan only operations enqueued longer ago than this
	 * @param limit the most operations to touch, 1 to 100000; 1000 by default
	 * @param dryRun count what would be touched, and touch nothing
	 * @return what was done
	 */
	@WriteOperation
	public Map<String, Object> act(String action, @Nullable String status, @Nullable String kind,
			@Nullable String targetPrefix, @Nullable String errorContains, @Nullable String olderThan,
			@Nullable Integer limit, @Nullable Boolean dryRun) {
		String verb = action.trim().toLowerCase(Locale.ROOT);
		Map<String, Object> result = new LinkedHashMap<>();
		result.put("action", verb);
		switch (verb) {
			case "pause" -> {
				requireEngine(verb).pause();
				result.put("paused", true);
			}
			case "resume" -> {
				requireEngine(verb).resume();
				result.put("paused", false);
			}
			case "retry", "discard" -> {
				OperationFilter filter = filter(status, kind, targetPrefix, errorContains, olderThan, limit);
				boolean dry = Boolean.TRUE.equals(dryRun);
				result.put("filter", filter.toString());
				result.put("dryRun", dry);
				if (dry) {
					result.put("matched", this.outbox.count(filter));
				}
				else if (verb.equals("retry")) {
					result.put("retried", this.outbox.retryAll(filter));
				}
				else {
					result.put("discarded", this.outbox.discardAll(filter));
				}
			}
			default -> throw new InvalidEndpointRequestException("Unknown action '" + action
					+ "'; use pause, resume, retry or discard", "Invalid action");
		}
		return result;
	}

	private SyncEngine requireEngine(String action) {
		if (this.engine == null) {
			throw new InvalidEndpointRequestException("Cannot " + action + ": this application has no delivery engine",
					"No engine");
		}
		return this.engine;
	}

	private OperationFilter filter(@Nullable String status, @Nullable String kind, @Nullable String targetPrefix,
			@Nullable String errorContains, @Nullable String olderThan, @Nullable Integer limit) {
		try {
			Set<OperationStatus> statuses = new LinkedHashSet<>();
			for (String name : ((status != null) ? status : "permanently_failed").split(",")) {
				statuses.add(parseStatus(name));
			}
			OperationFilter filter = OperationFilter.withStatuses(statuses);
			if (kind != null) {
				filter = filter.withKind(kind);
			}
			if (targetPrefix != null) {
				filter = filter.withTargetPrefix(targetPrefix);
			}
			if (errorContains != null) {
				filter = filter.withErrorContaining(errorContains);
			}
			if (olderThan != null) {
				filter = filter.createdBefore(this.clock.instant().minus(parseDuration(olderThan)));
			}
			return (limit != null) ? filter.withLimit(limit) : filter;
		}
		catch (IllegalArgumentException ex) {
			throw new InvalidEndpointRequestException(String.valueOf(ex.getMessage()), "Invalid filter");
		}
	}

	private static Duration parseDuration(String text) {
		try {
			return DurationStyle.detectAndParse(text.trim());
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalArgumentException("'olderThan' must be a duration such as 2h or PT2H but was '" + text + "'");
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
