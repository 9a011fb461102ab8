package io.offlinesync.store.file;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.OutboxConfig;
import io.offlinesync.test.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * A journal written by offline-sync 0.1 (format version 1: every change a whole {@code put} record), kept as the
 * file that version wrote: this version opens it as it was, drains it, and rewrites it in the current format.
 */
class FileOutboxStoreVersionOneTests {

	private static final Instant WRITTEN = Instant.parse("2026-11-01T10:00:00Z");

	@TempDir
	Path directory;

	private final MutableClock clock = new MutableClock(WRITTEN.plus(Duration.ofMinutes(5)));

	private Path journal() throws IOException {
		Path journal = this.directory.resolve(FileOutboxStore.JOURNAL);
		try (InputStream in = getClass().getResourceAsStream("journal-v1/outbox.journal")) {
			Files.copy(in, journal);
		}
		return journal;
	}

	@Test
	void aVersionOneJournalOpensAsItWasWrittenDrainsAndIsRewrittenInTheCurrentFormat() throws IOException {
		Path journal = journal();
		assertThat(Files.readAllLines(journal).get(0)).isEqualTo("{\"format\":\"offline-sync-journal\",\"version\":1}");
		List<Operation> found;
		try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
			assertThat(store.recovery().isClean()).isTrue();
			assertThat(store.recovery().requeuedClaims()).isOne();
			found = store.list(Set.of(), null, 100);
			assertThat(found).extracting(Operation::target, Operation::status, Operation::attempt)
				.containsExactly(tuple("/notes", OperationStatus.PENDING, 0), tuple("/orders/1", OperationStatus.FAILED, 1),
						tuple("/inflight", OperationStatus.IN_FLIGHT, 1), tuple("/done", OperationStatus.DONE, 1),
						tuple("/parked", OperationStatus.PERMANENTLY_FAILED, 1));
			Operation note = found.get(0);
			assertThat(note.payload()).isEqualTo("{\"text\":\"café 😀\"}");
			assertThat(note.headers()).isEqualTo(Map.of("X-Trace", "abc"));
			assertThat(note.idempotencyKey()).isEqualTo("note-1");
			assertThat(note.orderingKey()).isEqualTo("user-7");
			assertThat(note.createdAt()).isEqualTo(WRITTEN);
			assertThat(found.get(1).lastError()).isEqualTo("503 Service Unavailable");
			assertThat(found.get(1).nextAttemptAt()).isEqualTo(Instant.parse("2026-11-01T10:00:00.571Z"));
			assertThat(found.get(4).lastError()).isEqualTo("400 Bad Request");

			// Rewritten in the background, without a change to wait for.
			FileStores.awaitNoCompaction(store);
			assertThat(store.statistics().compactions()).isOne();
			assertThat(Files.readAllLines(journal).get(0))
				.matches("[0-9a-f]{8} \\{\"format\":\"offline-sync-journal\",\"version\":2\\}");
			assertThat(store.list(Set.of(), null, 100)).isEqualTo(found);

			Outbox outbox = new Outbox(store, OutboxConfig.defaults(), this.clock);
			assertThat(outbox.requeueStale(Duration.ofMinutes(10))).isOne();
			List<Operation> claimed = outbox.claimReady(10);
			assertThat(claimed).extracting(Operation::target).containsExactlyInAnyOrder("/notes", "/orders/1", "/inflight");
			outbox.markAllDone(claimed);
		}
		try (FileOutboxStore reopened = FileOutboxStore.open(this.directory)) {
			assertThat(reopened.recovery().isClean()).isTrue();
			assertThat(reopened.list(Set.of(OperationStatus.DONE), null, 100)).extracting(Operation::target)
				.containsExactlyInAnyOrder("/notes", "/orders/1", "/inflight", "/done");
			assertThat(reopened.list(Set.of(OperationStatus.DONE), null, 100).get(0).payload())
				.isEqualTo(found.get(0).payload());
			assertThat(new String(Files.readAllBytes(journal), StandardCharsets.UTF_8)).contains("\"type\":\"state\"");
		}
	}

}
