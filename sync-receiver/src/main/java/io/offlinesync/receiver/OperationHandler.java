package io.offlinesync.receiver;

/**
 * What the application does with each operation it receives, once: repeats are dropped before they reach it.
 * Returning normally means done. Throwing {@link RejectedOperationException} means it never will be (the sender
 * parks the operation); throwing anything else means not now (the sender retries, honouring
 * {@link RetryLaterException#retryAfter()}). An operation whose handling threw is not remembered, so its retry is
 * handled again.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface OperationHandler {

	/**
	 * Handle one operation.
	 * @param operation what arrived
	 * @throws Exception when it cannot be handled now, or ever ({@link RejectedOperationException})
	 */
	void handle(ReceivedOperation operation) throws Exception;

}
