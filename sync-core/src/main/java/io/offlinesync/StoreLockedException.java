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

	private final boolean heldInThisProcess;

	/**
	 * @param lockFile the lock file that is held
	 * @param heldInThisProcess whether another store instance of this process holds it (rather than another process)
	 */
	public StoreLockedException(Path lockFile, boolean heldInThisProcess) {
		super(message(lockFile, heldInThisProcess));
		this.lockFile = lockFile;
		this.heldInThisProcess = heldInThisProcess;
	}

	private static String message(Path lockFile, boolean heldInThisProcess) {
		if (heldInThisProcess) {
			return "The outbox store at '" + lockFile.getParent() + "' is already open in this process, by another "
					+ "store instance (lock file '" + lockFile + "'); only one may open it at a time. In tests, "
					+ "Spring's context cache keeps earlier application contexts, and their stores, open: give each "
					+ "context a store of its own with @AutoConfigureOfflineSync (sync-test) or its own "
					+ "sync.store.file.directory. Elsewhere, close the other instance first";
		}
		return "The outbox store at '" + lockFile.getParent() + "' is already open in another process (lock file '"
				+ lockFile + "' is held); only one may open it at a time. Stop that process, or give this one a "
				+ "directory of its own";
	}

	/**
	 * @return whether another store instance of this process holds the lock, rather than another process
	 */
	public boolean isHeldInThisProcess() {
		return this.heldInThisProcess;
	}

	/**
	 * The lock file that is held.
	 * @return the lock file
	 */
	public Path getLockFile() {
		return this.lockFile;
	}

}
