package io.offlinesync;

import java.nio.file.Path;

/**
 * Another store instance, in this process or another one, already has the store open for writing.
 *
 * @since 0.1.0
 */
public class StoreLockedException extends StoreException {

	private static final long serialVersionUID = 1L;

	private final transient Path lockFile;

	public StoreLockedException(Path lockFile) {
		super("The outbox store at '" + lockFile.getParent() + "' is already open in another process or store instance"
				+ " (lock file '" + lockFile + "' is held); only one writer may open it at a time");
		this.lockFile = lockFile;
	}

	/**
	 * The lock file that is held.
	 * @return the lock file
	 */
	public Path getLockFile() {
		return this.lockFile;
	}

}
