package io.offlinesync.store.file;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A store whose disk fills up with its backlog must still deliver all of it: a state change is a small record, and
 * enqueues stop short of the reserve that recording the deliveries of what is stored needs. The disk is
 * {@link SmallDisk}, so this runs wherever the tests do; {@link FileOutboxStoreFullDiskTests} repeats it on a
 * real tmpfs where it can mount one.
 */
class FileOutboxStoreDiskSpaceTests {

	private static final long DISK = 3L << 20;

	@TempDir
	Path temporary;

	@ParameterizedTest(name = "{0} bytes freed")
	@ValueSource(longs = { 0, 1 << 20 })
	void aFullDiskDrainsItsWholeBacklog(long freed) throws IOException {
		Path directory = Files.createDirectories(this.temporary.resolve("store"));
		SmallDisk disk = new SmallDisk(directory, DISK);
		FileStoreSettings settings = disk.settings(FileStoreSettings.DEFAULTS);
		List<String> acknowledged;
		try (FileOutboxStore store = FileOutboxStore.open(directory, settings)) {
			Outbox outbox = new Outbox(store);
			acknowledged = FileStores.fillUntilRefused(outbox, 10_000);
			assertThat(acknowledged).as("a 3 MB disk holds well over a thousand 1 KB operations").hasSizeGreaterThan(1_500);
			assertThat(disk.used()).isGreaterThan(DISK - (256 << 10));

			disk.free(freed);
			Set<String> delivered = new HashSet<>();
			List<Operation> claimed;
			while (!(claimed = outbox.claimReady(64)).isEmpty()) {
				claimed.forEach((operation) -> assertThat(delivered.add(operation.id())).isTrue());
				assertThat(outbox.markAllDone(claimed)).hasSameSizeAs(claimed);
			}
			assertThat(delivered).containsExactlyInAnyOrderElementsOf(acknowledged);
			assertThat(store.list(Set.of(OperationStatus.PENDING, OperationStatus.IN_FLIGHT), null, 1)).isEmpty();
		}
		try (FileOutboxStore reopened = FileOutboxStore.open(directory, settings)) {
			assertThat(reopened.recovery().isClean()).as(reopened.recovery().toString()).isTrue();
			assertThat(reopened.list(Set.of(), null, Integer.MAX_VALUE)).extracting(Operation::id)
				.containsExactlyElementsOf(acknowledged);
			assertThat(reopened.list(Set.of(OperationStatus.DONE), null, Integer.MAX_VALUE))
				.hasSameSizeAs(acknowledged);
			// The delivered ones make room once they are purged: the store takes enqueues again.
			Outbox outbox = new Outbox(reopened);
			assertThat(outbox.purgeDone(Duration.ZERO)).isEqualTo(acknowledged.size());
			assertThat(outbox.enqueue("http.post", "/notes", "after the drain").status())
				.isEqualTo(OperationStatus.PENDING);
		}
	}

	/**
	 * The reserve costs as many bytes written as the backlog's own records, so it is written only once the disk runs
	 * low: with room to spare the journal holds its records and the preallocation, no more.
	 */
	@ParameterizedTest(name = "disk of {0} bytes")
	@ValueSource(longs = { 1L << 40, 8L << 20 })
	void theReserveIsWrittenOnlyOnceTheDiskRunsLow(long capacity) throws IOException {
		Path directory = Files.createDirectories(this.temporary.resolve("store"));
		SmallDisk disk = new SmallDisk(directory, capacity);
		try (FileOutboxStore store = FileOutboxStore.open(directory, disk.settings(FileStoreSettings.DEFAULTS))) {
			Outbox outbox = new Outbox(store);
			String payload = "x".repeat(200);
			for (int i = 0; i < 4_000; i++) {
				outbox.enqueue("http.post", "/notes", payload);
			}
			long journal = Files.size(directory.resolve(FileOutboxStore.JOURNAL));
			long records = recordsEnd(directory);
			long reserve = 4_000L * FileStoreSettings.DEFAULTS.reservePerOperation();
			if (capacity > 1L << 30) {
				assertThat(journal - records).as("padding").isLessThanOrEqualTo(2L << 20);
			}
			else {
				assertThat(journal - records).as("padding").isGreaterThanOrEqualTo(reserve - (1L << 20));
			}
		}
	}

	/** @return where the journal's records end: the padding after them is line feeds */
	private static long recordsEnd(Path directory) throws IOException {
		byte[] bytes = Files.readAllBytes(directory.resolve(FileOutboxStore.JOURNAL));
		int end = bytes.length;
		while (end > 0 && (bytes[end - 1] == '\n' || bytes[end - 1] == 0)) {
			end--;
		}
		return end + 1;
	}

}
