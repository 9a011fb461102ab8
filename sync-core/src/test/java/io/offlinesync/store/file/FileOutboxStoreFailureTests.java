package io.offlinesync.store.file;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.offlinesync.NewOperation;
import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.StoreException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Failed writes and failed forces: the call throws, memory stays equal to disk, and the store works again once the
 * cause is gone.
 */
class FileOutboxStoreFailureTests {

	@TempDir
	Path directory;

	private final FaultyFileChannel.Faults faults = new FaultyFileChannel.Faults();

	private FileOutboxStore open() {
		return FileOutboxStore.open(this.directory, this.faults.settings());
	}

	/** The length of the journal without the padding an open store extends it with. */
	private long recordBytes() throws IOException {
		try (FileChannel in = FileChannel.open(this.directory.resolve(FileOutboxStore.JOURNAL))) {
			return JournalLoader.endOfRecords(in);
		}
	}

	private static List<Operation> contents(FileOutboxStore store) {
		return store.list(Set.of(), null, Integer.MAX_VALUE);
	}

	private void assertDiskEqualsMemory(FileOutboxStore store) {
		List<Operation> inMemory = contents(store);
		store.close();
		try (FileOutboxStore reopened = FileOutboxStore.open(this.directory)) {
			assertThat(reopened.recovery().isClean()).isTrue();
			assertThat(contents(reopened)).containsExactlyElementsOf(inMemory);
		}
	}

	@Test
	void aFailedWriteThrowsChangesNothingAndTheStoreRecovers() throws Exception {
		FileOutboxStore store = open();
		Outbox outbox = new Outbox(store);
		Operation kept = outbox.enqueue("http.post", "/a", "kept");
		long sizeBefore = recordBytes();
		this.faults.failWrites.set(true);
		assertThatExceptionOfType(StoreException.class).isThrownBy(() -> outbox.enqueue("http.post", "/a", "lost"))
			.withMessageContaining("No space left on device")
			.withMessageContaining("the change was not stored");
		assertThatExceptionOfType(StoreException.class).isThrownBy(() -> outbox.claim(kept.id()));
		assertThat(contents(store)).containsExactly(kept);
		assertThat(recordBytes()).isEqualTo(sizeBefore);
		this.faults.failWrites.set(false);
		Operation after = outbox.enqueue("http.post", "/a", "after");
		assertThat(outbox.claim(kept.id()).status()).isEqualTo(OperationStatus.IN_FLIGHT);
		assertThat(contents(store)).extracting(Operation::id).containsExactly(kept.id(), after.id());
		assertDiskEqualsMemory(store);
	}

	@Test
	void aFailedForceUndoesTheChangeInMemoryAndOnDisk() throws Exception {
		FileOutboxStore store = open();
		Outbox outbox = new Outbox(store);
		Operation kept = outbox.enqueue("http.post", "/a", "kept");
		Operation claimed = outbox.claim(kept.id());
		this.faults.failForces.set(1);
		assertThatExceptionOfType(StoreException.class).isThrownBy(() -> outbox.enqueue("http.post", "/a", "lost"))
			.withMessageContaining("Input/output error")
			.withMessageContaining("undone");
		assertThat(contents(store)).containsExactly(claimed);
		assertThat(Files.readAllLines(this.directory.resolve(FileOutboxStore.JOURNAL)))
			.noneMatch((line) -> line.contains("lost"));
		// A change of a stored operation is undone to its previous state.
		this.faults.failForces.set(1);
		assertThatExceptionOfType(StoreException.class).isThrownBy(() -> outbox.markDone(claimed))
			.withMessageContaining("undone");
		assertThat(contents(store)).containsExactly(claimed);
		// Working again: the claim is still current and completes.
		assertThat(outbox.markDone(claimed).status()).isEqualTo(OperationStatus.DONE);
		assertDiskEqualsMemory(store);
	}

	/**
	 * A large batch starts its force on another thread while the writer updates the index; when that force fails,
	 * the writer's call fails all the same and the batch is undone.
	 */
	@Test
	void aLargeBatchIsForcedAheadOnAnotherThreadAndAFailedForceStillUndoesIt() throws Exception {
		FileOutboxStore store = open();
		Outbox outbox = new Outbox(store);
		Operation kept = outbox.enqueue("http.post", "/a", "kept");
		List<NewOperation> batch = new ArrayList<>();
		for (int i = 0; i < 300; i++) {
			batch.add(NewOperation.of("http.post", "/a", "lost-" + i + "-" + "x".repeat(256)));
		}
		long sizeBefore = recordBytes();
		this.faults.failForces.set(1);
		this.faults.forcingThreads.clear();
		assertThatExceptionOfType(StoreException.class).isThrownBy(() -> outbox.enqueueAll(batch))
			.withMessageContaining("Input/output error")
			.withMessageContaining("undone");
		assertThat(this.faults.forcingThreads).containsExactly("offline-sync-journal-force");
		assertThat(contents(store)).containsExactly(kept);
		assertThat(recordBytes()).isEqualTo(sizeBefore);
		List<Operation> stored = outbox.enqueueAll(batch);
		assertThat(contents(store)).hasSize(1 + stored.size());
		assertDiskEqualsMemory(store);
		await().atMost(Duration.ofSeconds(10))
			.until(() -> Thread.getAllStackTraces().keySet().stream()
				.noneMatch((thread) -> thread.getName().equals("offline-sync-journal-force")));
	}

	/**
	 * @param fault {@code force}: a force fails; {@code write}: writing the records held for a force fails (after half
	 * of them reached the file), twice in a row in case the first write to fail is the journal's padding
	 */
	@ParameterizedTest
	@ValueSource(strings = { "force", "write" })
	void concurrentEnqueuesShareForcesAndAFailureFailsExactlyTheCallsItCovered(String fault) throws Exception {
		FileOutboxStore store = open();
		Outbox outbox = new Outbox(store);
		int threads = 8;
		int perThread = 200;
		Set<String> acknowledged = ConcurrentHashMap.newKeySet();
		Set<String> refused = ConcurrentHashMap.newKeySet();
		CountDownLatch start = new CountDownLatch(1);
		ExecutorService pool = Executors.newFixedThreadPool(threads);
		List<Future<?>> workers = new ArrayList<>();
		for (int t = 0; t < threads; t++) {
			int thread = t;
			workers.add(pool.submit(() -> {
				start.await();
				for (int i = 0; i < perThread; i++) {
					if (thread == 0 && i == perThread / 2) {
						if (fault.equals("force")) {
							this.faults.failForces.set(1);
						}
						else {
							this.faults.failNextWrites.set(2);
						}
					}
					String payload = thread + "-" + i;
					try {
						outbox.enqueue("http.post", "/a", payload);
						acknowledged.add(payload);
					}
					catch (StoreException ex) {
						refused.add(payload);
					}
				}
				return null;
			}));
		}
		start.countDown();
		for (Future<?> worker : workers) {
			worker.get(60, TimeUnit.SECONDS);
		}
		pool.shutdown();
		assertThat(acknowledged.size() + refused.size()).isEqualTo(threads * perThread);
		assertThat(refused).isNotEmpty();
		// Group commit: far fewer forces than enqueues.
		assertThat(this.faults.forces.get()).isLessThan(threads * perThread);
		assertThat(contents(store)).extracting(Operation::payload).containsExactlyInAnyOrderElementsOf(acknowledged);
		assertDiskEqualsMemory(store);
	}

}
