package io.offlinesync;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link SyncTransport} reports for one delivery attempt.
 *
 * @since 0.1.0
 */
public final class SendResult {

	/**
	 * The three ways an attempt can end.
	 */
	public enum Outcome {

		/** Delivered. */
		DELIVERED,

		/** Failed for a reason that may go away: try again later. */
		RETRYABLE,

		/** Failed for good: park the operation. */
		PERMANENT

	}

	private static final SendResult DELIVERED = new SendResult(Outcome.DELIVERED, null, null);

	private final Outcome outcome;

	private final String error;

	private final Duration retryAfter;

	private SendResult(Outcome outcome, String error, Duration retryAfter) {
		this.outcome = outcome;
		this.error = error;
		this.retryAfter = retryAfter;
	}

	/** @return a successful delivery */
	public static SendResult ok() {
		return DELIVERED;
	}

	/**
	 * A failure worth retrying.
	 * @param error what went wrong; must not be {@literal null}
	 * @return the result
	 */
	public static SendResult retryable(String error) {
		return new SendResult(Outcome.RETRYABLE, describe(error), null);
	}

	/**
	 * A failure worth retrying, but not before the given delay (an HTTP {@code Retry-After}, for example).
	 * @param error what went wrong; must not be {@literal null}
	 * @param retryAfter the least delay before the next attempt; not negative
	 * @return the result
	 */
	public static SendResult retryable(String error, Duration retryAfter) {
		Objects.requireNonNull(retryAfter, "'retryAfter' must not be null");
		if (retryAfter.isNegative()) {
			throw new IllegalArgumentException("'retryAfter' must not be negative but was " + retryAfter);
		}
		return new SendResult(Outcome.RETRYABLE, describe(error), retryAfter);
	}

	/**
	 * A failure that retrying cannot fix: the operation is parked.
	 * @param error what went wrong; must not be {@literal null}
	 * @return the result
	 */
	public static SendResult permanent(String error) {
		return new SendResult(Outcome.PERMANENT, describe(error), null);
	}

	private static String describe(String error) {
		Objects.requireNonNull(error, "'error' must not be null");
		return error.isBlank() ? "send failed" : error;
	}

	public Outcome outcome() {
		return this.outcome;
	}

	/** @return whether the operation was delivered */
	public boolean isOk() {
		return this.outcome == Outcome.DELIVERED;
	}

	/** @return the error text, or {@literal null} when delivered */
	public String error() {
		return this.error;
	}

	/** @return the least delay the receiver asked for before the next attempt */
	public Optional<Duration> retryAfter() {
		return Optional.ofNullable(this.retryAfter);
	}

	@Override
	public boolean equals(Object other) {
		if (!(other instanceof SendResult)) {
			return false;
		}
		SendResult that = (SendResult) other;
		return this.outcome == that.outcome && Objects.equals(this.error, that.error)
				&& Objects.equals(this.retryAfter, that.retryAfter);
	}

	@Override
	public int hashCode() {
		return Objects.hash(this.outcome, this.error, this.retryAfter);
	}

	@Override
	public String toString() {
		return "SendResult[" + this.outcome + ((this.error != null) ? ", " + this.error : "")
				+ ((this.retryAfter != null) ? ", retryAfter=" + this.retryAfter : "") + "]";
	}

}
