package io.offlinesync.benchmarks;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import io.offlinesync.Outbox;
import io.offlinesync.store.file.FileOutboxStore;

/**
 * How long enqueues wait while the store compacts its journal in the background. Writers enqueue, each waiting for
 * its own durable write, and every call is timed; a claim and a release of many operations at a time, as a delivery
 * engine whose sends fail makes them, fill the journal until a compaction starts. The waits during that compaction
 * are then set beside those of the same writers after it.
 */
final class CompactionStall {

	private static final Duration BEFORE = Duration.ofSeconds(2);

	private static final Duration AFTER = Duration.ofSeconds(3);

	/** The most enqueues each writer times; more than these writers reach in the time measured. */
	private static final int MOST_TIMED = 1 << 19;

	private CompactionStall() {
	}

	/**
	 * @param directory a store, its journal close to needing compaction
	 * @param threads how many writers
	 * @param payload what each enqueue carries
	 */
	static Result measure(Path directory, int threads, String payload) throws InterruptedException {
		try (FileOutboxStore store = FileOutboxStore.open(directory)) {
			Outbox outbox = new Outbox(store);
			long[][] starts = new long[threads][MOST_TIMED];
			long[][] waits = new long[threads][MOST_TIMED];
			int[] counts = new int[threads];
			List<Thread> writers = new ArrayList<>();
			AtomicBoolean stopped = new AtomicBoolean();
			for (int t = 0; t < threads; t++) {
				int writer = t;
				Thread thread = new Thread(() -> {
					while (!stopped.get() && counts[writer] < MOST_TIMED) {
						long start = System.nanoTime();
						outbox.enqueue("http.post", "/notes", payload);
						starts[writer][counts[writer]] = start;
						waits[writer][counts[writer]] = System.nanoTime() - start;
						counts[writer]++;
					}
				});
				thread.start();
				writers.add(thread);
			}
			Thread.sleep(BEFORE.toMillis());
			// The store's statistics tell when a compaction begins and when its journal is in place.
			long compactions = store.statistics().compactions();
			long began = 0;
			while (!store.statistics().compacting()) {
				began = System.nanoTime();
				outbox.claimReady(5_000);
				outbox.requeueStale(Duration.ZERO);
			}
			while (store.statistics().compactions() == compactions && store.statistics().compacting()) {
				LockSupport.parkNanos(100_000);
			}
			long ended = System.nanoTime();
			Thread.sleep(AFTER.toMillis());
			stopped.set(true);
			for (Thread writer : writers) {
				writer.join();
			}
			return new Result((ended - began) / 1e9, Waits.of(starts, waits, counts, began, ended),
					Waits.of(starts, waits, counts, ended, Long.MAX_VALUE));
		}
	}

	/**
	 * @param seconds from the change that started the compaction until the compacted journal was in place
	 * @param during the enqueues that were waiting at some time in that span
	 * @param after the enqueues that began after it
	 */
	record Result(double seconds, Waits during, Waits after) {
	}

	/** Enqueue waits in milliseconds. */
	record Waits(int count, double median, double p99, double longest) {

		/** The enqueues that were waiting at some time from {@code from} until {@code to}. */
		static Waits of(long[][] starts, long[][] waits, int[] counts, long from, long to) {
			long[] selected = new long[Arrays.stream(counts).sum()];
			int n = 0;
			for (int t = 0; t < counts.length; t++) {
				for (int i = 0; i < counts[t]; i++) {
					if (starts[t][i] + waits[t][i] >= from && starts[t][i] < to) {
						selected[n++] = waits[t][i];
					}
				}
			}
			if (n == 0) {
				return new Waits(0, Double.NaN, Double.NaN, Double.NaN);
			}
			Arrays.sort(selected, 0, n);
			return new Waits(n, selected[n / 2] / 1e6, selected[(int) (n * 0.99)] / 1e6, selected[n - 1] / 1e6);
		}

		@Override
		public String toString() {
			return String.format("%,d enqueues, median %.2f ms, p99 %.2f ms, longest %.1f ms", this.count, this.median,
					this.p99, this.longest);
		}

	}

}
