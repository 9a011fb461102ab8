package io.offlinesync.store.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real file channel that fails writes or forces on request, the way a full disk or a failing device does; it can
 * write part of a buffer before failing, and counts forces.
 */
final class FaultyFileChannel extends ForwardingFileChannel {

	/** Switches shared by every channel a store opens. */
	static final class Faults {

		final AtomicBoolean failWrites = new AtomicBoolean();

		final AtomicInteger failForces = new AtomicInteger();

		/** How many of the next positional writes fail, as {@code failWrites} makes all of them fail. */
		final AtomicInteger failNextWrites = new AtomicInteger();

		final AtomicInteger forces = new AtomicInteger();

		/** The names of the threads that forced, in no particular order. */
		final java.util.Set<String> forcingThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();

		FileStoreSettings settings() {
			return FileStoreSettings.DEFAULTS
				.withOpener((path, options) -> new FaultyFileChannel(FileChannel.open(path, options), this));
		}

	}

	private final Faults faults;

	FaultyFileChannel(FileChannel delegate, Faults faults) {
		super(delegate);
		this.faults = faults;
	}

	static FileChannel open(Path path, Faults faults, OpenOption... options) throws IOException {
		return new FaultyFileChannel(FileChannel.open(path, options), faults);
	}

	@Override
	public int write(ByteBuffer src, long position) throws IOException {
		if (this.faults.failWrites.get() || this.faults.failNextWrites.getAndUpdate((n) -> Math.max(0, n - 1)) > 0) {
			// Half of the bytes reach the file before the device gives up.
			int half = src.remaining() / 2;
			ByteBuffer part = src.duplicate();
			part.limit(part.position() + half);
			this.delegate.write(part, position);
			throw new IOException("No space left on device");
		}
		return this.delegate.write(src, position);
	}

	@Override
	public void force(boolean metaData) throws IOException {
		this.faults.forces.incrementAndGet();
		this.faults.forcingThreads.add(Thread.currentThread().getName());
		if (this.faults.failForces.getAndUpdate((n) -> Math.max(0, n - 1)) > 0) {
			throw new IOException("Input/output error");
		}
		this.delegate.force(metaData);
	}

	@Override
	public int write(ByteBuffer src) throws IOException {
		if (this.faults.failWrites.get()) {
			throw new IOException("No space left on device");
		}
		return this.delegate.write(src);
	}

	@Override
	public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
		if (this.faults.failWrites.get()) {
			throw new IOException("No space left on device");
		}
		return this.delegate.write(srcs, offset, length);
	}

}
