package io.offlinesync;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import javax.net.ssl.SSLHandshakeException;

import org.jspecify.annotations.Nullable;

/**
 * What a {@link SyncTransport} reports for one delivery attempt.
 *
 * <p>Two kinds of failure are told apart. The remote <em>answered</em> with a failure, or stopped answering after
 * the request went out: {@link #retryable} (an attempt is used, another is scheduled with backoff) or
 * {@link #permanent} (the operation is parked). The remote could <em>not be reached</em> at all (connection refused,
 * no route, name not resolved, connect timeout, failed TLS handshake): {@link #unreachable}; that is an outage, not
 * a failed attempt, so the operation keeps its attempts and waits for the link to come back, however long that
 * takes.
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
		PERMANENT,

		/** The remote could not be reached; nothing was delivered. Not an attempt: the link is offline. */
		UNREACHABLE

	}

	private static final SendResult DELIVERED = new SendResult(Outcome.DELIVERED, null, null);

	private final Outcome outcome;

	private final @Nullable String error;

	private final @Nullable Duration retryAfter;

	private SendResult(Outcome outcome, @Nullable String error, @Nullable Duration retryAfter) {
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

	/**
	 * The remote could not be reached, so no request reached it: the engine takes the link offline, gives the
	 * operation back without counting an attempt, and resumes once the link is back.
	 * @param error why, for example {@code "Connection refused: api.example.com/10.0.0.7:443"}; must not be
	 * {@literal null}
	 * @return the result
	 */
	public static SendResult unreachable(String error) {
		return new SendResult(Outcome.UNREACHABLE, describe(error), null);
	}

	/**
	 * The result of a send that failed with an exception: {@link #unreachable} when the exception, or one of its
	 * causes, says the connection could not be made ({@link ConnectException}, {@link NoRouteToHostException},
	 * {@link UnknownHostException}, {@link PortUnreachableException}, {@link HttpConnectTimeoutException},
	 * {@link SSLHandshakeException}), otherwise {@link #retryable}.
	 * @param failure the exception; must not be {@literal null}
	 * @return the result, its error naming the exception
	 */
	public static SendResult ofFailure(Throwable failure) {
		Objects.requireNonNull(failure, "'failure' must not be null");
		Throwable unreachable = connectionFailure(failure);
		if (unreachable != null) {
			return unreachable(describe(unreachable));
		}
		Throwable cause = failure;
		while (cause instanceof CompletionException && cause.getCause() != null) {
			cause = cause.getCause();
		}
		return retryable(describe(cause));
	}

	/**
	 * @return the exception in the cause chain that says no connection was made, or {@literal null}
	 */
	private static @Nullable Throwable connectionFailure(Throwable failure) {
		for (@Nullable Throwable cause = failure; cause != null;
				cause = (cause.getCause() != cause) ? cause.getCause() : null) {
			if (cause instanceof ConnectException || cause instanceof NoRouteToHostException
					|| cause instanceof UnknownHostException || cause instanceof PortUnreachableException
					|| cause instanceof HttpConnectTimeoutException || cause instanceof SSLHandshakeException) {
				return cause;
			}
		}
		return null;
	}

	private static String describe(Throwable failure) {
		String message = failure.getMessage();
		return failure.getClass().getSimpleName() + ((message != null && !message.isBlank()) ? ": " + message : "");
	}

	private static String describe(String error) {
		Objects.requireNonNull(error, "'error' must not be null");
		return error.isBlank() ? "send failed" : error;
	}

	/** @return how the attempt ended */
	public Outcome outcome() {
		return this.outcome;
	}

	/** @return whether the operation was delivered */
	public boolean isOk() {
		return this.outcome == Outcome.DELIVERED;
	}

	/** @return the error text, or {@literal null} when delivered */
	public @Nullable String error() {
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
