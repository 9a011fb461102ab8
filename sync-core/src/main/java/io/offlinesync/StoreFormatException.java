package io.offlinesync;

/**
 * A store's files are in a format this version cannot read (an unknown format version, or not a store file at all).
 * Nothing was changed on disk.
 *
 * @since 0.1.0
 */
public class StoreFormatException extends StoreException {

	private static final long serialVersionUID = 1L;

	public StoreFormatException(String message) {
		super(message);
	}

}
