package io.offlinesync.receiver;

import java.time.Duration;
import java.util.Objects;

/**
 * Thrown by an {@link OperationHandler} that cannot handle an operation now and knows when to try again.
 *
 * @since 0.1.0
 */
public class RetryLaterException extends RuntimeException {

	private final Duration retryAfter;

	/**
	 * @param reason why not now
	 * @param retryAfter how long the sender should wait; not negative
	 */
	public RetryLaterException(String reason, Duration retryAfter) {
		super(reason);
		Objects.requireNonNull(retryAfter, "'retryAfter' must not be null");
		if (retryAfter.isNegative()) {
			throw new IllegalArgumentException("'retryAfter' must not be negative but was " + retryAfter);
		}
		this.retryAfter = retryAfter;
	}

	/** @return how long the sender should wait */
	public Duration retryAfter() {
		return this.retryAfter;
	}

}
