package io.offlinesync.store.file;

import java.io.PrintStream;
import java.nio.file.Path;

import io.offlinesync.Operation;
import io.offlinesync.Outbox;
import io.offlinesync.StoreLockedException;

/**
 * The child process of the crash tests. {@code enqueue DIR THREADS}: enqueue from several threads for ever and
 * print {@code ACK <id> <payload>} after each enqueue returns, until killed. {@code open DIR}: try to open the
 * store and exit 3 if it is locked.
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

}
