package io.offlinesync;

/**
 * No operation with the given id is stored.
 *
 * @since 0.1.0
 */
public class OperationNotFoundException extends OperationStateException {

	private static final long serialVersionUID = 1L;

	private final String id;

	public OperationNotFoundException(String id) {
		super("No operation with id '" + id + "' is stored");
		this.id = id;
	}

	/**
	 * The id that was looked up.
	 * @return the id, never {@literal null}
	 */
	public String getId() {
		return this.id;
	}

}
