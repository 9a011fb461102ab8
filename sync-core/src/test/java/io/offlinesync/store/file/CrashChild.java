package io.offlinesync.store.file;

import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.time.Duration;

import io.offlinesync.Operation;
import io.offlinesync.Outbox;
import io.offlinesync.StoreLockedException;

/**
 * The child process of the tests with a real process. {@code enqueue DIR THREADS RUN}: enqueue from several threads
 * for ever (the first thread in batches of 150 large operations) and print {@code ACK <id> <payload>} for each
 * operation once its call returns, until killed. {@code churn DIR THREADS RUN}: the same, on a store that compacts
 * after 100 superseded records, while one more thread claims operations and puts them back, again and again, so that
 * the store compacts often; it prints {@code COMPACTING} each time it sees a compaction begin. {@code open DIR}: try to
 * open the store and exit 3 if it is locked. {@code fill DIR THREADS}: enqueue from several threads until writes
 * fail (the parent limits the file size), printing {@code ACK <id> <payload>} and {@code FAIL <message>}, then
 * {@code STORED <count>} for what the open store holds, and close it. {@code send DIR COUNT}: enqueue that many
 * operations and deliver them with an engine whose sends never answer, printing {@code SENDING <id>} as each send
 * starts, until killed.
 */
public final class CrashChild {

	private CrashChild() {
	}

	public static void main(String[] args) throws Exception {
		Path directory = Path.of(args[1]);
		if (args[0].equals("open")) {
			try {
				FileOutboxStore.open(directory).close();
				System.exit(0);
			}
			catch (StoreLockedException ex) {
				System.err.println(ex.getMessage());
				System.exit(3);
			}
		}
		if (args[0].equals("send")) {
			sendForever(directory, Integer.parseInt(args[2]));
			return;
		}
		int threads = Integer.parseInt(args[2]);
		if (args[0].equals("fill")) {
			fill(directory, threads);
			return;
		}
		String run = args[3];
		PrintStream out = System.out;
		boolean churn = args[0].equals("churn");
		FileOutboxStore store = churn
				? FileOutboxStore.open(directory, FileStoreSettings.DEFAULTS.withCompactionSlack(100))
				: FileOutboxStore.open(directory);
		Outbox outbox = new Outbox(store);
		out.println("READY");
		out.flush();
		if (churn) {
			new Thread(() -> churn(store, outbox, out)).start();
		}
		for (int t = 0; t < threads; t++) {
			int thread = t;
			Thread writer = new Thread(() -> {
				for (int i = 0;; i++) {
					if (thread == 0) {
						// Batches past 64 KB: their force starts on the store's own thread.
						java.util.List<io.offlinesync.NewOperation> batch = new java.util.ArrayList<>();
						for (int j = 0; j < 150; j++) {
							batch.add(io.offlinesync.NewOperation.of("http.post", "/crash",
									run + "-" + thread + "-" + i + "-" + j + "-" + "x".repeat(500)));
						}
						java.util.List<Operation> stored = outbox.enqueueAll(batch);
						synchronized (out) {
							stored.forEach((operation) -> out.println("ACK " + operation.id() + " " + operation.payload()));
							out.flush();
						}
						continue;
					}
					String payload = run + "-" + thread + "-" + i;
					Operation operation = outbox.enqueue("http.post", "/crash", payload);
					synchronized (out) {
						out.println("ACK " + operation.id() + " " + payload);
						out.flush();
					}
				}
			});
			writer.start();
		}
	}

	private static void sendForever(Path directory, int count) throws InterruptedException {
		PrintStream out = System.out;
		Outbox outbox = new Outbox(FileOutboxStore.open(directory));
		for (int i = 0; i < count; i++) {
			outbox.enqueue("http.post", "/crash", "in flight " + i);
		}
		io.offlinesync.SyncTransport neverAnswers = (operation) -> {
			synchronized (out) {
				out.println("SENDING " + operation.id());
				out.flush();
			}
			return new java.util.concurrent.CompletableFuture<>();
		};
		io.offlinesync.SyncEngine engine = new io.offlinesync.SyncEngine(outbox, neverAnswers,
				io.offlinesync.NetworkProbe.alwaysOnline(), io.offlinesync.EngineConfig.builder()
					.concurrency(count)
					.sendTimeout(Duration.ofMinutes(5))
					.inFlightTimeout(Duration.ofMinutes(10))
					.build());
		engine.start();
		// The engine's threads are daemons: the main thread keeps the process alive until it is killed.
		new java.util.concurrent.CountDownLatch(1).await();
	}

	private static void churn(FileOutboxStore store, Outbox outbox, PrintStream out) {
		boolean compacting = false;
		while (true) {
			outbox.claimReady(5_000);
			outbox.requeueStale(Duration.ZERO);
			boolean compactingNow = store.statistics().compacting();
			if (compactingNow && !compacting) {
				synchronized (out) {
					out.println("COMPACTING");
					out.flush();
				}
			}
			compacting = compactingNow;
		}
	}

	private static void fill(Path directory, int threads) throws InterruptedException {
		PrintStream out = System.out;
		try (FileOutboxStore store = FileOutboxStore.open(directory)) {
			Outbox outbox = new Outbox(store);
			java.util.List<Thread> writers = new java.util.ArrayList<>();
			for (int t = 0; t < threads; t++) {
				int thread = t;
				Thread writer = new Thread(() -> {
					// Keep going a little after the first failure: later writes must fail as cleanly.
					int failures = 0;
					for (int i = 0; failures < 5; i++) {
						String payload = "fill-" + thread + "-" + i + "-" + "x".repeat(200);
						try {
							Operation operation = outbox.enqueue("http.post", "/fill", payload);
							synchronized (out) {
								out.println("ACK " + operation.id() + " " + payload);
							}
						}
						catch (io.offlinesync.StoreException ex) {
							failures++;
							synchronized (out) {
								out.println("FAIL " + ex.getMessage());
							}
						}
					}
				});
				writer.start();
				writers.add(writer);
			}
			for (Thread writer : writers) {
				writer.join();
			}
			out.println("STORED " + store.stats().total());
		}
		out.flush();
	}

}
