package io.offlinesync;

import org.jspecify.annotations.Nullable;

/**
 * The store could not read or write its state (an I/O error, a full disk, a lost database connection). The call that
 * throws it had no effect on what is stored, unless its message says otherwise.
 *
 * @since 0.1.0
 */
public class StoreException extends SyncException {

	private static final long serialVersionUID = 1L;

	public StoreException(String message) {
		super(message);
	}

	public StoreException(String message, @Nullable Throwable cause) {
		super(message, cause);
	}

}
