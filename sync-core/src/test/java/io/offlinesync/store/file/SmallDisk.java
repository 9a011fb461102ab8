package io.offlinesync.store.file;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A disk of a set capacity for the files of one directory, enforced by the channels a store opens: a write that
 * would take the directory's files past it writes what fits and fails with {@code ENOSPC}'s message, as a full
 * file system does. Runs everywhere, where mounting a small tmpfs needs root.
 */
final class SmallDisk {

	private final Path directory;

	private final AtomicLong capacity;

	SmallDisk(Path directory, long capacity) {
		this.directory = directory;
		this.capacity = new AtomicLong(capacity);
	}

	/** Make room, as deleting some other file on the disk would. */
	void free(long bytes) {
		this.capacity.addAndGet(bytes);
	}

	/** The bytes the directory's files take now. */
	long used() {
		try (Stream<Path> files = Files.list(this.directory)) {
			return files.filter(Files::isRegularFile).mapToLong(SmallDisk::size).sum();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static long size(Path file) {
		try {
			return Files.size(file);
		}
		catch (IOException ex) {
			// Renamed or deleted meanwhile: it takes no room any more.
			return 0;
		}
	}

	FileStoreSettings settings(FileStoreSettings settings) {
		return settings.withOpener((path, options) -> new Channel(FileChannel.open(path, options)))
			.withUsableSpace((directory) -> Math.max(0, this.capacity.get() - used()));
	}

	private final class Channel extends ForwardingFileChannel {

		Channel(FileChannel delegate) {
			super(delegate);
		}

		@Override
		public int write(ByteBuffer src, long position) throws IOException {
			long growth = position + src.remaining() - this.delegate.size();
			long free = SmallDisk.this.capacity.get() - used();
			if (growth > free) {
				ByteBuffer part = src.duplicate();
				part.limit(part.position() + (int) Math.max(0, src.remaining() - (growth - Math.max(0, free))));
				this.delegate.write(part, position);
				throw new IOException("No space left on device");
			}
			return this.delegate.write(src, position);
		}

		@Override
		public int write(ByteBuffer src) throws IOException {
			long position = this.delegate.position();
			int written = write(src, position);
			this.delegate.position(position + written);
			return written;
		}

		@Override
		public long write(ByteBuffer[] sources, int offset, int length) throws IOException {
			long written = 0;
			for (int i = offset; i < offset + length; i++) {
				written += write(sources[i]);
			}
			return written;
		}

	}

}
