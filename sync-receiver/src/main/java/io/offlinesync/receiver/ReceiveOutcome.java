package io.offlinesync.receiver;

/**
 * What became of an operation a {@link DeliveryReceiver} took.
 *
 * @since 0.1.0
 */
public enum ReceiveOutcome {

	/** The handler took it: the sender records it done. */
	HANDLED,

	/** A repeat of one handled before, dropped without handling: the sender records it done. */
	REPEAT,

	/** The handler refused it for good ({@link RejectedOperationException}): the sender parks it. */
	REJECTED,

	/** The handler asked for it again later ({@link RetryLaterException}): the sender retries it. */
	RETRY_LATER,

	/** The handler failed otherwise: the sender retries it. */
	FAILED

}
