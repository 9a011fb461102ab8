package io.offlinesync.store.file;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import io.offlinesync.NewOperation;
import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.OutboxConfig;
import io.offlinesync.StoreFormatException;
import io.offlinesync.StoreLockedException;
import io.offlinesync.test.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class FileOutboxStoreTests {

	@TempDir
	Path directory;

	private final MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");

	private Outbox outboxOn(FileOutboxStore store) {
		return new Outbox(store, OutboxConfig.defaults(), this.clock);
	}

	/**
	 * Writes a small journal and returns, for every record in file order, the state it records.
	 */
	private List<Operation> writeSmallJournal(Path dir) {
		List<Operation> records = new ArrayList<>();
		try (FileOutboxStore store = FileOutboxStore.open(dir)) {
			Outbox outbox = outboxOn(store);
			Operation a = outbox.enqueue("http.post", "/a", "{\"text\":\"first 😀\"}");
			Operation b = outbox.enqueue("http.post", "/b", "second");
			Operation c = outbox.enqueue("http.post", "/c", "third\nline");
			Operation claimed = outbox.claim(a.id());
			Operation done = outbox.markDone(claimed);
			records.addAll(List.of(a, b, c, claimed, done));
		}
		return records;
	}

	private static Path journal(Path dir) {
		return dir.resolve(FileOutboxStore.JOURNAL);
	}

	/** The files of a directory named as copies of damaged journals are. */
	private static List<Path> damagedCopies(Path dir) throws IOException {
		try (Stream<Path> files = Files.list(dir)) {
			return files.filter((file) -> file.getFileName().toString().startsWith(FileOutboxStore.DAMAGED_PREFIX))
				.toList();
		}
	}

	/** The one copy of a damaged journal that recovery kept in a directory. */
	private static Path damagedCopy(Path dir) throws IOException {
		List<Path> copies = damagedCopies(dir);
		assertThat(copies).hasSize(1);
		return copies.get(0);
	}

	/** The journal's lines without the blank ones an open store pads it with. */
	private static List<String> recordLines(Path dir) throws IOException {
		return Files.readAllLines(journal(dir)).stream().filter((line) -> !line.isEmpty()).toList();
	}

	/** @return the end offset (after the line feed) of the header and of each record */
	private static List<Integer> lineEnds(byte[] bytes) {
		List<Integer> ends = new ArrayList<>();
		for (int i = 0; i < bytes.length; i++) {
			if (bytes[i] == '\n') {
				ends.add(i + 1);
			}
		}
		return ends;
	}

	private static Map<String, Operation> replay(List<Operation> records) {
		Map<String, Operation> state = new LinkedHashMap<>();
		records.forEach((operation) -> state.put(operation.id(), operation));
		return state;
	}

	private static List<Operation> contents(FileOutboxStore store) {
		return contents(store, 1_000);
	}

	private static List<Operation> contents(FileOutboxStore store, int limit) {
		return store.list(Set.of(), null, limit);
	}

	@Test
	void truncationAtEveryOffsetKeepsExactlyTheCompleteRecords() throws IOException {
		Path original = this.directory.resolve("original");
		List<Operation> records = writeSmallJournal(original);
		byte[] bytes = Files.readAllBytes(journal(original));
		List<Integer> ends = lineEnds(bytes);
		assertThat(ends).hasSize(1 + records.size());
		int headerEnd = ends.get(0);
		for (int cut = 0; cut <= bytes.length; cut++) {
			Path copy = this.directory.resolve("cut-" + cut);
			Files.createDirectories(copy);
			Files.write(journal(copy), Arrays.copyOf(bytes, cut));
			if (cut < headerEnd) {
				assertThatExceptionOfType(StoreFormatException.class).as("cut at %d", cut)
					.isThrownBy(() -> FileOutboxStore.open(copy).close());
				continue;
			}
			// A record cut off just before its line end is whole: it is kept, and its line end written.
			int complete = 0;
			while (complete < records.size() && ends.get(complete + 1) - 1 <= cut) {
				complete++;
			}
			boolean unterminated = cut == ends.get(complete) - 1;
			boolean torn = !unterminated && cut > ends.get(complete);
			try (FileOutboxStore store = FileOutboxStore.open(copy)) {
				assertThat(contents(store)).as("cut at %d", cut)
					.containsExactlyElementsOf(replay(records.subList(0, complete)).values());
				assertThat(store.recovery().recordsRead()).isEqualTo(complete);
				assertThat(store.recovery().dropped()).as("cut at %d", cut).hasSize((torn || unterminated) ? 1 : 0);
				if (unterminated) {
					assertThat(store.recovery().dropped().get(0).reason()).contains("line end of the last record");
				}
				if (torn) {
					assertThat(store.recovery().dropped().get(0).offset()).isEqualTo((long) ends.get(complete));
					assertThat(Files.readAllBytes(store.recovery().damagedCopy().orElseThrow()))
						.isEqualTo(Arrays.copyOf(bytes, cut));
				}
				// The recovered store takes new writes, and they survive the next open cleanly.
				outboxOn(store).enqueue("http.post", "/after", "after-" + cut);
			}
			if (torn || unterminated) {
				// The copy is not the file the store went on writing.
				assertThat(Files.readAllBytes(damagedCopy(copy))).isEqualTo(Arrays.copyOf(bytes, cut));
			}
			try (FileOutboxStore reopened = FileOutboxStore.open(copy)) {
				assertThat(reopened.recovery().isClean()).isTrue();
				assertThat(contents(reopened)).hasSize(replay(records.subList(0, complete)).size() + 1);
			}
		}
	}

	/** A byte of the journal damaged as a failing disk or a stray write damages it. */
	enum ByteDamage {

		FLIPPED_BIT {
			@Override
			byte apply(byte original) {
				return (byte) (original ^ 0x10);
			}
		},
		LINE_FEED {
			@Override
			byte apply(byte original) {
				return '\n';
			}
		},
		ZERO {
			@Override
			byte apply(byte original) {
				return 0;
			}
		};

		abstract byte apply(byte original);

	}

	/**
	 * Every byte of a small journal, damaged in turn: the store opens with every record whose checksum holds (a
	 * damaged line end loses neither record beside it; a damaged header is written anew), reports the damage, and
	 * opens cleanly the next time.
	 */
	@ParameterizedTest
	@EnumSource(ByteDamage.class)
	void damageToAnySingleByteLosesAtMostTheRecordThatHoldsIt(ByteDamage damage) throws IOException {
		Path original = this.directory.resolve("original");
		List<Operation> records = writeSmallJournal(original);
		byte[] bytes = Files.readAllBytes(journal(original));
		List<Integer> ends = lineEnds(bytes);
		Path copy = this.directory.resolve("damaged");
		for (int at = 0; at < bytes.length; at++) {
			byte[] damaged = bytes.clone();
			damaged[at] = damage.apply(bytes[at]);
			if (damaged[at] == bytes[at]) {
				continue;
			}
			int line = 0;
			while (ends.get(line) <= at) {
				line++;
			}
			// Line 0 is the header; line k > 0 holds record k - 1. A damaged line end loses no record.
			int lost = (line == 0 || at == ends.get(line) - 1) ? -1 : line - 1;
			FileStores.deleteRecursively(copy);
			Files.createDirectories(copy);
			Files.write(journal(copy), damaged);
			String where = damage + " at byte " + at + " (line " + line + ")";
			try (FileOutboxStore store = FileOutboxStore.open(copy, false)) {
				assertThat(contents(store)).as(where).containsExactlyElementsOf(replayWithout(records, lost).values());
				assertThat(store.recovery().isClean()).as(where).isFalse();
				assertThat(store.recovery().recordsRead()).as(where).isEqualTo(records.size() - ((lost < 0) ? 0 : 1)
						- orphanedChanges(records, lost));
			}
			try (FileOutboxStore reopened = FileOutboxStore.open(copy, false)) {
				assertThat(reopened.recovery().isClean()).as(where).isTrue();
				assertThat(contents(reopened)).as(where)
					.containsExactlyElementsOf(replayWithout(records, lost).values());
			}
		}
	}

	/**
	 * The states the records leave without the one at {@code lost} (-1 for none): a record is an operation's put if
	 * it is its first, a state change otherwise, which applies only to an operation whose put was read.
	 */
	private static Map<String, Operation> replayWithout(List<Operation> records, int lost) {
		Map<String, Operation> state = new LinkedHashMap<>();
		Set<String> seen = new HashSet<>();
		for (int i = 0; i < records.size(); i++) {
			Operation record = records.get(i);
			boolean put = seen.add(record.id());
			if (i != lost && (put || state.containsKey(record.id()))) {
				state.put(record.id(), record);
			}
		}
		return state;
	}

	/** @return how many state changes lose their operation with the put at {@code lost} */
	private static int orphanedChanges(List<Operation> records, int lost) {
		if (lost < 0 || records.subList(0, lost).stream().anyMatch((r) -> r.id().equals(records.get(lost).id()))) {
			return 0;
		}
		return (int) records.subList(lost + 1, records.size())
			.stream()
			.filter((r) -> r.id().equals(records.get(lost).id()))
			.count();
	}

	/** The small journal's bytes with a bit flipped in its second record, the only record of the second operation. */
	private byte[] withABitFlippedInTheSecondRecord() throws IOException {
		byte[] bytes = Files.readAllBytes(journal(this.directory));
		bytes[lineEnds(bytes).get(1) + 30] ^= 0x04;
		return bytes;
	}

	private static Collection<Operation> withoutTheSecondRecord(List<Operation> records) {
		List<Operation> kept = new ArrayList<>(records);
		kept.remove(1);
		return replay(kept).values();
	}

	@Test
	void aFlippedBitInAMiddleRecordDropsThatRecordOnly() throws IOException {
		List<Operation> records = writeSmallJournal(this.directory);
		byte[] bytes = withABitFlippedInTheSecondRecord();
		List<Integer> ends = lineEnds(bytes);
		int secondRecord = ends.get(1);
		Files.write(journal(this.directory), bytes);
		try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
			assertThat(contents(store)).containsExactlyElementsOf(withoutTheSecondRecord(records));
			assertThat(store.recovery().dropped()).singleElement().satisfies((dropped) -> {
				assertThat(dropped.offset()).isEqualTo(secondRecord);
				assertThat(dropped.length()).isEqualTo(ends.get(2) - secondRecord - 1);
				assertThat(dropped.reason()).contains("checksum mismatch");
			});
			assertThat(Files.readAllBytes(store.recovery().damagedCopy().orElseThrow())).isEqualTo(bytes);
			// Cleared in place: the damaged record is blank lines now, every other byte is where it was.
			byte[] cleared = bytes.clone();
			Arrays.fill(cleared, secondRecord, ends.get(2) - 1, (byte) '\n');
			assertThat(Files.readAllBytes(journal(this.directory))).isEqualTo(cleared);
			outboxOn(store).enqueue("http.post", "/after", "after");
		}
		// The copy is not the file the store went on writing.
		assertThat(Files.readAllBytes(damagedCopy(this.directory))).isEqualTo(bytes);
		try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
			assertThat(store.recovery().isClean()).isTrue();
			assertThat(contents(store)).extracting(Operation::target).containsExactlyInAnyOrder("/a", "/c", "/after");
		}
	}

	@Test
	void aClearingOfDamageCutShortLeavesOnlyDamageToDropAgain() throws IOException {
		List<Operation> records = writeSmallJournal(this.directory);
		byte[] bytes = withABitFlippedInTheSecondRecord();
		List<Integer> ends = lineEnds(bytes);
		// A crash while recovery blanked the damaged record: only its first half became line feeds.
		Arrays.fill(bytes, ends.get(1), ends.get(1) + (ends.get(2) - ends.get(1)) / 2, (byte) '\n');
		Files.write(journal(this.directory), bytes);
		try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
			assertThat(contents(store)).containsExactlyElementsOf(withoutTheSecondRecord(records));
			assertThat(store.recovery().dropped()).singleElement()
				.satisfies((dropped) -> assertThat(dropped.offset() + dropped.length()).isEqualTo(ends.get(2) - 1));
		}
		try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
			assertThat(store.recovery().isClean()).isTrue();
		}
	}

	@Test
	void onlyTheNewestCopiesOfDamagedJournalsAreKept() throws IOException {
		writeSmallJournal(this.directory);
		// Named as if made later than this test's copies: a clock that went back must not cost a new copy its place.
		Path fromTheFuture = this.directory.resolve(FileOutboxStore.DAMAGED_PREFIX + Long.MAX_VALUE);
		Path notACopy = this.directory.resolve(FileOutboxStore.DAMAGED_PREFIX + "notes.txt");
		Files.writeString(fromTheFuture, "a copy from an earlier recovery");
		Files.writeString(notACopy, "a file of the user's");
		List<Path> made = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			Files.write(journal(this.directory), "garbage\n".getBytes(StandardCharsets.UTF_8),
					StandardOpenOption.APPEND);
			try (FileOutboxStore store = FileOutboxStore.open(this.directory, true, 3)) {
				assertThat(store.recovery().dropped()).hasSize(1);
				made.add(store.recovery().damagedCopy().orElseThrow());
			}
		}
		assertThat(damagedCopies(this.directory)).containsExactlyInAnyOrder(fromTheFuture, made.get(1), made.get(2),
				notACopy);
	}

	@Test
	void keepingNoCopyOfADamagedJournalIsRefused() {
		assertThatIllegalArgumentException().isThrownBy(() -> FileOutboxStore.open(this.directory, true, 0))
			.withMessageContaining("'damagedCopiesToKeep' must be at least 1");
		assertThat(this.directory).isEmptyDirectory();
	}

	@Test
	void aZeroedRangeDropsTheRecordsItTouchesAndKeepsTheRest() throws IOException {
		List<Operation> records = writeSmallJournal(this.directory);
		byte[] bytes = Files.readAllBytes(journal(this.directory));
		List<Integer> ends = lineEnds(bytes);
		// Zero from the middle of record 2 into the middle of record 3, line feed between them included.
		Arrays.fill(bytes, ends.get(1) + 20, ends.get(2) + 20, (byte) 0);
		Files.write(journal(this.directory), bytes);
		try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
			List<Operation> expected = List.of(records.get(0), records.get(3), records.get(4));
			assertThat(contents(store)).containsExactlyElementsOf(replay(expected).values());
			assertThat(store.recovery().dropped()).hasSize(1);
			assertThat(store.recovery().recordsRead()).isEqualTo(3);
		}
		try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
			assertThat(store.recovery().isClean()).isTrue();
			assertThat(contents(store)).containsExactlyElementsOf(
					replay(List.of(records.get(0), records.get(3), records.get(4))).values());
		}
	}

	@Test
	void appendedGarbageIsDroppedWithoutLosingAnything() throws IOException {
		List<Operation> records = writeSmallJournal(this.directory);
		Files.write(journal(this.directory), "garbage line\n\u0000\u0001 more {\"type\":\"put\"}".getBytes(
				StandardCharsets.UTF_8), java.nio.file.StandardOpenOption.APPEND);
		try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
			assertThat(contents(store)).containsExactlyElementsOf(replay(records).values());
			assertThat(store.recovery().dropped()).hasSize(2);
		}
	}

	@Test
	void aRecordWithAnIntactChecksumButUnreadableContentIsDropped() throws IOException {
		List<Operation> records = writeSmallJournal(this.directory);
		String json = "{\"type\":\"put\",\"op\":{\"id\":\"x\",\"status\":\"NO_SUCH_STATUS\"}}";
		java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
		crc.update(json.getBytes(StandardCharsets.UTF_8));
		String line = String.format("%08x %s%n", crc.getValue(), json);
		Files.write(journal(this.directory), line.getBytes(StandardCharsets.UTF_8),
				java.nio.file.StandardOpenOption.APPEND);
		try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
			assertThat(contents(store)).containsExactlyElementsOf(replay(records).values());
			assertThat(store.recovery().dropped()).singleElement()
				.satisfies((dropped) -> assertThat(dropped.reason()).contains("unreadable record"));
		}
	}

	@Test
	void anUnknownFormatVersionIsRefusedNamingTheSupportedOneAndLeftUntouched() throws IOException {
		Files.writeString(journal(this.directory), "{\"format\":\"offline-sync-journal\",\"version\":99}\n");
		assertThatExceptionOfType(StoreFormatException.class).isThrownBy(() -> FileOutboxStore.open(this.directory))
			.withMessageContaining("has journal format version 99")
			.withMessageContaining("reads versions 1 to 2");
		assertThat(Files.readString(journal(this.directory)))
			.isEqualTo("{\"format\":\"offline-sync-journal\",\"version\":99}\n");
		// The failed open released its lock.
		Files.delete(journal(this.directory));
		FileOutboxStore.open(this.directory).close();
	}

	@Test
	void aFileThatIsNoJournalIsRefusedAndLeftUntouched() throws IOException {
		Files.writeString(journal(this.directory), "name,amount\nalice,3\n");
		assertThatExceptionOfType(StoreFormatException.class).isThrownBy(() -> FileOutboxStore.open(this.directory))
			.withMessageContaining("is not an offline-sync journal");
		assertThat(Files.readString(journal(this.directory))).isEqualTo("name,amount\nalice,3\n");
	}

	@Test
	void aFileWhoseFirstLineIsLongerThanAHeaderIsRefusedAndLeftUntouched() throws IOException {
		String content = "x".repeat(100_000) + "\n";
		Files.writeString(journal(this.directory), content);
		assertThatExceptionOfType(StoreFormatException.class).isThrownBy(() -> FileOutboxStore.open(this.directory))
			.withMessageContaining("is not an offline-sync journal: its first line is longer than a journal header");
		assertThat(Files.readString(journal(this.directory))).isEqualTo(content);
	}

	@Test
	void aSecondStoreOnTheSameDirectoryFailsAtOnce() {
		try (FileOutboxStore first = FileOutboxStore.open(this.directory)) {
			assertThatExceptionOfType(StoreLockedException.class)
				.isThrownBy(() -> FileOutboxStore.open(this.directory))
				.withMessageContaining("already open in this process, by another store instance")
				.withMessageContaining("@AutoConfigureOfflineSync")
				.satisfies((locked) -> assertThat(locked.isHeldInThisProcess()).isTrue());
			outboxOn(first).enqueue("http.post", "/a", "still works");
		}
		try (FileOutboxStore second = FileOutboxStore.open(this.directory)) {
			assertThat(contents(second)).hasSize(1);
		}
	}

	@Test
	void compactionRunsBesideChangesAndKeepsTheOnesMadeMeanwhile() throws Exception {
		CountDownLatch compactionStarted = new CountDownLatch(1);
		CountDownLatch letCompactionWrite = new CountDownLatch(1);
		AtomicBoolean armed = new AtomicBoolean();
		AtomicReference<Thread> compacting = new AtomicReference<>();
		FileStoreSettings.ChannelOpener heldCompaction = (path, options) -> {
			if (path.getFileName().toString().endsWith(".tmp") && List.of(options).contains(StandardOpenOption.CREATE)
					&& armed.getAndSet(false)) {
				compacting.set(Thread.currentThread());
				compactionStarted.countDown();
				try {
					letCompactionWrite.await(10, TimeUnit.SECONDS);
				}
				catch (InterruptedException ex) {
					throw new InterruptedIOException();
				}
			}
			return FileChannel.open(path, options);
		};
		List<Operation> inMemory;
		try (FileOutboxStore store = FileOutboxStore.open(this.directory,
				FileStoreSettings.DEFAULTS.withCompactionSlack(10).withOpener(heldCompaction))) {
			Outbox outbox = outboxOn(store);
			startCompaction(outbox, armed, compactionStarted);
			assertThat(compacting.get()).as("compacting thread").isNotSameAs(Thread.currentThread());
			long linesWhileCompacting = recordLines(this.directory).size();

			// The compaction is held mid-way; changes go on, durably, and land in the journal it will replace.
			Operation pending = outbox.enqueue("http.post", "/b", "during compaction");
			Operation claimed = outbox.claim(outbox.enqueue("http.post", "/b", "claimed during compaction").id());
			assertThat(recordLines(this.directory)).hasSize((int) linesWhileCompacting + 3);

			letCompactionWrite.countDown();
			FileStores.awaitNoCompaction(store);
			inMemory = contents(store);
			assertThat(inMemory).contains(pending, claimed);
			assertThat(recordLines(this.directory).size()).as("compacted")
				.isLessThan((int) linesWhileCompacting);
			outbox.markDone(claimed);
			inMemory = contents(store);
		}
		try (FileOutboxStore reopened = FileOutboxStore.open(this.directory)) {
			assertThat(reopened.recovery().isClean()).isTrue();
			assertThat(contents(reopened)).containsExactlyElementsOf(inMemory);
			assertThat(Files.exists(this.directory.resolve(FileOutboxStore.JOURNAL + ".tmp"))).isFalse();
		}
	}

	@Test
	void recordsAppendedDuringACompactionAreCopiedWithoutHoldingUpWriters() throws Exception {
		CountDownLatch compactionStarted = new CountDownLatch(1);
		CountDownLatch letCompactionWrite = new CountDownLatch(1);
		CountDownLatch catchingUp = new CountDownLatch(1);
		CountDownLatch letCatchUpGoOn = new CountDownLatch(1);
		AtomicBoolean armed = new AtomicBoolean();
		// The compaction is held when it starts, and again in the first force of its file after copying records
		// appended meanwhile (the live ones here are far less than it writes between forces).
		FileStoreSettings.ChannelOpener heldCompaction = (path, options) -> {
			FileChannel channel = FileChannel.open(path, options);
			if (!path.getFileName().toString().endsWith(".tmp") || !List.of(options).contains(StandardOpenOption.CREATE)
					|| !armed.getAndSet(false)) {
				return channel;
			}
			compactionStarted.countDown();
			await(letCompactionWrite);
			return new ForwardingFileChannel(channel) {

				@Override
				public void force(boolean metaData) throws IOException {
					if (!metaData && catchingUp.getCount() > 0) {
						catchingUp.countDown();
						await(letCatchUpGoOn);
					}
					super.force(metaData);
				}

			};
		};
		Map<String, String> payloads = new LinkedHashMap<>();
		ExecutorService writer = Executors.newSingleThreadExecutor();
		try (FileOutboxStore store = FileOutboxStore.open(this.directory,
				FileStoreSettings.DEFAULTS.withCompactionSlack(10).withOpener(heldCompaction).withPayloadCache(0))) {
			Outbox outbox = outboxOn(store);
			startCompaction(outbox, armed, compactionStarted);

			// More than the compaction copies under the store's monitor: it copies them first, without it.
			List<NewOperation> batch = new ArrayList<>();
			for (int i = 0; i < 400; i++) {
				batch.add(NewOperation.of("http.post", "/b", "{\"n\":" + i + ",\"text\":\"" + "x".repeat(1_000) + "\"}"));
			}
			outbox.enqueueAll(batch).forEach((operation) -> payloads.put(operation.id(), operation.payload()));
			Operation claimed = outbox.claim(payloads.keySet().iterator().next());
			letCompactionWrite.countDown();
			assertThat(catchingUp.await(10, TimeUnit.SECONDS)).as("records appended meanwhile being copied").isTrue();

			Operation meanwhile = writer.submit(() -> outbox.enqueue("http.post", "/c", "while catching up"))
				.get(10, TimeUnit.SECONDS);
			payloads.put(meanwhile.id(), meanwhile.payload());
			int linesBeforeTheSwitch = recordLines(this.directory).size();
			letCatchUpGoOn.countDown();
			FileStores.awaitNoCompaction(store);

			assertThat(recordLines(this.directory).size()).as("compacted").isLessThan(linesBeforeTheSwitch);
			assertThat(store.find(claimed.id())).contains(claimed);
			// Read back from where the compacted journal holds them: the store caches no payload.
			long reads = store.statistics().payloadReads();
			payloads.forEach((id, payload) -> assertThat(store.find(id).orElseThrow().payload()).isEqualTo(payload));
			assertThat(store.statistics().payloadReads() - reads).isEqualTo(payloads.size());
		}
		finally {
			letCompactionWrite.countDown();
			letCatchUpGoOn.countDown();
			writer.shutdownNow();
		}
		try (FileOutboxStore reopened = FileOutboxStore.open(this.directory)) {
			assertThat(reopened.recovery().isClean()).isTrue();
			assertThat(reopened.stats().backlog()).isEqualTo(payloads.size());
			payloads.forEach((id, payload) -> assertThat(reopened.find(id).orElseThrow().payload()).isEqualTo(payload));
		}
	}

	/**
	 * Arm the test's channel opener and have a store whose compaction slack is 10 begin a compaction: 20 operations
	 * enqueued, claimed and delivered.
	 */
	private static void startCompaction(Outbox outbox, AtomicBoolean armed, CountDownLatch compactionStarted)
			throws InterruptedException {
		armed.set(true);
		for (int i = 0; i < 20; i++) {
			outbox.markDone(outbox.claim(outbox.enqueue("http.post", "/a", "op" + i).id()));
		}
		assertThat(compactionStarted.await(10, TimeUnit.SECONDS)).as("a compaction began").isTrue();
	}

	private static void await(CountDownLatch latch) throws InterruptedIOException {
		try {
			latch.await(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			throw new InterruptedIOException();
		}
	}

	@Test
	void payloadsKeptOnDiskComeBackExactlyBeforeAndAfterCompaction() throws Exception {
		Map<String, String> payloads = new LinkedHashMap<>();
		try (FileOutboxStore store = FileOutboxStore.open(this.directory, FileStoreSettings.DEFAULTS.withFsync(false).withCompactionSlack(100))) {
			Outbox outbox = outboxOn(store);
			for (int i = 0; i < 3_000; i++) {
				String payload = "{\"n\":" + i + ",\"text\":\"" + "é😀".repeat(i % 50) + "\"}";
				payloads.put(outbox.enqueue("http.post", "/a", payload).id(), payload);
			}
			// Far more than the store keeps in memory: most of these are read back from the journal.
			payloads.forEach((id, payload) -> assertThat(store.find(id).orElseThrow().payload()).isEqualTo(payload));
			List<Operation> claimed = outbox.claimReady(2_000);
			claimed.forEach((operation) -> assertThat(operation.payload()).isEqualTo(payloads.get(operation.id())));
			outbox.markAllDone(claimed);
			this.clock.advance(java.time.Duration.ofDays(2));
			assertThat(outbox.purgeDone(java.time.Duration.ofDays(1))).isEqualTo(2_000);
			claimed.forEach((operation) -> payloads.remove(operation.id()));
			// A compaction may still be writing the journal as it was before the purge; the next change after it
			// compacts the purge away.
			FileStores.awaitNoCompaction(store);
			Operation last = outbox.enqueue("http.post", "/a", "after the purge");
			payloads.put(last.id(), last.payload());
			FileStores.awaitNoCompaction(store);
			assertThat(recordLines(this.directory).size()).as("compacted").isLessThan(2_000);
			payloads.forEach((id, payload) -> assertThat(store.find(id).orElseThrow().payload()).isEqualTo(payload));
		}
		try (FileOutboxStore reopened = FileOutboxStore.open(this.directory)) {
			payloads.forEach((id, payload) -> assertThat(reopened.find(id).orElseThrow().payload()).isEqualTo(payload));
		}
	}

	/** Operations stored with ids out of order (given by another system, say) are found by search when compacting. */
	@Test
	void payloadsOfOperationsStoredOutOfIdOrderComeBackAfterCompaction() throws Exception {
		List<Integer> numbers = new ArrayList<>();
		for (int i = 0; i < 2_000; i++) {
			numbers.add(i);
		}
		Collections.shuffle(numbers, new Random(7));
		Map<String, String> payloads = new LinkedHashMap<>();
		try (FileOutboxStore store = FileOutboxStore.open(this.directory,
				FileStoreSettings.DEFAULTS.withFsync(false).withCompactionSlack(100).withPayloadCache(0))) {
			for (int number : numbers) {
				Operation operation = Operation.builder()
					.id(String.format("op-%05d", number))
					.kind("http.post")
					.target("/a")
					.payload("{\"n\":" + number + "}")
					.status(OperationStatus.PENDING)
					.createdAt(this.clock.instant())
					.updatedAt(this.clock.instant())
					.nextAttemptAt(this.clock.instant())
					.build();
				store.insert(List.of(operation));
				payloads.put(operation.id(), operation.payload());
			}
			// Half of them are delivered and purged: the journal outgrows its live records twice over.
			for (int number : numbers.subList(0, 1_000)) {
				String id = String.format("op-%05d", number);
				store.complete(id, store.claim(id, this.clock.instant()).claimToken(), this.clock.instant());
				payloads.remove(id);
			}
			assertThat(store.purgeDone(this.clock.instant().plusSeconds(1))).isEqualTo(1_000);
			FileStores.awaitNoCompaction(store);
			Operation last = outboxOn(store).enqueue("http.post", "/a", "after the removals");
			payloads.put(last.id(), last.payload());
			FileStores.awaitNoCompaction(store);
			assertThat(recordLines(this.directory).size()).as("compacted").isLessThan(2_000);
			payloads.forEach((id, payload) -> assertThat(store.find(id).orElseThrow().payload()).isEqualTo(payload));
		}
		try (FileOutboxStore reopened = FileOutboxStore.open(this.directory)) {
			payloads.forEach((id, payload) -> assertThat(reopened.find(id).orElseThrow().payload()).isEqualTo(payload));
		}
	}

	@Test
	void aJournalFoundOversizedIsCompactedAfterOpeningKeepingEachOperationsLatestStateAndPayload() throws Exception {
		FileStoreSettings neverInTheBackground = FileStoreSettings.DEFAULTS.withFsync(false)
			.withCompactionSlack(1_000_000);
		Map<String, Operation> latest = new LinkedHashMap<>();
		Map<String, String> payloads = new LinkedHashMap<>();
		try (FileOutboxStore store = FileOutboxStore.open(this.directory, neverInTheBackground)) {
			Outbox outbox = outboxOn(store);
			List<Operation> enqueued = new ArrayList<>();
			for (int i = 0; i < 300; i++) {
				String payload = "{\"n\":" + i + ",\"text\":\"é😀\\\\\"}";
				enqueued.add(outbox.enqueue("http.post", "/a", payload));
				payloads.put(enqueued.get(i).id(), payload);
			}
			// Latest records in another order than the operations': claimed and released from the last one back.
			for (int round = 0; round < 3; round++) {
				for (int i = enqueued.size() - 1; i >= 0; i -= 1 + round) {
					outbox.release(outbox.claim(enqueued.get(i).id()));
				}
			}
			Operation claimed = outbox.claim(enqueued.get(7).id());
			outbox.markDone(outbox.claim(enqueued.get(8).id()));
			outbox.discard(enqueued.get(9).id());
			outbox.list(Set.of(), null, 1_000).forEach((operation) -> latest.put(operation.id(), operation));
			assertThat(latest.get(claimed.id()).status()).isEqualTo(OperationStatus.IN_FLIGHT);
		}
		long before = recordLines(this.directory).size();
		try (FileOutboxStore store = FileOutboxStore.open(this.directory,
				FileStoreSettings.DEFAULTS.withFsync(false).withCompactionSlack(100))) {
			// In the background, as after any change: opening does not wait for it.
			FileStores.awaitNoCompaction(store);
			assertThat(recordLines(this.directory)).as("compacted from %d records", before)
				.hasSize(1 + latest.size());
			assertThat(contents(store)).containsExactlyElementsOf(latest.values());
			latest.values()
				.forEach((operation) -> assertThat(store.find(operation.id()).orElseThrow().payload())
					.isEqualTo(payloads.get(operation.id())));
			outboxOn(store).enqueue("http.post", "/after", "after");
		}
		try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
			assertThat(store.recovery().isClean()).isTrue();
			assertThat(store.stats().total()).isEqualTo(latest.size() + 1);
		}
	}

	@Test
	void purgedOperationsStopCostingDisk() throws Exception {
		int count = 4_000;
		try (FileOutboxStore store = FileOutboxStore.open(this.directory, false)) {
			Outbox outbox = outboxOn(store);
			for (int i = 0; i < count; i++) {
				outbox.markDone(outbox.claim(outbox.enqueue("http.post", "/a", "op" + i).id()));
			}
			assertThat(recordLines(this.directory)).hasSize(1 + 3 * count);
			this.clock.advance(java.time.Duration.ofDays(1));
			assertThat(outbox.purgeDone(java.time.Duration.ofHours(1))).isEqualTo(count);
			Operation kept = outbox.enqueue("http.post", "/a", "kept");
			FileStores.awaitNoCompaction(store);
			// 16,000 records were written; compaction rewrote the journal to its one live operation.
			assertThat(recordLines(this.directory)).hasSize(2)
				.last()
				.asString()
				.contains(kept.id());
		}
		try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
			assertThat(store.recovery().isClean()).isTrue();
			assertThat(store.stats().total()).isEqualTo(1);
			assertThat(Files.list(this.directory).map((path) -> path.getFileName().toString()))
				.containsExactlyInAnyOrder(FileOutboxStore.JOURNAL, FileOutboxStore.LOCK);
		}
	}

	@Test
	void aJournalOfManyBatchesIsReadInOrderWithDamageInTheMiddleReportedInOrder() throws IOException {
		// 4,500 records, about 1.5 MB: more than one of the runs of lines that opening reads and decodes in parallel.
		List<Operation> before;
		List<Operation> enqueued = new ArrayList<>();
		try (FileOutboxStore store = FileOutboxStore.open(this.directory, false)) {
			Outbox outbox = outboxOn(store);
			for (int i = 0; i < 3_000; i++) {
				enqueued.add(outbox.enqueue("http.post", "/a", "op" + i));
			}
			List<Operation> claimed = new ArrayList<>();
			for (int i = 0; i < 1_000; i++) {
				claimed.add(outbox.claim(enqueued.get(i).id()));
			}
			for (int i = 0; i < 500; i++) {
				outbox.markDone(claimed.get(i));
			}
			before = contents(store, Integer.MAX_VALUE);
		}
		byte[] bytes = Files.readAllBytes(journal(this.directory));
		List<Integer> ends = lineEnds(bytes);
		assertThat(ends).hasSize(1 + 4_500);
		// Damage the enqueue of operation 2,100 (its only record) and the claim of operation 10 (superseded later).
		int enqueueOf2100 = ends.get(2_100);
		int claimOf10 = ends.get(3_010);
		bytes[enqueueOf2100 + 20] ^= 0x01;
		bytes[claimOf10 + 20] ^= 0x01;
		Files.write(journal(this.directory), bytes);
		try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
			assertThat(store.recovery().recordsRead()).isEqualTo(4_498);
			assertThat(store.recovery().dropped()).extracting(RecoveryReport.DroppedRecord::offset)
				.containsExactly((long) enqueueOf2100, (long) claimOf10);
			String lost = enqueued.get(2_100).id();
			assertThat(contents(store, Integer.MAX_VALUE))
				.containsExactlyElementsOf(before.stream().filter((operation) -> !operation.id().equals(lost)).toList());
			assertThat(store.find(enqueued.get(10).id()).orElseThrow().status()).isEqualTo(OperationStatus.DONE);
		}
	}

	@Test
	void linesLongerThanOneReadAndLinesAcrossReadsAreReadWholeAndATornLongLastLineIsCutOff() throws IOException {
		// Opening reads the journal LineBatch.BYTES at a time, each read cut after its last line end.
		OutboxConfig config = OutboxConfig.builder().maxPayloadBytes(3 * LineBatch.BYTES).build();
		List<Operation> before;
		try (FileOutboxStore store = FileOutboxStore.open(this.directory, false)) {
			Outbox outbox = new Outbox(store, config, this.clock);
			for (int i = 0; i < 6_000; i++) {
				if (i == 3_000) {
					outbox.enqueue("http.post", "/longer-than-a-read", "y".repeat(LineBatch.BYTES * 3 / 2));
				}
				outbox.enqueue("http.post", "/a", "op " + i + " " + "x".repeat(i % 700));
			}
			before = contents(store, Integer.MAX_VALUE);
			outbox.enqueue("http.post", "/torn", "z".repeat(2 * LineBatch.BYTES));
		}
		byte[] bytes = Files.readAllBytes(journal(this.directory));
		assertThat(bytes.length).isGreaterThan(5 * LineBatch.BYTES);
		List<Integer> ends = lineEnds(bytes);
		int tornStart = ends.get(ends.size() - 2);
		Files.write(journal(this.directory), Arrays.copyOf(bytes, bytes.length - 10));
		try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
			assertThat(store.recovery().recordsRead()).isEqualTo(6_001);
			assertThat(store.recovery().dropped()).singleElement().satisfies((dropped) -> {
				assertThat(dropped.offset()).isEqualTo(tornStart);
				assertThat(dropped.length()).isEqualTo(bytes.length - 10 - tornStart);
				assertThat(dropped.reason()).contains("torn");
			});
			assertThat(contents(store, Integer.MAX_VALUE)).containsExactlyElementsOf(before);
		}
	}

	@Test
	void anOpenStorePadsItsJournalAheadOfTheRecordsAndClosingCutsThePaddingOff() throws IOException {
		try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
			Operation pending = outboxOn(store).enqueue("http.post", "/a", "padded");
			byte[] open = Files.readAllBytes(journal(this.directory));
			int recordsEnd = lineEnds(open).get(1);
			assertThat(open.length).isGreaterThanOrEqualTo(recordsEnd + FileStoreSettings.DEFAULTS.preallocation());
			assertThat(Arrays.copyOfRange(open, recordsEnd, open.length)).containsOnly((byte) '\n');
			// A copy taken now is what a crash would leave: it opens cleanly, with the operation.
			Path crashImage = this.directory.resolve("crash-image");
			Files.createDirectories(crashImage);
			Files.write(journal(crashImage), open);
			try (FileOutboxStore copy = FileOutboxStore.open(crashImage)) {
				assertThat(copy.recovery().isClean()).isTrue();
				assertThat(contents(copy)).containsExactly(pending);
			}
		}
		byte[] closed = Files.readAllBytes(journal(this.directory));
		assertThat(lineEnds(closed)).hasSize(2).last().isEqualTo(closed.length);
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "line feeds", "zero bytes", "line feeds then zero bytes" })
	void paddingAfterTheRecordsIsNotDamageAndNewRecordsGoBeforeIt(String padding) throws IOException {
		List<Operation> records = writeSmallJournal(this.directory);
		byte[] bytes = Files.readAllBytes(journal(this.directory));
		byte[] padded = Arrays.copyOf(bytes, bytes.length + 5_000);
		switch (padding) {
			case "line feeds" -> Arrays.fill(padded, bytes.length, padded.length, (byte) '\n');
			case "zero bytes" -> Arrays.fill(padded, bytes.length, padded.length, (byte) 0);
			default -> Arrays.fill(padded, bytes.length, bytes.length + 100, (byte) '\n');
		}
		Files.write(journal(this.directory), padded);
		Operation added;
		try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
			assertThat(store.recovery().isClean()).isTrue();
			assertThat(store.recovery().recordsRead()).isEqualTo(records.size());
			assertThat(contents(store)).containsExactlyElementsOf(replay(records).values());
			added = outboxOn(store).enqueue("http.post", "/after", "after the padding");
		}
		byte[] after = Files.readAllBytes(journal(this.directory));
		assertThat(Arrays.copyOf(after, bytes.length)).isEqualTo(bytes);
		assertThat(lineEnds(after)).hasSize(lineEnds(bytes).size() + 1).last().isEqualTo(after.length);
		try (FileOutboxStore reopened = FileOutboxStore.open(this.directory)) {
			assertThat(reopened.recovery().isClean()).isTrue();
			assertThat(contents(reopened)).hasSize(replay(records).size() + 1).contains(added);
		}
	}

	@ParameterizedTest(name = "torn record followed by {0}")
	@ValueSource(strings = { "line feeds", "zero bytes" })
	void aTornRecordBeforeThePaddingIsDroppedAndReported(String padding) throws IOException {
		List<Operation> records = writeSmallJournal(this.directory);
		byte[] bytes = Files.readAllBytes(journal(this.directory));
		List<Integer> ends = lineEnds(bytes);
		int lastStart = ends.get(ends.size() - 2);
		int tornEnd = lastStart + (bytes.length - lastStart) / 2;
		byte[] torn = Arrays.copyOf(bytes, tornEnd + 1_000);
		Arrays.fill(torn, tornEnd, torn.length, padding.equals("zero bytes") ? (byte) 0 : (byte) '\n');
		Files.write(journal(this.directory), torn);
		try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
			assertThat(contents(store))
				.containsExactlyElementsOf(replay(records.subList(0, records.size() - 1)).values());
			assertThat(store.recovery().dropped()).singleElement().satisfies((dropped) -> {
				assertThat(dropped.offset()).isEqualTo(lastStart);
				assertThat(dropped.length()).isEqualTo(tornEnd - lastStart);
				assertThat(dropped.reason()).startsWith("torn last record");
			});
			assertThat(store.recovery().damagedCopy()).isPresent();
			// Cut off, not blanked: the journal ends where the torn record began until the next record is written.
			assertThat(Files.readAllBytes(journal(this.directory))).isEqualTo(Arrays.copyOf(bytes, lastStart));
		}
	}

	@Test
	void aDamagedLastRecordThatEndsAsARecordDoesIsReportedAsDamageNotAsTorn() throws IOException {
		writeSmallJournal(this.directory);
		byte[] bytes = Files.readAllBytes(journal(this.directory));
		List<Integer> ends = lineEnds(bytes);
		int lastStart = ends.get(ends.size() - 2);
		byte[] damaged = Arrays.copyOf(bytes, bytes.length + 1_000);
		Arrays.fill(damaged, bytes.length, damaged.length, (byte) '\n');
		damaged[lastStart + 20] ^= 0x04;
		Files.write(journal(this.directory), damaged);
		try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
			assertThat(store.recovery().dropped()).singleElement().satisfies((dropped) -> {
				assertThat(dropped.offset()).isEqualTo(lastStart);
				assertThat(dropped.reason()).startsWith("checksum mismatch");
			});
		}
	}

	@Test
	void aTornTailIsCutOffSoThatNoneOfItFollowsTheNextRecordsOnDisk() throws IOException {
		Operation kept;
		try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
			Outbox outbox = outboxOn(store);
			kept = outbox.enqueue("http.post", "/kept", "kept");
			outbox.enqueue("http.post", "/long", "x".repeat(4_000));
		}
		byte[] bytes = Files.readAllBytes(journal(this.directory));
		List<Integer> ends = lineEnds(bytes);
		int lastStart = ends.get(ends.size() - 2);
		// Most of the long record reached the disk, its end did not.
		Files.write(journal(this.directory), Arrays.copyOf(bytes, bytes.length - 100));
		Path crashed = this.directory.resolve("crashed");
		Files.createDirectories(crashed);
		try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
			assertThat(store.recovery().dropped()).singleElement()
				.satisfies((dropped) -> assertThat(dropped.offset()).isEqualTo(lastStart));
			assertThat(Files.readAllBytes(store.recovery().damagedCopy().orElseThrow()))
				.isEqualTo(Arrays.copyOf(bytes, bytes.length - 100));
			Operation after = outboxOn(store).enqueue("http.post", "/after", "short");
			// The file as a crash would leave it now, before closing cuts off what follows the records.
			Files.copy(journal(this.directory), journal(crashed));
			try (FileOutboxStore reopened = FileOutboxStore.open(crashed)) {
				assertThat(reopened.recovery().isClean()).as(reopened.recovery().toString()).isTrue();
				assertThat(contents(reopened)).extracting(Operation::id)
					.containsExactlyInAnyOrder(kept.id(), after.id());
			}
		}
	}

	@Test
	void theJournalIsReadableText() throws IOException {
		writeSmallJournal(this.directory);
		List<String> lines = recordLines(this.directory);
		assertThat(lines.get(0)).matches("[0-9a-f]{8} \\{\"format\":\"offline-sync-journal\",\"version\":2\\}");
		assertThat(lines.get(1)).matches("[0-9a-f]{8} \\{\"type\":\"put\",\"op\":\\{\"id\":\"[0-9a-f-]{36}\","
				+ "\"status\":\"PENDING\",\"attempt\":0,\"kind\":\"http.post\",\"target\":\"/a\",.*");
		assertThat(lines.get(5)).contains("\"status\":\"DONE\"");
	}

}
