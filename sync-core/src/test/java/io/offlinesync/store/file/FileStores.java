package io.offlinesync.store.file;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import io.offlinesync.Outbox;
import io.offlinesync.StoreException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Helpers of the file store's tests.
 */
final class FileStores {

	private FileStores() {
	}

	/** Wait until no compaction runs, as its statistics tell. */
	static void awaitNoCompaction(FileOutboxStore store) {
		await().atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofMillis(5))
			.until(() -> !store.statistics().compacting());
	}

	/** Delete a directory and what it holds, if it exists. */
	static void deleteRecursively(Path directory) throws IOException {
		if (!Files.exists(directory)) {
			return;
		}
		try (Stream<Path> files = Files.walk(directory)) {
			for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
				Files.delete(file);
			}
		}
	}

	/**
	 * Enqueue 1 KB operations until the store refuses one, at most {@code most}, and check that the refusal says the
	 * disk is full and nothing was stored.
	 * @return the ids of the operations enqueued, in order
	 */
	static List<String> fillUntilRefused(Outbox outbox, int most) {
		String payload = "x".repeat(1_000);
		List<String> acknowledged = new ArrayList<>();
		StoreException full = null;
		for (int i = 0; i < most && full == null; i++) {
			try {
				acknowledged.add(outbox.enqueue("http.post", "/notes", i + payload).id());
			}
			catch (StoreException ex) {
				full = ex;
			}
		}
		assertThat(full).as("no enqueue was refused").isNotNull();
		assertThat(full).hasMessageContaining("No space left on device").hasMessageContaining("not stored");
		return acknowledged;
	}

}
