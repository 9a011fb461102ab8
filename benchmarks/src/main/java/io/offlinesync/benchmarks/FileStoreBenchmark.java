package io.offlinesync.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

import io.offlinesync.NewOperation;
import io.offlinesync.Operation;
import io.offlinesync.Outbox;
import io.offlinesync.store.file.FileOutboxStore;

/**
 * The file store against the disk's own fsync rate, measured in the same run. 256-byte payloads, fsync on.
 * Arguments: [seconds per measurement, default 5] [operations for the scaling and reopen runs, default 1000000].
 */
public final class FileStoreBenchmark {

	private static final String PAYLOAD = "{\"text\":\"" + "x".repeat(256 - 11) + "\"}";

	private FileStoreBenchmark() {
	}

	public static void main(String[] args) throws Exception {
		int seconds = (args.length > 0) ? Integer.parseInt(args[0]) : 5;
		int large = (args.length > 1) ? Integer.parseInt(args[1]) : 1_000_000;
		Path root = Files.createDirectories(Path.of("benchmarks", "target", "bench-data"));
		System.out.printf("payload %d bytes, %d s per measurement, %s, %d cores%n", PAYLOAD.length(), seconds,
				System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
				Runtime.getRuntime().availableProcessors());

		double raw = rawFsyncRate(fresh(root, "raw"), seconds);
		row("raw: 256-byte write + force, 1 thread", raw, "baseline");
		double preallocated = BareGroupCommit.rate(fresh(root, "bare-1").resolve("bare.bin"), 1, seconds);
		row("  reference: 560-byte write + force, preallocated", preallocated,
				String.format("%.2f x raw: a file that does not grow", preallocated / raw));
		double one = enqueueRate(fresh(root, "t1"), 1, seconds);
		row("enqueue, 1 thread", one, String.format("%.0f %% of raw (target >= 80 %%)", 100 * one / raw));
		double eight = enqueueRate(fresh(root, "t8"), 8, seconds);
		row("enqueue, 8 threads", eight,
				String.format("%.2f x 8 x raw (target >= 0.60)", eight / (8 * raw)));
		double bare = BareGroupCommit.rate(fresh(root, "bare").resolve("bare.bin"), 8, seconds);
		row("  reference: earlier protocol, bare, 8 threads", bare, String.format(
				"%.2f x 8 x raw: monitor and spinning leader, no store work", bare / (8 * raw)));
		double sixtyFour = enqueueRate(fresh(root, "t64"), 64, seconds);
		row("enqueue, 64 threads", sixtyFour, "target >= 50,000 ops/s");
		double batches = enqueueAllRate(fresh(root, "batch"), seconds);
		row("enqueueAll of 1,000, 1 thread", batches, "target >= 200,000 ops/s");

		Path scaling = fresh(root, "scaling");
		double small = cycleCost(scaling, 1_000, seconds);
		double big = cycleCost(scaling, large, seconds);
		System.out.printf("%-44s %12.1f us  (1,000 stored)%n", "enqueue -> claim -> done, per operation", small);
		System.out.printf("%-44s %12.1f us  (%,d stored; %.2f x, target <= 2 x)%n", "", big, large, big / small);

		Path reopen = fresh(root, "reopen");
		fill(reopen, large);
		long start = System.nanoTime();
		long used;
		try (FileOutboxStore store = FileOutboxStore.open(reopen)) {
			double secondsToOpen = (System.nanoTime() - start) / 1e9;
			System.gc();
			used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
			System.out.printf("%-44s %12.2f s   (%,d pending, journal %,d MB; target <= 5 s)%n", "reopen", secondsToOpen,
					store.stats().backlog(), Files.size(reopen.resolve("outbox.journal")) >> 20);
		}
		System.out.printf("%-44s %12d MB  (with %,d pending open; max heap %d MB)%n", "heap used", used >> 20, large,
				Runtime.getRuntime().maxMemory() >> 20);
	}

	private static void row(String name, double rate, String note) {
		System.out.printf("%-44s %,12.0f ops/s  %s%n", name, rate, note);
	}

	private static Path fresh(Path root, String name) throws IOException {
		Path directory = root.resolve(name);
		if (Files.exists(directory)) {
			try (Stream<Path> files = Files.walk(directory)) {
				for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
					Files.delete(path);
				}
			}
		}
		return Files.createDirectories(directory);
	}

	private static double rawFsyncRate(Path directory, int seconds) throws IOException {
		try (FileChannel channel = FileChannel.open(directory.resolve("raw.bin"), StandardOpenOption.CREATE,
				StandardOpenOption.WRITE)) {
			ByteBuffer buffer = ByteBuffer.allocate(256);
			long position = 0;
			long count = 0;
			long end = System.nanoTime() + seconds * 1_000_000_000L;
			long started = System.nanoTime();
			while (System.nanoTime() < end) {
				buffer.clear();
				position += channel.write(buffer, position);
				channel.force(false);
				count++;
			}
			return count / ((System.nanoTime() - started) / 1e9);
		}
	}

	private static double enqueueRate(Path directory, int threads, int seconds) throws Exception {
		try (FileOutboxStore store = FileOutboxStore.open(directory)) {
			Outbox outbox = new Outbox(store);
			for (int i = 0; i < 2_000; i++) {
				outbox.enqueue("http.post", "/warmup", PAYLOAD);
			}
			LongAdder done = new LongAdder();
			AtomicBoolean running = new AtomicBoolean(true);
			CountDownLatch start = new CountDownLatch(1);
			List<Thread> workers = new ArrayList<>();
			for (int t = 0; t < threads; t++) {
				Thread worker = new Thread(() -> {
					try {
						start.await();
					}
					catch (InterruptedException ex) {
						return;
					}
					while (running.get()) {
						outbox.enqueue("http.post", "/notes", PAYLOAD);
						done.increment();
					}
				});
				worker.start();
				workers.add(worker);
			}
			start.countDown();
			// A second of the same load first, so that the code paths of many writers are compiled before counting.
			Thread.sleep(1000L);
			long before = done.sum();
			long started = System.nanoTime();
			Thread.sleep(seconds * 1000L);
			long count = done.sum() - before;
			double elapsed = (System.nanoTime() - started) / 1e9;
			running.set(false);
			for (Thread worker : workers) {
				worker.join();
			}
			return count / elapsed;
		}
	}

	private static double enqueueAllRate(Path directory, int seconds) throws Exception {
		List<NewOperation> batch = new ArrayList<>();
		for (int i = 0; i < 1_000; i++) {
			batch.add(NewOperation.of("http.post", "/notes", PAYLOAD));
		}
		try (FileOutboxStore store = FileOutboxStore.open(directory)) {
			Outbox outbox = new Outbox(store);
			for (int i = 0; i < 5; i++) {
				outbox.enqueueAll(batch);
			}
			long count = 0;
			long end = System.nanoTime() + seconds * 1_000_000_000L;
			long started = System.nanoTime();
			while (System.nanoTime() < end) {
				outbox.enqueueAll(batch);
				count += batch.size();
			}
			return count / ((System.nanoTime() - started) / 1e9);
		}
	}

	private static void fill(Path directory, int count) {
		try (FileOutboxStore store = FileOutboxStore.open(directory)) {
			Outbox outbox = new Outbox(store);
			List<NewOperation> batch = new ArrayList<>();
			for (int i = 0; i < 10_000; i++) {
				batch.add(NewOperation.of("http.post", "/notes", PAYLOAD));
			}
			for (int done = 0; done < count; done += batch.size()) {
				outbox.enqueueAll(batch.subList(0, Math.min(batch.size(), count - done)));
			}
		}
	}

	/**
	 * Microseconds per enqueue -> claim -> done cycle, one thread, with {@code stored} pending operations already in
	 * the store.
	 */
	private static double cycleCost(Path root, int stored, int seconds) throws IOException {
		Path directory = fresh(root, "stored-" + stored);
		fill(directory, stored);
		try (FileOutboxStore store = FileOutboxStore.open(directory)) {
			Outbox outbox = new Outbox(store);
			long count = 0;
			long end = System.nanoTime() + seconds * 1_000_000_000L;
			long started = System.nanoTime();
			while (System.nanoTime() < end) {
				Operation operation = outbox.enqueue("http.post", "/cycle", PAYLOAD);
				outbox.markDone(outbox.claim(operation.id()));
				count++;
			}
			return (System.nanoTime() - started) / 1e3 / count;
		}
	}

}
