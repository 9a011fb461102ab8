package io.offlinesync;

/**
 * An operation handed to the outbox was refused before anything was stored: a blank kind or target, a payload over
 * the size limit, a string that cannot be stored exactly, and the like. The message names the field and the problem.
 *
 * @since 0.1.0
 */
public class InvalidOperationException extends SyncException {

	private static final long serialVersionUID = 1L;

	public InvalidOperationException(String message) {
		super(message);
	}

}
