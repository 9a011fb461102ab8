package io.offlinesync.store;

import io.offlinesync.StoreException;

/**
 * A store could not read one operation back at run time (its record was damaged on disk after the store opened).
 * {@link IndexedOutboxStore} quarantines such an operation, so that the others keep flowing.
 *
 * @since 0.1.0
 */
public class UnreadableOperationException extends StoreException {

	private static final long serialVersionUID = 1L;

	private final String operationId;

	/**
	 * @param operationId the operation
	 * @param message what could not be read, and where
	 */
	public UnreadableOperationException(String operationId, String message) {
		super(message);
		this.operationId = operationId;
	}

	/** @return the operation that could not be read */
	public String getOperationId() {
		return this.operationId;
	}

}
