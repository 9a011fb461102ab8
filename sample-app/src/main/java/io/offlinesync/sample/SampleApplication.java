package io.offlinesync.sample;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import io.offlinesync.EngineConfig;
import io.offlinesync.NetworkProbe;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.OutboxConfig;
import io.offlinesync.RetryPolicy;
import io.offlinesync.SyncEngine;
import io.offlinesync.store.file.FileOutboxStore;

/**
 * The demo: go offline, write notes, "crash" (close without delivering), start again, come back online, and watch
 * every note arrive exactly once although the remote API fails once on the way.
 */
public final class SampleApplication {

	private SampleApplication() {
	}

	public static void main(String[] args) throws Exception {
		Path directory = (args.length > 0) ? Path.of(args[0]) : Files.createTempDirectory("offline-sync-sample");
		AtomicBoolean online = new AtomicBoolean(false);
		OutboxConfig config = OutboxConfig.builder()
			.retryPolicy(RetryPolicy.builder().initialDelay(Duration.ofMillis(200)).build())
			.build();
		try (NotesReceiver receiver = new NotesReceiver()) {
			say("Remote notes API listening on " + receiver.baseUri() + "; outbox in " + directory);

			say("1. The network is down. Writing three notes...");
			try (FileOutboxStore store = FileOutboxStore.open(directory)) {
				Outbox outbox = new Outbox(store, config, Clock.systemUTC());
				for (String text : new String[] { "buy milk", "call Ada", "ship v0.1 🚀" }) {
					outbox.enqueue("http.post", "/api/notes", "{\"text\":\"" + text + "\"}");
				}
				say("   stored durably: " + outbox.stats().counts());
			}
			say("2. The app stops before any delivery (the notes are only on disk now).");

			say("3. The app starts again; the remote API will answer 503 to its first request.");
			receiver.failNext(1);
			try (FileOutboxStore store = FileOutboxStore.open(directory)) {
				Outbox outbox = new Outbox(store, config, Clock.systemUTC());
				NetworkProbe probe = new NetworkProbe(online::get, Duration.ofMillis(100), Clock.systemUTC());
				try (SyncEngine engine = new SyncEngine(outbox, new HttpClientTransport(receiver.baseUri()), probe,
						EngineConfig.defaults())) {
					engine.start();
					say("   still offline: " + outbox.stats().counts());
					say("4. The network comes back.");
					online.set(true);
					probe.refresh();
					long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
					while (outbox.stats().count(OperationStatus.DONE) < 3 && System.nanoTime() < deadline) {
						Thread.sleep(50);
					}
					say("   after delivery: " + outbox.stats().counts());
					outbox.list(Set.of(OperationStatus.DONE), null, 10)
						.forEach((operation) -> say("   " + operation.id() + " delivered after " + operation.attempt()
								+ " attempt(s): " + operation.payload()));
				}
			}
			say("5. The remote API received " + receiver.notes().size() + " notes in " + receiver.requests()
					+ " requests (one was a 503, retried with backoff): " + receiver.notes());
		}
	}

	private static void say(String line) {
		System.out.println(line);
	}

}
