package io.offlinesync.store.file;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import io.offlinesync.NewOperation;
import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.StoreException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A file system that really fills up: the store lives on a 512 KB tmpfs, so appends fail with {@code ENOSPC} from
 * the kernel, often after part of a record was written, and the journal's padding never fits. Mounting needs root
 * (or {@code CAP_SYS_ADMIN}); without it the test is skipped, and {@link FileOutboxStoreDiskSpaceTests}, the injected
 * faults of {@link FileOutboxStoreFailureTests} and the file-size limit of {@link FileOutboxStoreFileSizeLimitTests}
 * still cover the same paths.
 */
@EnabledOnOs(OS.LINUX)
class FileOutboxStoreFullDiskTests {

	@TempDir
	Path temporary;

	private Path mountPoint;

	private boolean mounted;

	private FileOutboxStore store;

	@BeforeEach
	void mountSmallFileSystem() throws Exception {
		this.mountPoint = Files.createDirectories(this.temporary.resolve("small"));
		String output = run("mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", this.mountPoint.toString());
		this.mounted = output == null;
		assumeTrue(this.mounted, () -> "cannot mount a small tmpfs here (needs root): " + output);
	}

	@AfterEach
	void unmount() throws Exception {
		if (this.store != null) {
			this.store.close();
		}
		if (this.mounted) {
			// Lazily: a failed test may leave a file open there.
			assertThat(run("umount", "-l", this.mountPoint.toString())).isNull();
		}
	}

	/** @return {@literal null} if the command succeeded, else what it printed */
	private static String run(String... command) throws IOException, InterruptedException {
		Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		if (!process.waitFor(30, TimeUnit.SECONDS)) {
			process.destroyForcibly();
			return "timed out";
		}
		return (process.exitValue() == 0) ? null : "exit " + process.exitValue() + ": " + output;
	}

	private static List<Operation> contents(FileOutboxStore store) {
		return store.list(Set.of(), null, Integer.MAX_VALUE);
	}

	/**
	 * The journal as a crash would leave it now: a copy, opened elsewhere, holds exactly the acknowledged operations
	 * and no trace of the refused writes.
	 */
	private void assertCrashImageHolds(Path directory, List<String> acknowledged) throws IOException {
		Path image = Files.createTempDirectory(this.temporary, "image");
		Files.copy(directory.resolve(FileOutboxStore.JOURNAL), image.resolve(FileOutboxStore.JOURNAL));
		try (FileOutboxStore copy = FileOutboxStore.open(image)) {
			assertThat(copy.recovery().isClean()).as(copy.recovery().toString()).isTrue();
			assertThat(contents(copy)).extracting(Operation::id).containsExactlyElementsOf(acknowledged);
		}
	}

	@Test
	void aFullFileSystemFailsEachWriteCleanlyAndTheStoreWorksOnceThereIsRoom() throws Exception {
		// Taken first, so that freeing it later makes room.
		Path filler = this.mountPoint.resolve("filler.bin");
		Files.write(filler, new byte[128 * 1024]);
		Path directory = this.mountPoint.resolve("store");
		String payload = "x".repeat(1_000);
		FileOutboxStore store = FileOutboxStore.open(directory);
		this.store = store;
		Outbox outbox = new Outbox(store);
		// 512 KB cannot hold more than about 500 records of this size.
		List<String> acknowledged = FileStores.fillUntilRefused(outbox, 1_000);
		assertThat(acknowledged).hasSizeGreaterThan(100);
		assertThat(contents(store)).extracting(Operation::id).containsExactlyElementsOf(acknowledged);
		assertCrashImageHolds(directory, acknowledged);

		// Still full: a batch is refused, but deliveries are recorded in the reserve kept for them.
		List<NewOperation> batch = List.of(NewOperation.of("http.post", "/notes", "a" + payload),
				NewOperation.of("http.post", "/notes", "b" + payload));
		assertThatExceptionOfType(StoreException.class).isThrownBy(() -> outbox.enqueueAll(batch))
			.withMessageContaining("No space left on device");
		String first = acknowledged.get(0);
		Operation delivered = outbox.markDone(outbox.claim(first));
		assertThat(store.find(first)).contains(delivered);
		assertThat(contents(store)).extracting(Operation::id).containsExactlyElementsOf(acknowledged);
		assertCrashImageHolds(directory, acknowledged);

		// Room again: the store takes writes without being reopened.
		Files.delete(filler);
		// The store looks for room again at most once a second.
		List<Operation> stored = await().atMost(Duration.ofSeconds(10))
			.ignoreException(StoreException.class)
			.until(() -> outbox.enqueueAll(batch), Objects::nonNull);
		assertThat(outbox.claim(acknowledged.get(1)).status()).isEqualTo(OperationStatus.IN_FLIGHT);
		stored.forEach((operation) -> acknowledged.add(operation.id()));
		List<Operation> inMemory = contents(store);
		assertThat(inMemory).extracting(Operation::id).containsExactlyElementsOf(acknowledged);
		store.close();

		try (FileOutboxStore reopened = FileOutboxStore.open(directory)) {
			assertThat(reopened.recovery().isClean()).as(reopened.recovery().toString()).isTrue();
			assertThat(contents(reopened)).containsExactlyElementsOf(inMemory);
		}
	}

}
