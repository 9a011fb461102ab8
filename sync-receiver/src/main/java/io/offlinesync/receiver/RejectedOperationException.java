package io.offlinesync.receiver;

/**
 * Thrown by an {@link OperationHandler} for an operation it will never accept: the sender parks it with the message.
 *
 * @since 0.1.0
 */
public class RejectedOperationException extends RuntimeException {

	/**
	 * @param reason why, as the sender's operator will read it
	 */
	public RejectedOperationException(String reason) {
		super(reason);
	}

}
