package io.offlinesync.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

import io.offlinesync.NewOperation;
import io.offlinesync.Operation;
import io.offlinesync.Outbox;
import io.offlinesync.store.file.FileOutboxStore;

/**
 * The file store against the disk's own fsync rate, measured in the same run. 256-byte payloads, fsync on.
 * Arguments: [seconds per measurement, default 5] [operations for the scaling, reopen and compaction runs, default
 * 1000000].
 */
public final class FileStoreBenchmark {

	/** How long the enqueue rows run before they count. */
	private static final Duration WARM_UP = Duration.ofSeconds(3);

	/** How many slices the enqueue rows and their raw baseline alternate in. */
	private static final int SLICES = 6;

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
		Interleaved one = enqueueRate(fresh(root, "t1"), 1, 1, seconds, true);
		row("enqueue, 1 thread", one.rate(), String.format("%.0f %% of raw (target >= 80 %%), raw %,.0f /s in between",
				100 * one.rate() / one.raw(), one.raw()));
		Interleaved eight = enqueueRate(fresh(root, "t8"), 8, 1, seconds, true);
		row("enqueue, 8 threads", eight.rate(), String.format(
				"%.3f x 8 x raw (target >= 0.60), raw %,.0f /s in between", eight.rate() / (8 * eight.raw()),
				eight.raw()));
		double bare = BareGroupCommit.rate(fresh(root, "bare").resolve("bare.bin"), 8, seconds);
		row("  reference: earlier protocol, bare, 8 threads", bare, String.format(
				"%.3f x 8 x raw: monitor and spinning leader, no store work", bare / (8 * eight.raw())));
		double sixtyFour = enqueueRate(fresh(root, "t64"), 64, 1, seconds, false).rate();
		row("enqueue, 64 threads", sixtyFour, "target >= 50,000 ops/s");
		double batches = enqueueAllRate(fresh(root, "batch"), seconds);
		row("enqueueAll of 1,000, 1 thread", batches, "target >= 200,000 ops/s");
		// After the enqueue rows with targets, so that those run as they did before this reference was added.
		Interleaved eightAtOnce = enqueueRate(fresh(root, "b8"), 1, 8, seconds, true);
		row("  reference: enqueueAll of 8, 1 thread", eightAtOnce.rate(), String.format(
				"%.3f x 8 x raw: the 8-thread row's forces, no writers to wake, raw %,.0f /s in between",
				eightAtOnce.rate() / (8 * eightAtOnce.raw()), eightAtOnce.raw()));
		Interleaved lockstep = lockstepRate(fresh(root, "lockstep"), 8, seconds);
		row("  reference: lockstep, bare, 8 threads", lockstep.rate(), String.format(
				"%.3f x 8 x raw: the 8-thread row's ceiling, no store work, raw %,.0f /s in between",
				lockstep.rate() / (8 * lockstep.raw()), lockstep.raw()));

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
		System.out.printf("%-44s %12.2f s   (the same journal; target <= 5 s)%n", "reopen, in a fresh JVM",
				reopenInFreshJvm(reopen));

		// A crash during an append: the last record reached the disk only in part.
		try (FileChannel journal = FileChannel.open(reopen.resolve("outbox.journal"), StandardOpenOption.APPEND)) {
			journal.write(ByteBuffer.wrap("00000000 {\"type\":\"put\",\"op\":{\"id\":\"01".getBytes()));
		}
		reopenDamaged(reopen, "reopen, torn last record cut off");
		// One flipped bit in a record halfway through: the journal is rewritten from the intact records.
		try (FileChannel journal = FileChannel.open(reopen.resolve("outbox.journal"), StandardOpenOption.READ,
				StandardOpenOption.WRITE)) {
			long at = journal.size() / 2;
			ByteBuffer flipped = ByteBuffer.allocate(1);
			journal.read(flipped, at);
			flipped.put(0, (byte) (flipped.get(0) ^ 0x01)).rewind();
			journal.write(flipped, at);
		}
		reopenDamaged(reopen, "reopen, damaged record in the middle");

		// The most records a journal of this many live operations holds before compaction starts: half the operations
		// claimed and released, two records each. fsync is off while they are written; only the reopen is measured.
		try (FileOutboxStore store = FileOutboxStore.open(reopen, false)) {
			Outbox outbox = new Outbox(store);
			for (int released = 0; released < large / 2;) {
				for (Operation operation : outbox.claimReady(Math.min(10_000, large / 2 - released))) {
					outbox.release(operation);
					released++;
				}
			}
		}
		// Written with fsync off, the new records are still dirty pages, which the kernel writes back about 30 s later,
		// in the middle of the opens below; a journal written with fsync on has none.
		try (FileChannel journal = FileChannel.open(reopen.resolve("outbox.journal"), StandardOpenOption.WRITE)) {
			journal.force(true);
		}
		start = System.nanoTime();
		try (FileOutboxStore store = FileOutboxStore.open(reopen)) {
			double secondsToOpen = (System.nanoTime() - start) / 1e9;
			System.out.printf("%-44s %12.2f s   (%,d pending, %,d records, journal %,d MB; target <= 5 s)%n",
					"reopen, just short of compaction", secondsToOpen, store.stats().backlog(),
					store.recovery().recordsRead(), Files.size(reopen.resolve("outbox.journal")) >> 20);
		}
		System.out.printf("%-44s %12.2f s   (the same journal; target <= 5 s)%n",
				"reopen, just short of compaction, fresh JVM", reopenInFreshJvm(reopen));

		CompactionStall.Result compaction = CompactionStall.measure(reopen, 8, PAYLOAD);
		System.out.printf("%-44s %12.1f ms  longest wait (%s; compaction %.1f s)%n",
				"enqueue, 8 threads, during compaction", compaction.during().longest(), compaction.during(),
				compaction.seconds());
		System.out.printf("%-44s %12.1f ms  longest wait (%s)%n", "enqueue, 8 threads, after it",
				compaction.after().longest(), compaction.after());
	}

	/**
	 * Open a store in a JVM of its own, with this one's options, as a restarted application does: nothing of the
	 * store is loaded or compiled yet, and the compiler works beside the reading. The rows above open in a JVM that
	 * the earlier rows have warmed up.
	 * @return seconds from the call to open until it returned, measured in that JVM
	 */
	private static double reopenInFreshJvm(Path directory) throws IOException, InterruptedException {
		List<String> command = new ArrayList<>();
		command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
		command.addAll(List.of("-cp", System.getProperty("java.class.path"), OpenOnce.class.getName(),
				directory.toString()));
		Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
		String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		if (child.waitFor() != 0) {
			throw new IllegalStateException("The JVM that opened " + directory + " failed:\n" + output);
		}
		return output.lines()
			.filter((line) -> line.startsWith(OpenOnce.SECONDS))
			.mapToDouble((line) -> Double.parseDouble(line.substring(OpenOnce.SECONDS.length())))
			.findFirst()
			.orElseThrow(() -> new IllegalStateException("No time in the output of the JVM that opened " + directory
					+ ":\n" + output));
	}

	/** Opens the store in the directory given and prints how long that took. */
	public static final class OpenOnce {

		static final String SECONDS = "seconds to open: ";

		private OpenOnce() {
		}

		public static void main(String[] args) {
			long start = System.nanoTime();
			try (FileOutboxStore store = FileOutboxStore.open(Path.of(args[0]))) {
				System.out.println(SECONDS + (System.nanoTime() - start) / 1e9);
			}
		}

	}

	private static void reopenDamaged(Path directory, String name) throws IOException {
		long start = System.nanoTime();
		try (FileOutboxStore store = FileOutboxStore.open(directory)) {
			double secondsToOpen = (System.nanoTime() - start) / 1e9;
			System.out.printf("%-44s %12.2f s   (%,d pending, %d records dropped; target <= 5 s)%n", name,
					secondsToOpen, store.stats().backlog(), store.recovery().dropped().size());
			Files.delete(store.recovery().damagedCopy().orElseThrow());
		}
	}

	private static void row(String name, double rate, String note) {
		System.out.printf("%-44s %,12.0f ops/s  %s%n", name, rate, note);
	}

	private static Path fresh(Path root, String name) throws IOException {
		Path directory = root.resolve(name);
		if (Files.exists(directory)) {
			BenchmarkSupport.deleteTree(directory);
		}
		return Files.createDirectories(directory);
	}

	private static double rawFsyncRate(Path directory, int seconds) throws IOException {
		try (RawLoop raw = new RawLoop(directory)) {
			raw.run(Duration.ofSeconds(seconds));
			return raw.rate();
		}
	}

	/**
	 * Threads enqueuing {@code batch} operations at a time ({@code enqueue} for one, {@code enqueueAll} for more),
	 * each waiting for its own durable write; with {@code againstRaw}, against raw slices in between (see
	 * {@link #interleaved}).
	 */
	private static Interleaved enqueueRate(Path directory, int threads, int batch, int seconds, boolean againstRaw)
			throws Exception {
		try (FileOutboxStore store = FileOutboxStore.open(directory);
				RawLoop raw = againstRaw ? new RawLoop(directory) : null) {
			Outbox outbox = new Outbox(store);
			for (int i = 0; i < 2_000; i++) {
				outbox.enqueue("http.post", "/warmup", PAYLOAD);
			}
			try (Writers writers = Writers.enqueuing(outbox, threads, batch)) {
				return interleaved(writers, raw, seconds);
			}
		}
	}

	/**
	 * The ceiling for the store's row of {@code threads} writers: {@link LockstepGroupCommit}, against raw slices in
	 * between as that row.
	 */
	private static Interleaved lockstepRate(Path directory, int threads, int seconds) throws Exception {
		try (LockstepGroupCommit lockstep = new LockstepGroupCommit(directory.resolve("lockstep.bin"), threads);
				RawLoop raw = new RawLoop(directory);
				Writers writers = new Writers(threads, 1, lockstep::write, lockstep::resume, lockstep::drain)) {
			return interleaved(writers, raw, seconds);
		}
	}

	/**
	 * Run writers for {@code seconds} after warming them up. With a raw loop, the seconds of measurement are cut into
	 * slices that alternate with slices of the raw loop, so that the rate and its baseline are measured over the same
	 * stretch of time: this machine's fsync rate moves by a third within a minute.
	 */
	private static Interleaved interleaved(Writers writers, RawLoop raw, int seconds) throws Exception {
		// The same load first, until the code paths of many writers are compiled: -XX:+PrintCompilation showed the
		// store's methods deoptimised when the writers start and compiled again ~1.6 s later.
		writers.warmUp(WARM_UP);
		int slices = (raw != null) ? SLICES : 1;
		Duration slice = Duration.ofSeconds(seconds).dividedBy(slices);
		for (int i = 0; i < slices; i++) {
			if (raw != null) {
				raw.run(slice);
			}
			writers.run(slice);
		}
		return new Interleaved(writers.rate(), (raw != null) ? raw.rate() : Double.NaN);
	}

	/** A store's enqueue rate, and the raw fsync rate measured in slices between its own. */
	private record Interleaved(double rate, double raw) {
	}

	/** The raw baseline: a 256-byte write and a force, in a loop, on a file of its own. */
	private static final class RawLoop implements AutoCloseable {

		private final FileChannel channel;

		private final ByteBuffer buffer = ByteBuffer.allocate(256);

		private long position;

		private long count;

		private long nanos;

		RawLoop(Path directory) throws IOException {
			this.channel = FileChannel.open(directory.resolve("raw.bin"), StandardOpenOption.CREATE,
					StandardOpenOption.WRITE);
		}

		void run(Duration duration) throws IOException {
			long started = System.nanoTime();
			long end = started + duration.toNanos();
			while (System.nanoTime() < end) {
				this.buffer.clear();
				this.position += this.channel.write(this.buffer, this.position);
				this.channel.force(false);
				this.count++;
			}
			this.nanos += System.nanoTime() - started;
		}

		double rate() {
			return this.count / (this.nanos / 1e9);
		}

		@Override
		public void close() throws IOException {
			this.channel.close();
		}

	}

	/** Threads that enqueue in a loop while they are let run, and count what they enqueue meanwhile. */
	private static final class Writers implements AutoCloseable {

		private final Object gate = new Object();

		private final List<Thread> threads = new ArrayList<>();

		private final LongAdder done = new LongAdder();

		/** Writers waiting to be let run; guarded by {@code gate}. */
		private int idle;

		private volatile boolean running;

		private volatile boolean stopped;

		private long count;

		private long nanos;

		private final Runnable starting;

		private final Call stopping;

		/**
		 * @param starting run while all writers are idle, before they are let run
		 * @param stopping run once the writers are told to stop, before waiting until all are idle: releases writers
		 * that wait for one another
		 */
		Writers(int count, int perCall, Call call, Runnable starting, Call stopping) {
			this.starting = starting;
			this.stopping = stopping;
			for (int t = 0; t < count; t++) {
				Thread thread = new Thread(() -> {
					try {
						while (awaitRunning()) {
							call.make();
							this.done.add(perCall);
						}
					}
					catch (IOException ex) {
						throw new UncheckedIOException(ex);
					}
				});
				thread.start();
				this.threads.add(thread);
			}
		}

		/**
		 * Writers that enqueue {@code batch} operations at a time ({@code enqueue} for one, {@code enqueueAll} for
		 * more).
		 */
		static Writers enqueuing(Outbox outbox, int count, int batch) {
			List<NewOperation> operations = Collections.nCopies(batch, NewOperation.of("http.post", "/notes", PAYLOAD));
			Call call = (batch == 1) ? () -> outbox.enqueue("http.post", "/notes", PAYLOAD)
					: () -> outbox.enqueueAll(operations);
			return new Writers(count, batch, call, () -> {
			}, () -> {
			});
		}

		/** Let the writers run for a while and count what they enqueue in it; then wait until all are idle. */
		void run(Duration duration) throws InterruptedException {
			this.starting.run();
			synchronized (this.gate) {
				this.running = true;
				this.gate.notifyAll();
			}
			long before = this.done.sum();
			long started = System.nanoTime();
			Thread.sleep(duration.toMillis());
			this.count += this.done.sum() - before;
			this.nanos += System.nanoTime() - started;
			this.running = false;
			try {
				this.stopping.make();
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
			synchronized (this.gate) {
				while (this.idle < this.threads.size()) {
					this.gate.wait();
				}
			}
		}

		/** Let the writers run for a while without counting it. */
		void warmUp(Duration duration) throws InterruptedException {
			run(duration);
			this.count = 0;
			this.nanos = 0;
		}

		double rate() {
			return this.count / (this.nanos / 1e9);
		}

		/** @return whether to enqueue again, once let run; {@literal false} once stopped */
		private boolean awaitRunning() {
			if (this.running) {
				return true;
			}
			synchronized (this.gate) {
				this.idle++;
				this.gate.notifyAll();
				try {
					while (!this.running && !this.stopped) {
						this.gate.wait();
					}
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return false;
				}
				finally {
					this.idle--;
				}
				return !this.stopped;
			}
		}

		@Override
		public void close() throws InterruptedException {
			synchronized (this.gate) {
				this.stopped = true;
				this.running = false;
				this.gate.notifyAll();
			}
			for (Thread thread : this.threads) {
				thread.join();
			}
		}

		/** What each writer does in its loop, {@code perCall} writes at a time. */
		@FunctionalInterface
		interface Call {

			void make() throws IOException;

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
