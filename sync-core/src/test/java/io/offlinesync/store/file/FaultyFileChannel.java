package io.offlinesync.store.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real file channel that fails writes or forces on request, the way a full disk or a failing device does; it can
 * write part of a buffer before failing, and counts forces.
 */
final class FaultyFileChannel extends FileChannel {

	/** Switches shared by every channel a store opens. */
	static final class Faults {

		final AtomicBoolean failWrites = new AtomicBoolean();

		final AtomicInteger failForces = new AtomicInteger();

		final AtomicInteger forces = new AtomicInteger();

		FileOutboxStore.Settings settings() {
			return new FileOutboxStore.Settings(true, FileOutboxStore.DEFAULT_COMPACTION_SLACK,
					(path, options) -> new FaultyFileChannel(FileChannel.open(path, options), this));
		}

	}

	private final FileChannel delegate;

	private final Faults faults;

	FaultyFileChannel(FileChannel delegate, Faults faults) {
		this.delegate = delegate;
		this.faults = faults;
	}

	static FileChannel open(Path path, Faults faults, OpenOption... options) throws IOException {
		return new FaultyFileChannel(FileChannel.open(path, options), faults);
	}

	@Override
	public int write(ByteBuffer src, long position) throws IOException {
		if (this.faults.failWrites.get()) {
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
		if (this.faults.failForces.getAndUpdate((n) -> Math.max(0, n - 1)) > 0) {
			throw new IOException("Input/output error");
		}
		this.delegate.force(metaData);
	}

	@Override
	public int read(ByteBuffer dst) throws IOException {
		return this.delegate.read(dst);
	}

	@Override
	public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
		return this.delegate.read(dsts, offset, length);
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

	@Override
	public long position() throws IOException {
		return this.delegate.position();
	}

	@Override
	public FileChannel position(long newPosition) throws IOException {
		this.delegate.position(newPosition);
		return this;
	}

	@Override
	public long size() throws IOException {
		return this.delegate.size();
	}

	@Override
	public FileChannel truncate(long size) throws IOException {
		this.delegate.truncate(size);
		return this;
	}

	@Override
	public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
		return this.delegate.transferTo(position, count, target);
	}

	@Override
	public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
		return this.delegate.transferFrom(src, position, count);
	}

	@Override
	public int read(ByteBuffer dst, long position) throws IOException {
		return this.delegate.read(dst, position);
	}

	@Override
	public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
		return this.delegate.map(mode, position, size);
	}

	@Override
	public FileLock lock(long position, long size, boolean shared) throws IOException {
		return this.delegate.lock(position, size, shared);
	}

	@Override
	public FileLock tryLock(long position, long size, boolean shared) throws IOException {
		return this.delegate.tryLock(position, size, shared);
	}

	@Override
	protected void implCloseChannel() throws IOException {
		this.delegate.close();
	}

}
