package io.offlinesync.autoconfigure;

import io.offlinesync.SyncException;

/**
 * A {@code sync.*} property has a value the outbox cannot work with. The message names the property.
 *
 * @since 0.1.0
 */
public class InvalidSyncPropertyException extends SyncException {

	private static final long serialVersionUID = 1L;

	private final String property;

	public InvalidSyncPropertyException(String property, String message) {
		super(message);
		this.property = property;
	}

	/** @return the name of the offending property, for example {@code sync.retry.max-attempts} */
	public String getProperty() {
		return this.property;
	}

}
