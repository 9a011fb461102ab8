package io.offlinesync.store.file;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.offlinesync.NewOperation;
import io.offlinesync.Operation;
import io.offlinesync.OperationStateException;
import io.offlinesync.Outbox;
import io.offlinesync.OutboxConfig;
import io.offlinesync.SendResult;
import io.offlinesync.test.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random histories of every kind of change: what a reopen reads must equal what the store held in memory, with
 * compaction as eager as it gets and with none at all.
 */
class FileOutboxStoreHistoryTests {

	/** No slack: every change past twice the live records compacts. */
	private static final FileStoreSettings ALWAYS_COMPACTING = FileStoreSettings.DEFAULTS.withFsync(false).withCompactionSlack(0);

	/** Slack beyond any history here: a reopen reads every record ever written. */
	private static final FileStoreSettings NEVER_COMPACTING = FileStoreSettings.DEFAULTS.withFsync(false).withCompactionSlack(Integer.MAX_VALUE);

	@TempDir
	Path directory;

	@ParameterizedTest
	@ValueSource(longs = { 1, 2, 3, 4, 5 })
	void whatIsReadBackAlwaysEqualsWhatWasInMemory(long seed) throws InterruptedException {
		Random random = new Random(seed);
		MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");
		FileOutboxStore store = FileOutboxStore.open(this.directory, ALWAYS_COMPACTING);
		List<Operation> claimed = new ArrayList<>();
		try {
			for (int step = 0; step < 300; step++) {
				Outbox outbox = new Outbox(store, OutboxConfig.defaults(), clock);
				clock.advance(Duration.ofMillis(random.nextInt(2_000)));
				try {
					change(outbox, random, claimed);
				}
				catch (OperationStateException ex) {
					// A refused change (a stale claim, a key that must wait) is part of a realistic history.
				}
				// Let a background compaction the change started finish, so that the reopen reads what it wrote.
				FileStores.awaitNoCompaction(store);
				List<Operation> inMemory = store.list(Set.of(), null, Integer.MAX_VALUE);
				store.close();
				store = FileOutboxStore.open(this.directory, ALWAYS_COMPACTING);
				assertThat(store.recovery().isClean()).isTrue();
				assertThat(store.list(Set.of(), null, Integer.MAX_VALUE)).as("seed %d, step %d", seed, step)
					.containsExactlyElementsOf(inMemory);
			}
		}
		finally {
			store.close();
		}
	}

	/**
	 * Opening puts only the latest state of each operation into the index, where the writing store applied every
	 * change in turn: both must hold the same operations and hand them out in the same order, ordering keys and all.
	 */
	@ParameterizedTest
	@ValueSource(longs = { 1, 2, 3, 4, 5 })
	void aStoreReadFromItsWholeHistoryHandsOutWhatItsWriterWouldInTheSameOrder(long seed) throws IOException {
		Random random = new Random(seed);
		MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");
		Path written = this.directory.resolve("written");
		Path copy = Files.createDirectories(this.directory.resolve("copy"));
		try (FileOutboxStore store = FileOutboxStore.open(written, NEVER_COMPACTING)) {
			Outbox outbox = new Outbox(store, OutboxConfig.defaults(), clock);
			List<Operation> claimed = new ArrayList<>();
			for (int step = 0; step < 2_000; step++) {
				clock.advance(Duration.ofMillis(random.nextInt(2_000)));
				try {
					change(outbox, random, claimed);
				}
				catch (OperationStateException ex) {
					// Part of a realistic history, as above.
				}
			}
			// The journal as a crash would leave it now, read while its writer stays open.
			Files.copy(written.resolve(FileOutboxStore.JOURNAL), copy.resolve(FileOutboxStore.JOURNAL));
			try (FileOutboxStore reopened = FileOutboxStore.open(copy, NEVER_COMPACTING)) {
				List<Operation> held = store.list(Set.of(), null, Integer.MAX_VALUE);
				assertThat(reopened.recovery().isClean()).isTrue();
				assertThat(reopened.recovery().recordsRead()).as("records of a history with repeats")
					.isGreaterThan(2L * held.size());
				assertThat(reopened.list(Set.of(), null, Integer.MAX_VALUE)).containsExactlyElementsOf(held);
				clock.advance(Duration.ofDays(1));
				Outbox reopenedOutbox = new Outbox(reopened, OutboxConfig.defaults(), clock);
				List<String> handedOut = ids(outbox.claimReady(10_000));
				assertThat(handedOut).as("operations claimable").hasSizeGreaterThan(10);
				assertThat(ids(reopenedOutbox.claimReady(10_000))).containsExactlyElementsOf(handedOut);
			}
		}
	}

	private static List<String> ids(List<Operation> operations) {
		return operations.stream().map(Operation::id).toList();
	}

	private static void change(Outbox outbox, Random random, List<Operation> claimed) {
		int choice = random.nextInt(10);
		if (claimed.isEmpty() && (choice == 6 || choice == 7)) {
			choice = 4;
		}
		if (choice < 3) {
			String key = random.nextBoolean() ? "key" + random.nextInt(3) : null;
			NewOperation operation = NewOperation.of("http.post", "/t", "p" + random.nextInt());
			outbox.enqueueAll(List.of((key != null) ? operation.withOrderingKey(key) : operation));
		}
		else if (choice < 6) {
			claimed.addAll(outbox.claimReady(1 + random.nextInt(3)));
		}
		else if (choice == 6) {
			outbox.markDone(claimed.remove(random.nextInt(claimed.size())));
		}
		else if (choice == 7) {
			SendResult result = random.nextBoolean() ? SendResult.retryable("503") : SendResult.permanent("400");
			outbox.markFailed(claimed.remove(random.nextInt(claimed.size())), result);
		}
		else if (choice == 8) {
			outbox.requeueStale(Duration.ofSeconds(5));
			outbox.purgeDone(Duration.ofSeconds(10));
		}
		else {
			List<Operation> all = outbox.list(Set.of(), null, Integer.MAX_VALUE);
			if (!all.isEmpty()) {
				Operation target = all.get(random.nextInt(all.size()));
				if (random.nextBoolean()) {
					outbox.retry(target.id());
				}
				else {
					outbox.discard(target.id());
				}
			}
		}
	}

}
