package io.offlinesync;

/**
 * A state change was refused because the operation is not in a state that allows it: claiming an operation that is
 * not ready, completing one whose claim the caller no longer holds, retrying one that is not parked. Nothing stored
 * was changed.
 *
 * @since 0.1.0
 */
public class OperationStateException extends SyncException {

	private static final long serialVersionUID = 1L;

	public OperationStateException(String message) {
		super(message);
	}

}
