package io.offlinesync.store.file;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

import io.offlinesync.Outbox;

/**
 * How well the file store's group commit shares forces: N threads enqueue, each waiting for its own durable write,
 * and the store's channel counts its forces and their durations. In this package because the channel opener it
 * wraps is the store's own, package-private; the forwarding channel comes from sync-core's test jar.
 * Arguments: [threads ...], default 1 8 64.
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
		FileStoreSettings.ChannelOpener counting = (path, options) -> new CountingChannel(FileChannel.open(path, options),
				forces, forceNanos);
		try (FileOutboxStore store = FileOutboxStore.open(directory, FileStoreSettings.DEFAULTS.withOpener(counting))) {
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
	private static final class CountingChannel extends ForwardingFileChannel {

		private final LongAdder forces;

		private final LongAdder forceNanos;

		CountingChannel(FileChannel channel, LongAdder forces, LongAdder forceNanos) {
			super(channel);
			this.forces = forces;
			this.forceNanos = forceNanos;
		}

		@Override
		public void force(boolean metaData) throws IOException {
			long started = System.nanoTime();
			this.delegate.force(metaData);
			this.forceNanos.add(System.nanoTime() - started);
			this.forces.increment();
		}

	}

}
