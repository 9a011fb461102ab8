package io.offlinesync.store.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

import io.offlinesync.Outbox;

/**
 * How well the file store's group commit shares forces: N threads enqueue, each waiting for its own durable write,
 * and the store's channel counts its forces and their durations. In this package because the channel opener it
 * wraps is the store's own, package-private. Arguments: [threads ...], default 1 8 64.
 */
public final class GroupCommitBenchmark {

	private static final String PAYLOAD = "{\"text\":\"" + "x".repeat(256 - 11) + "\"}";

	private GroupCommitBenchmark() {
	}

	public static void main(String[] args) throws Exception {
		int[] threadCounts = (args.length > 0) ? java.util.Arrays.stream(args).mapToInt(Integer::parseInt).toArray()
				: new int[] { 1, 8, 64 };
		for (int threads : threadCounts) {
			run(threads);
		}
	}

	private static void run(int threads) throws Exception {
		Path directory = Files.createTempDirectory(
				Files.createDirectories(Path.of("benchmarks", "target", "bench-data")), "group-commit");
		LongAdder forces = new LongAdder();
		LongAdder forceNanos = new LongAdder();
		FileOutboxStore.ChannelOpener counting = (path, options) -> new CountingChannel(FileChannel.open(path, options),
				forces, forceNanos);
		try (FileOutboxStore store = FileOutboxStore.open(directory,
				new FileOutboxStore.Settings(true, FileOutboxStore.DEFAULT_COMPACTION_SLACK, counting))) {
			Outbox outbox = new Outbox(store);
			AtomicBoolean stop = new AtomicBoolean();
			LongAdder enqueued = new LongAdder();
			Thread[] writers = new Thread[threads];
			for (int i = 0; i < threads; i++) {
				writers[i] = new Thread(() -> {
					while (!stop.get()) {
						outbox.enqueue("http.post", "/notes", PAYLOAD);
						enqueued.increment();
					}
				});
				writers[i].start();
			}
			Thread.sleep(1_000);
			long forces0 = forces.sum();
			long nanos0 = forceNanos.sum();
			long enqueued0 = enqueued.sum();
			long started = System.nanoTime();
			Thread.sleep(3_000);
			double seconds = (System.nanoTime() - started) / 1e9;
			long forceCount = forces.sum() - forces0;
			long operations = enqueued.sum() - enqueued0;
			double meanForceMicros = (forceNanos.sum() - nanos0) / 1e3 / forceCount;
			stop.set(true);
			for (Thread writer : writers) {
				writer.join();
			}
			System.out.printf("%3d threads: %,8.0f ops/s  %,7.0f forces/s  %5.2f ops per force  force %4.0f us%n",
					threads, operations / seconds, forceCount / seconds, (double) operations / forceCount,
					meanForceMicros);
		}
	}

	/** A channel that counts its forces and how long they take. */
	private static final class CountingChannel extends FileChannel {

		private final FileChannel channel;

		private final LongAdder forces;

		private final LongAdder forceNanos;

		CountingChannel(FileChannel channel, LongAdder forces, LongAdder forceNanos) {
			this.channel = channel;
			this.forces = forces;
			this.forceNanos = forceNanos;
		}

		@Override
		public void force(boolean metaData) throws IOException {
			long started = System.nanoTime();
			this.channel.force(metaData);
			this.forceNanos.add(System.nanoTime() - started);
			this.forces.increment();
		}

		@Override
		public int read(ByteBuffer dst) throws IOException {
			return this.channel.read(dst);
		}

		@Override
		public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
			return this.channel.read(dsts, offset, length);
		}

		@Override
		public int write(ByteBuffer src) throws IOException {
			return this.channel.write(src);
		}

		@Override
		public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
			return this.channel.write(srcs, offset, length);
		}

		@Override
		public long position() throws IOException {
			return this.channel.position();
		}

		@Override
		public FileChannel position(long newPosition) throws IOException {
			this.channel.position(newPosition);
			return this;
		}

		@Override
		public long size() throws IOException {
			return this.channel.size();
		}

		@Override
		public FileChannel truncate(long size) throws IOException {
			this.channel.truncate(size);
			return this;
		}

		@Override
		public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
			return this.channel.transferTo(position, count, target);
		}

		@Override
		public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
			return this.channel.transferFrom(src, position, count);
		}

		@Override
		public int read(ByteBuffer dst, long position) throws IOException {
			return this.channel.read(dst, position);
		}

		@Override
		public int write(ByteBuffer src, long position) throws IOException {
			return this.channel.write(src, position);
		}

		@Override
		public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
			return this.channel.map(mode, position, size);
		}

		@Override
		public FileLock lock(long position, long size, boolean shared) throws IOException {
			return this.channel.lock(position, size, shared);
		}

		@Override
		public FileLock tryLock(long position, long size, boolean shared) throws IOException {
			return this.channel.tryLock(position, size, shared);
		}

		@Override
		protected void implCloseChannel() throws IOException {
			this.channel.close();
		}

	}

}
