package io.offlinesync.batch;

import java.time.Duration;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

import io.offlinesync.SendResult;

/**
 * What a receiver made of one operation of a batch.
 *
 * @param idempotencyKey the operation's key
 * @param status {@code done}, {@code retryable} or {@code permanent}
 * @param reason why it was not done, or {@literal null}
 * @param retryAfter how long to wait before trying again, or {@literal null}
 * @since 0.1.0
 */
public record BatchItemResult(String idempotencyKey, Status status, @Nullable String reason,
		@Nullable Duration retryAfter) {

	/** The outcomes a receiver reports. */
	public enum Status {

		/** Handled, now or before (a repeat). */
		DONE,

		/** Not handled; worth trying again. */
		RETRYABLE,

		/** Not handled, and never will be. */
		PERMANENT

	}

	public BatchItemResult {
		Objects.requireNonNull(idempotencyKey, "'idempotencyKey' must not be null");
		Objects.requireNonNull(status, "'status' must not be null");
	}

	public static BatchItemResult done(String idempotencyKey) {
		return new BatchItemResult(idempotencyKey, Status.DONE, null, null);
	}

	public static BatchItemResult retryable(String idempotencyKey, String reason, @Nullable Duration retryAfter) {
		return new BatchItemResult(idempotencyKey, Status.RETRYABLE, reason, retryAfter);
	}

	public static BatchItemResult permanent(String idempotencyKey, String reason) {
		return new BatchItemResult(idempotencyKey, Status.PERMANENT, reason, null);
	}

	/** @return the result as the sender records it */
	public SendResult toSendResult() {
		String why = (this.reason != null) ? this.reason : "receiver answered " + this.status;
		return switch (this.status) {
			case DONE -> SendResult.ok();
			case RETRYABLE -> (this.retryAfter != null) ? SendResult.retryable(why, this.retryAfter)
					: SendResult.retryable(why);
			case PERMANENT -> SendResult.permanent(why);
		};
	}

}
