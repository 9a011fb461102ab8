package io.offlinesync;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * Which operations a bulk operator action ({@link Outbox#retryAll}, {@link Outbox#discardAll}, {@link Outbox#count})
 * applies to: statuses, and optionally a kind, a target prefix, a text the last error contains and a creation
 * cutoff; at most {@link #limit()} of them, oldest first. Immutable; the {@code with…} methods return copies.
 *
 * <pre class="code">
 * outbox.retryAll(OperationFilter.parked().withKind("http.post").withErrorContaining("HTTP 503"));
 * </pre>
 *
 * @since 0.1.0
 */
public final class OperationFilter {

	/** Default number of operations one bulk action touches at most. */
	public static final int DEFAULT_LIMIT = 1_000;

	/** Largest number of operations one bulk action may touch. */
	public static final int MAX_LIMIT = 100_000;

	private final Set<OperationStatus> statuses;

	private final @Nullable String kind;

	private final @Nullable String targetPrefix;

	private final @Nullable String errorContaining;

	private final @Nullable Instant createdBefore;

	private final int limit;

	private OperationFilter(Set<OperationStatus> statuses, @Nullable String kind, @Nullable String targetPrefix,
			@Nullable String errorContaining, @Nullable Instant createdBefore, int limit) {
		this.statuses = statuses;
		this.kind = kind;
		this.targetPrefix = targetPrefix;
		this.errorContaining = errorContaining;
		this.createdBefore = createdBefore;
		this.limit = limit;
	}

	/** @return parked operations ({@link OperationStatus#PERMANENTLY_FAILED}), up to the default limit */
	public static OperationFilter parked() {
		return withStatuses(Set.of(OperationStatus.PERMANENTLY_FAILED));
	}

	/**
	 * @param statuses the statuses to include; must not be empty
	 * @return operations in one of the statuses, up to the default limit
	 */
	public static OperationFilter withStatuses(Set<OperationStatus> statuses) {
		Objects.requireNonNull(statuses, "'statuses' must not be null");
		if (statuses.isEmpty()) {
			throw new IllegalArgumentException("'statuses' must not be empty");
		}
		return new OperationFilter(Set.copyOf(EnumSet.copyOf(statuses)), null, null, null, null, DEFAULT_LIMIT);
	}

	/**
	 * @param kind the kind, for example {@code http.post}
	 * @return a copy that also requires this kind
	 */
	public OperationFilter withKind(String kind) {
		return new OperationFilter(this.statuses, requireText("kind", kind), this.targetPrefix, this.errorContaining,
				this.createdBefore, this.limit);
	}

	/**
	 * @param targetPrefix how the target starts, for example {@code /api/orders/}
	 * @return a copy that also requires a target with this prefix
	 */
	public OperationFilter withTargetPrefix(String targetPrefix) {
		return new OperationFilter(this.statuses, this.kind, requireText("targetPrefix", targetPrefix),
				this.errorContaining, this.createdBefore, this.limit);
	}

	/**
	 * @param text what the last error contains, for example {@code HTTP 503} (case-sensitive)
	 * @return a copy that also requires a last error containing the text
	 */
	public OperationFilter withErrorContaining(String text) {
		return new OperationFilter(this.statuses, this.kind, this.targetPrefix, requireText("errorContaining", text),
				this.createdBefore, this.limit);
	}

	/**
	 * @param cutoff only operations enqueued before this instant
	 * @return a copy that also requires an older operation
	 */
	public OperationFilter createdBefore(Instant cutoff) {
		return new OperationFilter(this.statuses, this.kind, this.targetPrefix, this.errorContaining,
				Objects.requireNonNull(cutoff, "'createdBefore' must not be null"), this.limit);
	}

	/**
	 * @param limit the most operations the action touches, 1 to {@value #MAX_LIMIT}
	 * @return a copy with that limit
	 */
	public OperationFilter withLimit(int limit) {
		if (limit < 1 || limit > MAX_LIMIT) {
			throw new IllegalArgumentException("'limit' must be between 1 and " + MAX_LIMIT + " but was " + limit);
		}
		return new OperationFilter(this.statuses, this.kind, this.targetPrefix, this.errorContaining,
				this.createdBefore, limit);
	}

	private static String requireText(String name, @Nullable String value) {
		if (value == null || value.isEmpty()) {
			throw new IllegalArgumentException("'" + name + "' must not be empty");
		}
		return value;
	}

	/**
	 * @param operation an operation
	 * @return whether the filter selects it (the limit aside)
	 */
	public boolean matches(Operation operation) {
		return this.statuses.contains(operation.status()) && (this.kind == null || this.kind.equals(operation.kind()))
				&& (this.targetPrefix == null || operation.target().startsWith(this.targetPrefix))
				&& (this.errorContaining == null
						|| (operation.lastError() != null && operation.lastError().contains(this.errorContaining)))
				&& (this.createdBefore == null || operation.createdAt().isBefore(this.createdBefore));
	}

	/** @return the statuses included, never empty */
	public Set<OperationStatus> statuses() {
		return this.statuses;
	}

	/** @return the required kind, or {@literal null} */
	public @Nullable String kind() {
		return this.kind;
	}

	/** @return the required target prefix, or {@literal null} */
	public @Nullable String targetPrefix() {
		return this.targetPrefix;
	}

	/** @return the text the last error must contain, or {@literal null} */
	public @Nullable String errorContaining() {
		return this.errorContaining;
	}

	/** @return the creation cutoff, or {@literal null} */
	public @Nullable Instant createdBefore() {
		return this.createdBefore;
	}

	/** @return the most operations the action touches */
	public int limit() {
		return this.limit;
	}

	@Override
	public boolean equals(Object other) {
		return other instanceof OperationFilter that && this.statuses.equals(that.statuses)
				&& Objects.equals(this.kind, that.kind) && Objects.equals(this.targetPrefix, that.targetPrefix)
				&& Objects.equals(this.errorContaining, that.errorContaining)
				&& Objects.equals(this.createdBefore, that.createdBefore) && this.limit == that.limit;
	}

	@Override
	public int hashCode() {
		return Objects.hash(this.statuses, this.kind, this.targetPrefix, this.errorContaining, this.createdBefore,
				this.limit);
	}

	/** @return the filter as a log line shows it, for example {@code [status=permanently_failed, kind=http.post]} */
	@Override
	public String toString() {
		List<String> parts = new ArrayList<>();
		List<String> names = new ArrayList<>();
		EnumSet.copyOf(this.statuses).forEach((status) -> names.add(status.name().toLowerCase(Locale.ROOT)));
		parts.add("status=" + String.join("|", names));
		if (this.kind != null) {
			parts.add("kind=" + this.kind);
		}
		if (this.targetPrefix != null) {
			parts.add("targetPrefix=" + this.targetPrefix);
		}
		if (this.errorContaining != null) {
			parts.add("errorContaining=" + this.errorContaining);
		}
		if (this.createdBefore != null) {
			parts.add("createdBefore=" + this.createdBefore);
		}
		parts.add("limit=" + this.limit);
		return "[" + String.join(", ", parts) + "]";
	}

}
