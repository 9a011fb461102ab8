package io.offlinesync.store.file;

import java.io.PrintStream;
import java.nio.file.Path;

import io.offlinesync.Operation;
import io.offlinesync.Outbox;
import io.offlinesync.StoreLockedException;

/**
 * The child process of the tests with a real process. {@code enqueue DIR THREADS RUN}: enqueue from several threads
 * for ever (the first thread in batches of 150 large operations) and print {@code ACK <id> <payload>} for each
 * operation once its call returns, until killed. {@code open DIR}: try to
 * open the store and exit 3 if it is locked. {@code fill DIR THREADS}: enqueue from several threads until writes
 * fail (the parent limits the file size), printing {@code ACK <id> <payload>} and {@code FAIL <message>}, then
 * {@code STORED <count>} for what the open store holds, and close it.
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
		int threads = Integer.parseInt(args[2]);
		if (args[0].equals("fill")) {
			fill(directory, threads);
			return;
		}
		String run = args[3];
		PrintStream out = System.out;
		FileOutboxStore store = FileOutboxStore.open(directory);
		Outbox outbox = new Outbox(store);
		out.println("READY");
		out.flush();
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
