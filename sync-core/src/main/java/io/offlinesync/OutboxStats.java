package io.offlinesync;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

/**
 * A snapshot of what an outbox holds: operations by status and the oldest undelivered one.
 *
 * @since 0.1.0
 */
public final class OutboxStats {

	private final Map<OperationStatus, Long> counts;

	private final @Nullable Instant oldestUndeliveredCreatedAt;

	/**
	 * Create a snapshot.
	 * @param counts operations by status; missing statuses count zero
	 * @param oldestUndeliveredCreatedAt creation time of the oldest operation that is still active, or
	 * {@literal null} if none is
	 */
	public OutboxStats(Map<OperationStatus, Long> counts, @Nullable Instant oldestUndeliveredCreatedAt) {
		EnumMap<OperationStatus, Long> copy = new EnumMap<>(OperationStatus.class);
		for (OperationStatus status : OperationStatus.values()) {
			copy.put(status, counts.getOrDefault(status, 0L));
		}
		this.counts = Collections.unmodifiableMap(copy);
		this.oldestUndeliveredCreatedAt = oldestUndeliveredCreatedAt;
	}

	/** @return operations by status, every status present */
	public Map<OperationStatus, Long> counts() {
		return this.counts;
	}

	/**
	 * @param status a status
	 * @return how many operations have that status
	 */
	public long count(OperationStatus status) {
		return this.counts.getOrDefault(status, 0L);
	}

	/** @return how many operations still have to be delivered (pending, in flight or failed) */
	public long backlog() {
		return count(OperationStatus.PENDING) + count(OperationStatus.IN_FLIGHT) + count(OperationStatus.FAILED);
	}

	/** @return how many operations are stored in all */
	public long total() {
		return this.counts.values().stream().mapToLong(Long::longValue).sum();
	}

	/** @return creation time of the oldest active operation */
	public Optional<Instant> oldestUndeliveredCreatedAt() {
		return Optional.ofNullable(this.oldestUndeliveredCreatedAt);
	}

	/**
	 * How long the oldest active operation has waited.
	 * @param now the current time
	 * @return its age, or {@link Duration#ZERO} when nothing waits
	 */
	public Duration oldestUndeliveredAge(Instant now) {
		if (this.oldestUndeliveredCreatedAt == null || this.oldestUndeliveredCreatedAt.isAfter(now)) {
			return Duration.ZERO;
		}
		return Duration.between(this.oldestUndeliveredCreatedAt, now);
	}

	@Override
	public String toString() {
		return "OutboxStats[counts=" + this.counts + ", oldestUndeliveredCreatedAt=" + this.oldestUndeliveredCreatedAt
				+ "]";
	}

}
