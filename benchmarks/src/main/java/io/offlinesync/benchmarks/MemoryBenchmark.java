package io.offlinesync.benchmarks;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.offlinesync.NewOperation;
import io.offlinesync.Operation;
import io.offlinesync.Outbox;
import io.offlinesync.store.file.FileOutboxStore;

/**
 * Whether a large queue fits in a small heap: enqueues operations with distinct 256-byte payloads into the file
 * store (fsync on), reports the heap they hold, delivers a few, and does the same after reopening the store. Run it
 * with the heap to check, for example {@code BENCH_HEAP=-Xmx512m}. Argument: [operations, default 1000000].
 */
public final class MemoryBenchmark {

	private MemoryBenchmark() {
	}

	public static void main(String[] args) throws Exception {
		int count = (args.length > 0) ? Integer.parseInt(args[0]) : 1_000_000;
		Path directory = Files.createTempDirectory(
				Files.createDirectories(Path.of("benchmarks", "target", "bench-data")), "memory");
		System.out.printf("%,d pending operations, 256-byte payloads, max heap %d MB%n", count,
				Runtime.getRuntime().maxMemory() >> 20);
		try (FileOutboxStore store = FileOutboxStore.open(directory)) {
			Outbox outbox = new Outbox(store);
			List<NewOperation> batch = new ArrayList<>(1_000);
			for (int i = 0; i < count; i++) {
				String text = String.format("%010d", i) + "x".repeat(256 - 22);
				batch.add(NewOperation.of("http.post", "/notes", "{\"text\":\"" + text + "\"}"));
				if (batch.size() == 1_000 || i == count - 1) {
					outbox.enqueueAll(batch);
					batch.clear();
				}
			}
			report("after enqueueing", store);
			deliverSome(outbox);
		}
		long started = System.nanoTime();
		try (FileOutboxStore store = FileOutboxStore.open(directory)) {
			System.out.printf("%-44s %8.2f s%n", "reopen", (System.nanoTime() - started) / 1e9);
			report("after reopening", store);
			deliverSome(new Outbox(store));
		}
	}

	private static void deliverSome(Outbox outbox) {
		List<Operation> claimed = outbox.claimReady(1_000);
		outbox.markAllDone(claimed);
		System.out.printf("%-44s %8d%n", "claimed and delivered", claimed.size());
	}

	private static void report(String when, FileOutboxStore store) {
		System.gc();
		long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
		System.out.printf("%-44s %8d MB  (%,d operations stored)%n", "heap used " + when, used >> 20,
				store.stats().total());
	}

}
