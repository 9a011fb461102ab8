package io.offlinesync;

import org.jspecify.annotations.Nullable;

/**
 * Base of every exception that offline-sync throws on purpose.
 *
 * @since 0.1.0
 */
public class SyncException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	public SyncException(String message) {
		super(message);
	}

	public SyncException(String message, @Nullable Throwable cause) {
		super(message, cause);
	}

}
