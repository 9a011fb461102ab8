package io.offlinesync.store.file;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import io.offlinesync.StoreLockedException;

/**
 * The store directory's single-writer lock: an OS file lock on {@code outbox.lock}, held while the store is open, so
 * that a second store on the same directory, in this process or another, fails at once.
 */
final class StoreLock implements AutoCloseable {

	static final String FILE = "outbox.lock";

	private static final System.Logger logger = System.getLogger(StoreLock.class.getName());

	private final Path file;

	private final FileChannel channel;

	private final FileLock lock;

	private StoreLock(Path file, FileChannel channel, FileLock lock) {
		this.file = file;
		this.channel = channel;
		this.lock = lock;
	}

	/**
	 * @param directory the store directory
	 * @return the held lock
	 * @throws StoreLockedException if another store holds it, naming whether it is in this process
	 * @throws IOException if the lock file cannot be opened
	 */
	static StoreLock acquire(Path directory) throws IOException {
		Path file = directory.resolve(FILE);
		FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
		FileLock lock;
		boolean heldInThisProcess = false;
		try {
			lock = channel.tryLock();
		}
		catch (OverlappingFileLockException ex) {
			// The JVM keeps the locks of all its channels: another store instance of this process holds it.
			lock = null;
			heldInThisProcess = true;
		}
		if (lock == null) {
			channel.close();
			throw new StoreLockedException(file, heldInThisProcess);
		}
		return new StoreLock(file, channel, lock);
	}

	@Override
	public void close() {
		try {
			this.lock.release();
			this.channel.close();
		}
		catch (IOException ex) {
			logger.log(System.Logger.Level.WARNING, "Releasing " + this.file + " failed", ex);
		}
	}

}
