package io.offlinesync.store.file;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offlinesync.NewOperation;
import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.StoreException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Many writers at once, with fsync on and compaction eager: every call returns (writers parked for a force are
 * always woken, whether a force, a compaction or a large batch's own force made their write durable), and what a
 * reopen reads equals what the store held.
 */
class FileOutboxStoreConcurrencyTests {

	private static final int WRITERS = 16;

	private static final int CYCLES = 120;

	/** Long enough that a writer gathering for a force never reaches its deadline while a test watches it. */
	private static final Duration LONG_GATHER = Duration.ofSeconds(30);

	@TempDir
	Path directory;

	@Test
	void writersOfEveryKindOfChangeAllReturnAndLeaveAJournalEqualToMemory() throws Exception {
		AtomicInteger forces = new AtomicInteger();
		AtomicInteger compactions = new AtomicInteger();
		FileStoreSettings.ChannelOpener counting = (path, options) -> {
			if (path.getFileName().toString().endsWith(".tmp") && List.of(options).contains(StandardOpenOption.CREATE)) {
				compactions.incrementAndGet();
			}
			return new ForwardingFileChannel(FileChannel.open(path, options)) {
				@Override
				public void force(boolean metaData) throws IOException {
					forces.incrementAndGet();
					super.force(metaData);
				}
			};
		};
		Set<String> done = ConcurrentHashMap.newKeySet();
		Set<String> pending = ConcurrentHashMap.newKeySet();
		List<Operation> inMemory;
		int changes;
		try (FileOutboxStore store = FileOutboxStore.open(this.directory,
				FileStoreSettings.DEFAULTS.withCompactionSlack(64).withOpener(counting))) {
			Outbox outbox = new Outbox(store);
			CountDownLatch start = new CountDownLatch(1);
			ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
			List<Future<?>> writers = new ArrayList<>();
			for (int w = 0; w < WRITERS; w++) {
				int writer = w;
				writers.add(pool.submit(() -> {
					start.await();
					for (int i = 0; i < CYCLES; i++) {
						if (writer == 0 && i % 20 == 0) {
							// Past the size whose force starts on the store's own thread.
							List<NewOperation> batch = new ArrayList<>();
							for (int b = 0; b < 150; b++) {
								batch.add(NewOperation.of("http.post", "/batch", "x".repeat(500)));
							}
							outbox.enqueueAll(batch).forEach((operation) -> pending.add(operation.id()));
						}
						Operation enqueued = outbox.enqueue("http.post", "/a", "w" + writer + "-" + i);
						Operation claimed = outbox.claim(enqueued.id());
						outbox.markDone(claimed);
						done.add(claimed.id());
					}
					return null;
				}));
			}
			start.countDown();
			for (Future<?> writer : writers) {
				writer.get(120, TimeUnit.SECONDS);
			}
			pool.shutdown();
			FileStores.awaitNoCompaction(store);
			changes = forces.get();
			inMemory = store.list(Set.of(), null, Integer.MAX_VALUE);
		}
		assertThat(compactions.get()).as("compactions while writers ran").isPositive();
		int writes = WRITERS * CYCLES * 3;
		assertThat(changes).as("forces, for %d single changes", writes).isLessThan(writes);
		assertThat(inMemory).filteredOn((operation) -> operation.status() == OperationStatus.DONE)
			.extracting(Operation::id)
			.containsAll(done);
		assertThat(inMemory).extracting(Operation::id).containsAll(pending);
		try (FileOutboxStore reopened = FileOutboxStore.open(this.directory)) {
			assertThat(reopened.recovery().isClean()).isTrue();
			assertThat(reopened.list(Set.of(), null, Integer.MAX_VALUE)).containsExactlyElementsOf(inMemory);
		}
	}

	@Test
	void aWriterThatWroteDuringAForceLeadsTheNextOneOnceThatForceEnds() throws Exception {
		HeldForce held = new HeldForce();
		try (FileOutboxStore store = FileOutboxStore.open(this.directory, held.settings())) {
			Outbox outbox = new Outbox(store);
			held.armed.set(true);
			ExecutorService pool = Executors.newFixedThreadPool(1, (task) -> new Thread(task, "second writer"));
			CompletableFuture<Operation> first = CompletableFuture
				.supplyAsync(() -> outbox.enqueue("http.post", "/a", "first"));
			assertThat(held.forceEntered.await(10, TimeUnit.SECONDS)).isTrue();
			// Written after the running force took its count: it needs a force of its own, and no one else will come.
			Future<Operation> second = pool.submit(() -> outbox.enqueue("http.post", "/a", "second"));
			awaitParked("second writer", store);
			held.forceMayEnd.countDown();
			assertThat(first.get(10, TimeUnit.SECONDS).payload()).isEqualTo("first");
			assertThat(second.get(10, TimeUnit.SECONDS).payload()).isEqualTo("second");
			pool.shutdown();
		}
		assertThat(payloadsAfterReopen()).containsExactly("first", "second");
	}

	@Test
	void aRecordHeldForTheNextForceIsReadBackBeforeItReachesTheFileAndWrittenByThatForce() throws Exception {
		HeldForce held = new HeldForce();
		Path journal = this.directory.resolve(FileOutboxStore.JOURNAL);
		try (FileOutboxStore store = FileOutboxStore.open(this.directory, held.settings().withPayloadCache(0))) {
			Outbox outbox = new Outbox(store);
			held.armed.set(true);
			CompletableFuture<Operation> first = CompletableFuture
				.supplyAsync(() -> outbox.enqueue("http.post", "/a", "first"));
			assertThat(held.forceEntered.await(10, TimeUnit.SECONDS)).isTrue();
			ExecutorService pool = Executors.newFixedThreadPool(1, (task) -> new Thread(task, "held writer"));
			Future<Operation> second = pool.submit(() -> outbox.enqueue("http.post", "/a", "held until the next force"));
			awaitParked("held writer", store);
			String heldId = heldId(store);
			assertThat(Files.readString(journal)).as("journal while its record is held").doesNotContain(heldId);
			// No payload is cached: this one is read from the records held.
			assertThat(store.find(heldId).orElseThrow().payload()).isEqualTo("held until the next force");
			assertThat(store.statistics().payloadReads()).isPositive();

			held.forceMayEnd.countDown();
			first.get(10, TimeUnit.SECONDS);
			assertThat(second.get(10, TimeUnit.SECONDS).id()).isEqualTo(heldId);
			assertThat(Files.readString(journal)).contains(heldId);
			pool.shutdown();
		}
		try (FileOutboxStore reopened = FileOutboxStore.open(this.directory)) {
			assertThat(reopened.recovery().isClean()).isTrue();
			assertThat(reopened.find(heldId(reopened)).orElseThrow().payload()).isEqualTo("held until the next force");
		}
	}

	@Test
	void whileOneWriterGathersOthersForItsForceTheyWaitWithoutADeadlineAndTheWriterCompletingTheBatchLeads()
			throws Exception {
		HeldForce held = new HeldForce();
		try (FileOutboxStore store = FileOutboxStore.open(this.directory, held.settings(LONG_GATHER))) {
			Outbox outbox = new Outbox(store);
			Gathering gathering = Gathering.start(store, outbox, held);
			assertThat(gathering.gatherer().thread.getState()).isEqualTo(Thread.State.TIMED_WAITING);
			// The third write completes the batch of the last force: its writer forces for all three at once,
			// long before the gatherer's deadline.
			Writer completer = Writer.start("completer", outbox);
			for (Writer writer : List.of(gathering.gatherer(), gathering.joiner(), completer)) {
				assertThat(writer.result.get(5, TimeUnit.SECONDS).payload()).isEqualTo(writer.thread.getName());
			}
		}
	}

	@Test
	void aGathererThatIsInterruptedHandsItsPlaceToAWriterWaitingWithoutADeadline() throws Exception {
		HeldForce held = new HeldForce();
		try (FileOutboxStore store = FileOutboxStore.open(this.directory, held.settings(LONG_GATHER))) {
			Outbox outbox = new Outbox(store);
			Gathering gathering = Gathering.start(store, outbox, held);
			gathering.gatherer().thread.interrupt();
			assertThat(gathering.gatherer().result).failsWithin(5, TimeUnit.SECONDS)
				.withThrowableOfType(ExecutionException.class)
				.havingCause()
				.isInstanceOf(StoreException.class)
				.withMessageContaining("Interrupted");
			// Otherwise no one would lead: the joiner waits for a force that no one is going to start.
			awaitState("joiner", store, Thread.State.TIMED_WAITING);
			Writer completer = Writer.start("completer", outbox);
			assertThat(gathering.joiner().result.get(5, TimeUnit.SECONDS).payload()).isEqualTo("joiner");
			assertThat(completer.result.get(5, TimeUnit.SECONDS).payload()).isEqualTo("completer");
		}
		assertThat(payloadsAfterReopen()).contains("joiner", "completer");
	}

	@Test
	void afterAForceOfMoreThanSixteenWritesAWriterForcesAtOnceInsteadOfGathering() throws Exception {
		HeldForce held = new HeldForce();
		try (FileOutboxStore store = FileOutboxStore.open(this.directory, held.settings(LONG_GATHER))) {
			Outbox outbox = new Outbox(store);
			coverWritesWithOneForce(store, outbox, held, 17);
			// Gathering would keep it parked for LONG_GATHER: the last batch is seventeen, and it is alone.
			Writer alone = Writer.start("alone", outbox);
			assertThat(alone.result.get(5, TimeUnit.SECONDS).payload()).isEqualTo("alone");
		}
	}

	/**
	 * One write forced alone while {@code count} more are written, which the next force then covers at once: the batch
	 * the next writers gather for is {@code count}.
	 */
	private static void coverWritesWithOneForce(FileOutboxStore store, Outbox outbox, HeldForce held, int count)
			throws Exception {
		held.armed.set(true);
		Writer first = Writer.start("first", outbox);
		assertThat(held.forceEntered.await(10, TimeUnit.SECONDS)).isTrue();
		List<Writer> batch = new ArrayList<>();
		for (int i = 1; i <= count; i++) {
			batch.add(Writer.start("batch-" + i, outbox));
			awaitParked("batch-" + i, store);
		}
		held.forceMayEnd.countDown();
		first.result.get(10, TimeUnit.SECONDS);
		for (Writer writer : batch) {
			writer.result.get(10, TimeUnit.SECONDS);
		}
	}

	/**
	 * After a force of three writes, a writer that gathers others for the next force (with a deadline) and one that
	 * joins it (without one).
	 */
	private record Gathering(Writer gatherer, Writer joiner) {

		static Gathering start(FileOutboxStore store, Outbox outbox, HeldForce held) throws Exception {
			coverWritesWithOneForce(store, outbox, held, 3);
			Writer gatherer = Writer.start("gatherer", outbox);
			awaitState("gatherer", store, Thread.State.TIMED_WAITING);
			Writer joiner = Writer.start("joiner", outbox);
			awaitState("joiner", store, Thread.State.WAITING);
			return new Gathering(gatherer, joiner);
		}

	}

	/** A thread that enqueues one operation whose payload is the thread's name. */
	private record Writer(Thread thread, CompletableFuture<Operation> result) {

		static Writer start(String name, Outbox outbox) {
			CompletableFuture<Operation> result = new CompletableFuture<>();
			Thread thread = new Thread(() -> {
				try {
					result.complete(outbox.enqueue("http.post", "/a", name));
				}
				catch (Throwable ex) {
					result.completeExceptionally(ex);
				}
			}, name);
			thread.start();
			return new Writer(thread, result);
		}

	}

	/** @return the payloads of the first ten operations stored, read by a store opened afresh */
	private List<String> payloadsAfterReopen() throws IOException {
		try (FileOutboxStore reopened = FileOutboxStore.open(this.directory)) {
			return reopened.list(Set.of(), null, 10).stream().map(Operation::payload).toList();
		}
	}

	private static String heldId(FileOutboxStore store) {
		return store.list(Set.of(), null, 1000)
			.stream()
			.filter((operation) -> operation.payload().equals("held until the next force"))
			.findFirst()
			.orElseThrow()
			.id();
	}

	/** Waits until the thread named {@code name} is parked on {@code blocker}. */
	private static void awaitParked(String name, Object blocker) {
		awaitState(name, blocker, Thread.State.WAITING);
	}

	/** Waits until the thread named {@code name} is parked on {@code blocker}, with or without a deadline. */
	private static void awaitState(String name, Object blocker, Thread.State state) {
		await().atMost(10, TimeUnit.SECONDS)
			.until(() -> Thread.getAllStackTraces()
				.keySet()
				.stream()
				.anyMatch((thread) -> thread.getName().equals(name) && thread.getState() == state
						&& LockSupport.getBlocker(thread) == blocker));
	}

	/** Channels whose first force after {@code armed} is set waits until the test lets it end. */
	private static final class HeldForce {

		final CountDownLatch forceEntered = new CountDownLatch(1);

		final CountDownLatch forceMayEnd = new CountDownLatch(1);

		final AtomicBoolean armed = new AtomicBoolean();

		FileStoreSettings settings() {
			return settings(FileStoreSettings.DEFAULTS.gatherWait());
		}

		FileStoreSettings settings(Duration gatherWait) {
			return FileStoreSettings.DEFAULTS.withOpener((path, options) -> new ForwardingFileChannel(FileChannel.open(path, options)) {
						@Override
						public void force(boolean metaData) throws IOException {
							if (HeldForce.this.armed.getAndSet(false)) {
								HeldForce.this.forceEntered.countDown();
								try {
									HeldForce.this.forceMayEnd.await(10, TimeUnit.SECONDS);
								}
								catch (InterruptedException ex) {
									throw new InterruptedIOException();
								}
							}
							super.force(metaData);
						}
					}).withGatherWait(gatherWait);
		}

	}

}
