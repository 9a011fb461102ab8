package io.offlinesync.store.file;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.offlinesync.InvalidOperationException;
import io.offlinesync.NewOperation;
import io.offlinesync.Operation;
import io.offlinesync.Outbox;
import io.offlinesync.OutboxConfig;
import io.offlinesync.SendResult;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Whatever enqueue accepts, the file store gives back exactly: through its payload cache, from the journal, after a
 * compaction and after a reopen. The operations are random (seeded), with fields at their limits, text from every
 * Unicode plane, control characters, quotes and backslashes.
 */
class FileOutboxStoreRoundTripTests {

	private static final int OPERATIONS = 40;

	@TempDir
	Path directory;

	@ParameterizedTest
	@ValueSource(longs = { 1, 2, 3, 4 })
	void whateverEnqueueAcceptsComesBackThroughEveryPath(long seed) {
		Random random = new Random(seed);
		// A small cache: the newest payloads come from it, the others from the journal. No slack: changes compact.
		FileStoreSettings settings = FileStoreSettings.DEFAULTS.withFsync(false)
			.withPayloadCache(4)
			.withCompactionSlack(0);
		Map<String, Operation> expected = new LinkedHashMap<>();
		try (FileOutboxStore store = FileOutboxStore.open(this.directory, settings)) {
			Outbox outbox = new Outbox(store, OutboxConfig.builder().maxPayloadBytes(4 << 20).build(),
					Clock.systemUTC());
			for (int i = 0; i < OPERATIONS; i++) {
				NewOperation operation = randomOperation(random, i);
				Operation stored = outbox.enqueue(operation);
				assertThat(stored.payload()).isEqualTo(operation.payload());
				assertThat(stored.headers()).isEqualTo(operation.headers());
				expected.put(stored.id(), stored);
			}
			assertAllReadBack(store, expected, "before any change");
			assertThat(store.statistics().payloadCacheHits()).as("read through the cache").isPositive();
			assertThat(store.statistics().payloadReads()).as("read from the journal").isPositive();

			// Changes that leave every state with text of its own: claims, failures with random errors.
			long compactionsBefore = store.statistics().compactions();
			for (Operation operation : new ArrayList<>(expected.values())) {
				Operation claimed = outbox.claim(operation.id());
				Operation changed = switch (random.nextInt(3)) {
					case 0 -> claimed;
					case 1 -> outbox.markFailed(claimed, SendResult.permanent(randomText(random, 1 + random.nextInt(2_000))));
					default -> outbox.markDone(claimed);
				};
				expected.put(changed.id(), changed);
			}
			FileStores.awaitNoCompaction(store);
			assertThat(store.statistics().compactions()).as("compactions").isGreaterThan(compactionsBefore);
			assertAllReadBack(store, expected, "after a compaction");
		}
		try (FileOutboxStore reopened = FileOutboxStore.open(this.directory, settings)) {
			assertThat(reopened.recovery().isClean()).isTrue();
			// The previous process's claims are abandoned on opening: their tokens are not its own any more.
			assertThat(reopened.list(Set.of(), null, Integer.MAX_VALUE))
				.usingRecursiveFieldByFieldElementComparatorIgnoringFields("claimToken")
				.containsExactlyElementsOf(expected.values());
		}
	}

	private static void assertAllReadBack(FileOutboxStore store, Map<String, Operation> expected, String when) {
		// Newest first: those the cache holds come from it before the reads from the journal evict them.
		List<Operation> newestFirst = new ArrayList<>(expected.values());
		Collections.reverse(newestFirst);
		for (Operation operation : newestFirst) {
			assertThat(store.find(operation.id())).as("%s: %s", when, operation.id()).contains(operation);
		}
		assertThat(store.list(Set.of(), null, Integer.MAX_VALUE)).as(when).containsExactlyElementsOf(expected.values());
	}

	@Test
	void aFieldTheJournalCannotCarryIsRefusedNamingTheFieldAndTheLimit() {
		try (FileOutboxStore store = FileOutboxStore.open(this.directory, false)) {
			Outbox outbox = new Outbox(store);
			NewOperation valid = NewOperation.of("http.post", "/a", "x");
			assertRefused(outbox, NewOperation.of("k".repeat(NewOperation.MAX_KIND_LENGTH + 1), "/a", "x"),
					"'kind' is 201 chars long, over the limit of 200");
			assertRefused(outbox, NewOperation.of("http.post", "/" + "t".repeat(NewOperation.MAX_TARGET_LENGTH), "x"),
					"'target' is 8193 chars long, over the limit of 8192");
			assertRefused(outbox, valid.withHeader("n".repeat(NewOperation.MAX_HEADER_NAME_LENGTH + 1), "v"),
					"'header name' is 257 chars long, over the limit of 256");
			assertRefused(outbox, valid.withHeader("X-Big", "v".repeat(NewOperation.MAX_HEADER_VALUE_LENGTH + 1)),
					"'header 'X-Big'' is 8193 chars long, over the limit of 8192");
			assertRefused(outbox, valid.withIdempotencyKey("i".repeat(NewOperation.MAX_KEY_LENGTH + 1)),
					"'idempotencyKey' is 257 chars long, over the limit of 256");
			assertRefused(outbox, valid.withOrderingKey("o".repeat(NewOperation.MAX_KEY_LENGTH + 1)),
					"'orderingKey' is 257 chars long, over the limit of 256");
			NewOperation tooManyHeaders = valid;
			for (int i = 0; i <= NewOperation.MAX_HEADERS; i++) {
				tooManyHeaders = tooManyHeaders.withHeader("X-" + i, "v");
			}
			assertRefused(outbox, tooManyHeaders, "at most 64 headers but has 65");
			assertRefused(outbox, NewOperation.of("http.post", "/a\ud800", "x"), "'target' contains a lone surrogate");
			assertThat(store.list(Set.of(), null, 10)).isEmpty();
			// At the limits, it is stored.
			NewOperation atLimits = NewOperation
				.of("k".repeat(NewOperation.MAX_KIND_LENGTH), "/" + "t".repeat(NewOperation.MAX_TARGET_LENGTH - 1), "x")
				.withHeader("n".repeat(NewOperation.MAX_HEADER_NAME_LENGTH), "v".repeat(NewOperation.MAX_HEADER_VALUE_LENGTH))
				.withIdempotencyKey("i".repeat(NewOperation.MAX_KEY_LENGTH))
				.withOrderingKey("o".repeat(NewOperation.MAX_KEY_LENGTH));
			assertThat(store.find(outbox.enqueue(atLimits).id())).isPresent();
		}
	}

	private static void assertRefused(Outbox outbox, NewOperation operation, String message) {
		assertThatExceptionOfType(InvalidOperationException.class).isThrownBy(() -> outbox.enqueue(operation))
			.withMessageContaining(message);
	}

	private static NewOperation randomOperation(Random random, int index) {
		NewOperation operation = NewOperation.of(atLimitOrBelow(random, NewOperation.MAX_KIND_LENGTH - 1) + "k",
				"/" + atLimitOrBelow(random, NewOperation.MAX_TARGET_LENGTH - 1),
				randomText(random, (index % 10 == 0) ? 1_000_000 + random.nextInt(500_000) : random.nextInt(3_000)));
		int headers = (index % 7 == 0) ? NewOperation.MAX_HEADERS : random.nextInt(4);
		for (int h = 0; h < headers; h++) {
			operation = operation.withHeader(h + "-" + withoutLineBreaks(atLimitOrBelow(random,
					NewOperation.MAX_HEADER_NAME_LENGTH - 3)),
					withoutLineBreaks(atLimitOrBelow(random, NewOperation.MAX_HEADER_VALUE_LENGTH)));
		}
		if (random.nextBoolean()) {
			operation = operation.withIdempotencyKey(atLimitOrBelow(random, NewOperation.MAX_KEY_LENGTH - 1) + "i");
		}
		if (random.nextBoolean()) {
			operation = operation.withOrderingKey(index + atLimitOrBelow(random, NewOperation.MAX_KEY_LENGTH - 3));
		}
		return operation;
	}

	/** Text of the most chars a field takes, one time in four; shorter otherwise. */
	private static String atLimitOrBelow(Random random, int limit) {
		return randomText(random, (random.nextInt(4) == 0) ? limit : random.nextInt(limit / 4 + 1));
	}

	private static String withoutLineBreaks(String text) {
		return text.replace('\r', ' ').replace('\n', ' ');
	}

	/** Valid text of exactly that many chars: every plane, controls, quotes, backslashes, separators. */
	private static String randomText(Random random, int length) {
		StringBuilder text = new StringBuilder(length + 1);
		while (text.length() < length) {
			switch (random.nextInt(8)) {
				case 0 -> text.append((char) random.nextInt(0x20));
				case 1 -> text.append("\"\\/\u2028\u2029\u007f\u0000".charAt(random.nextInt(7)));
				case 2 -> text.appendCodePoint(0x10000 + random.nextInt(0x10FFFF - 0x10000 + 1));
				case 3 -> {
					int bmp = random.nextInt(0xFFFE);
					text.append((char) (Character.isSurrogate((char) bmp) ? 'é' : bmp));
				}
				default -> {
					// Runs of ASCII, as most text is.
					for (int i = random.nextInt(20); i > 0; i--) {
						text.append((char) (0x20 + random.nextInt(0x5f)));
					}
				}
			}
		}
		text.setLength(length);
		if (length > 0 && Character.isHighSurrogate(text.charAt(length - 1))) {
			// Cut between the chars of a pair.
			text.setCharAt(length - 1, 'x');
		}
		return text.toString();
	}

}
