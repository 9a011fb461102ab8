package io.offlinesync.store.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.store.QuarantinedOperation;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A record damaged on disk after the store opened (its payload is read from the journal when it is wanted) takes
 * only its own operation out of the flow.
 */
class FileOutboxStoreQuarantineTests {

	@TempDir
	Path directory;

	@Test
	void anOperationWhoseRecordIsDamagedAfterOpeningIsQuarantinedAndTheOthersFlow() throws IOException {
		// No payload cache: every payload is read from the journal.
		try (FileOutboxStore store = FileOutboxStore.open(this.directory,
				FileStoreSettings.DEFAULTS.withFsync(false).withPayloadCache(0))) {
			Outbox outbox = new Outbox(store);
			List<Operation> enqueued = new ArrayList<>();
			for (int i = 0; i < 5; i++) {
				enqueued.add(outbox.enqueue("http.post", "/notes/" + i, "payload of note " + i));
			}
			Operation victim = enqueued.get(2);
			long offset = damagePayloadOf(victim);

			List<Operation> claimed = outbox.claimReady(10);
			assertThat(claimed).extracting(Operation::id)
				.containsExactly(enqueued.get(0).id(), enqueued.get(1).id(), enqueued.get(3).id(), enqueued.get(4).id());
			assertThat(claimed).extracting(Operation::payload)
				.containsExactly("payload of note 0", "payload of note 1", "payload of note 3", "payload of note 4");
			assertThat(outbox.markAllDone(claimed)).hasSize(4);

			assertThat(store.quarantined()).singleElement().satisfies((quarantined) -> {
				assertThat(quarantined.id()).isEqualTo(victim.id());
				assertThat(quarantined.reason()).contains(victim.id()).contains("offset " + offset)
					.contains("checksum mismatch");
			});
			assertThat(store.statistics().quarantined()).isOne();
			assertThat(store.find(victim.id())).isEmpty();
			assertThat(store.list(Set.of(OperationStatus.PENDING), null, 10)).isEmpty();
			assertThat(outbox.claimReady(10)).isEmpty();
			// Changes go on being recorded beside it.
			Operation after = outbox.enqueue("http.post", "/notes/after", "after");
			assertThat(outbox.markDone(outbox.claim(after.id())).status()).isEqualTo(OperationStatus.DONE);
		}
		try (FileOutboxStore reopened = FileOutboxStore.open(this.directory)) {
			assertThat(reopened.recovery().dropped()).singleElement()
				.satisfies((dropped) -> assertThat(dropped.reason()).contains("checksum mismatch"));
			assertThat(reopened.list(Set.of(OperationStatus.DONE), null, 10)).hasSize(5);
			assertThat(reopened.quarantined()).isEmpty();
		}
	}

	/** @return the offset of the operation's record, whose payload now has one byte changed */
	private long damagePayloadOf(Operation operation) throws IOException {
		Path journal = this.directory.resolve(FileOutboxStore.JOURNAL);
		byte[] bytes = Files.readAllBytes(journal);
		String text = new String(bytes, StandardCharsets.ISO_8859_1);
		int record = text.lastIndexOf('\n', text.indexOf(operation.id())) + 1;
		int payload = text.indexOf(operation.payload(), record);
		try (FileChannel out = FileChannel.open(journal, StandardOpenOption.WRITE)) {
			out.write(ByteBuffer.wrap(new byte[] { 'X' }), payload);
		}
		return record;
	}

}
