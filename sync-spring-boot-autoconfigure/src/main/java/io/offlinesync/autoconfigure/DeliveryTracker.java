package io.offlinesync.autoconfigure;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import org.jspecify.annotations.Nullable;

import io.offlinesync.DeliveryListener;
import io.offlinesync.Operation;
import io.offlinesync.SendResult;

/**
 * Remembers the last successful delivery and the last failed attempt, for health and the endpoint.
 *
 * @since 0.1.0
 */
public final class DeliveryTracker implements DeliveryListener {

	private final Clock clock;

	private volatile @Nullable Instant lastSuccessAt;

	private volatile @Nullable Instant lastErrorAt;

	private volatile @Nullable String lastError;

	public DeliveryTracker(Clock clock) {
		this.clock = clock;
	}

	@Override
	public void onAttempt(Operation operation, SendResult result, Duration latency, @Nullable Operation stored) {
		if (result.isOk()) {
			this.lastSuccessAt = this.clock.instant();
		}
		else {
			this.lastError = operation.id() + ": " + result.error();
			this.lastErrorAt = this.clock.instant();
		}
	}

	/** @return when the last delivery succeeded, or {@literal null} */
	public @Nullable Instant lastSuccessAt() {
		return this.lastSuccessAt;
	}

	/** @return when the last attempt failed, or {@literal null} */
	public @Nullable Instant lastErrorAt() {
		return this.lastErrorAt;
	}

	/** @return the operation id and error of the last failed attempt, or {@literal null} */
	public @Nullable String lastError() {
		return this.lastError;
	}

}
