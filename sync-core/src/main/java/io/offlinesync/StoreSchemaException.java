package io.offlinesync;

/**
 * A database store's table is missing, or lacks a column or an index the store needs; the message names what is
 * missing and the migration that creates it. Nothing was written.
 *
 * @since 0.1.0
 */
public class StoreSchemaException extends StoreException {

	private static final long serialVersionUID = 1L;

	public StoreSchemaException(String message) {
		super(message);
	}

	public StoreSchemaException(String message, Throwable cause) {
		super(message, cause);
	}

}
