package io.offlinesync.store.file;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class JournalFormatTests {

	private final JournalFormat format = new JournalFormat();

	/** Whole seconds, or a fraction of milli, micro or nano precision, alike. */
	private static int randomNanos(Random random) {
		return switch (random.nextInt(4)) {
			case 0 -> 0;
			case 1 -> random.nextInt(1_000) * 1_000_000;
			case 2 -> random.nextInt(1_000_000) * 1_000;
			default -> random.nextInt(1_000_000_000);
		};
	}

	@ParameterizedTest
	@ValueSource(longs = { 1, 2, 3 })
	void instantsAreWrittenAsInstantToStringWritesThemAndReadBackExactly(long seed) {
		Random random = new Random(seed);
		RecordBuffer buffer = new RecordBuffer(64);
		for (int i = 0; i < 20_000; i++) {
			// Years -5000 to 15000, so that both the fast paths and their fallbacks run, at every precision.
			long seconds = (long) ((random.nextDouble() - 0.344) * 630_000_000_000L);
			Instant instant = Instant.ofEpochSecond(seconds, randomNanos(random));
			buffer.clear();
			buffer.instant(instant);
			String written = new String(buffer.asByteBuffer().array(), 0, buffer.length(), StandardCharsets.US_ASCII);
			assertThat(written).isEqualTo(instant.toString());
			char[] text = ("\"" + written + "\"").toCharArray();
			assertThat(new Instants().parse(text, 1, written.length())).as(written).isEqualTo(instant);
		}
	}

	@ParameterizedTest
	@ValueSource(strings = { "all equal", "due later", "updated later", "each its own" })
	void equalInstantsOfARecordAreReadAsOneObjectAndOthersAsTheirOwn(String instants) {
		Instant created = Instant.parse("2026-01-01T00:00:00.123456Z");
		Instant later = created.plusSeconds(60);
		Instant next = switch (instants) {
			case "due later", "each its own" -> later;
			default -> created;
		};
		Instant updated = switch (instants) {
			case "updated later" -> later;
			case "each its own" -> later.plusNanos(1);
			default -> created;
		};
		Operation operation = Operation.builder()
			.id("id-1")
			.kind("http.post")
			.target("/a")
			.payload("{}")
			// Instants written from equal copies, not from one object: what is read must not depend on it.
			.createdAt(Instant.parse(created.toString()))
			.nextAttemptAt(Instant.parse(next.toString()))
			.updatedAt(Instant.parse(updated.toString()))
			.build();
		Operation read = ((JournalRecord.Put) readBack(line((out) -> this.format.put(operation, out)))).operation();
		assertThat(read).isEqualTo(operation);
		assertThat(read.nextAttemptAt() == read.createdAt()).isEqualTo(next.equals(created));
		assertThat(read.updatedAt() == read.createdAt()).isEqualTo(updated.equals(created));
	}

	@ParameterizedTest
	@ValueSource(longs = { 1, 2, 3, 4, 5, 6, 7, 8 })
	void randomTextInEveryFieldRoundTripsExactlyInEveryKindOfRecord(long seed) {
		Random random = new Random(seed);
		for (int i = 0; i < 200; i++) {
			Operation operation = Operation.builder()
				.id("id-" + randomText(random, 20))
				.kind(randomText(random, 10) + "k")
				.target("/" + randomText(random, 30))
				.payload(randomText(random, random.nextInt(3) == 0 ? 5_000 : 200))
				.headers(Map.of("X-" + i, randomText(random, 15), pairedOnly(randomText(random, 5)) + "h", randomText(random, 5)))
				.idempotencyKey(randomText(random, 12) + "!")
				.orderingKey(random.nextBoolean() ? null : randomText(random, 8) + "o")
				.status(OperationStatus.FAILED)
				.attempt(random.nextInt(100))
				.lastError(randomText(random, 40))
				.createdAt(Instant.ofEpochSecond(random.nextInt(2_000_000_000), random.nextInt(1_000_000_000)))
				.nextAttemptAt(Instant.ofEpochSecond(random.nextInt(2_000_000_000)))
				.build();
			byte[] put = line((out) -> this.format.put(operation, out));
			assertThat(new String(put, 0, put.length - 1, StandardCharsets.UTF_8)).doesNotContain("\n");
			assertThat(readBack(put)).isEqualTo(new JournalRecord.Put(operation));
			Operation claimed = operation.toBuilder()
				.status(OperationStatus.IN_FLIGHT)
				.claimToken(randomText(random, 36))
				.attempt(operation.attempt() + 1)
				.updatedAt(operation.updatedAt().plusMillis(1))
				.build();
			assertThat(readBack(line((out) -> this.format.stateChange(claimed, out))))
				.isEqualTo(JournalRecord.StateChange.of(claimed));
			assertThat(JournalRecord.StateChange.of(claimed).applyTo(operation)).isEqualTo(claimed);
			assertThat(readBack(line((out) -> this.format.delete(operation.id(), out))))
				.isEqualTo(new JournalRecord.Delete(operation.id()));
		}
	}

	/**
	 * ASCII text takes a faster path that copies the runs between escapes; a lone surrogate keeps it on that path
	 * (the UTF-8 encoder turns it into one '?'), so it must still come back exactly, as must a real '?'.
	 */
	@ParameterizedTest
	@ValueSource(longs = { 1, 2, 3, 4, 5, 6, 7, 8 })
	void mostlyAsciiTextWithEscapesAnywhereRoundTripsExactly(long seed) {
		Random random = new Random(seed);
		String specials = "\"\\?\u0000\u001f\n\r\t\ud800\udc00";
		for (int i = 0; i < 2_000; i++) {
			StringBuilder text = new StringBuilder();
			int length = random.nextInt(40);
			for (int c = 0; c < length; c++) {
				char next = (random.nextInt(4) == 0) ? specials.charAt(random.nextInt(specials.length()))
						: (char) (0x20 + random.nextInt(0x5f));
				if (Character.isLowSurrogate(next) && c > 0 && Character.isHighSurrogate(text.charAt(c - 1))) {
					// Lone surrogates only: a pair would be a real character, written as UTF-8.
					next = 'a';
				}
				text.append(next);
			}
			Operation operation = Operation.builder()
				.id("id-" + i)
				.kind("http.post")
				.target("/t")
				.payload(text.toString())
				.createdAt(Instant.ofEpochSecond(1_700_000_000L))
				.build();
			byte[] line = line((out) -> this.format.put(operation, out));
			for (int b = 0; b < line.length - 1; b++) {
				assertThat(line[b]).as("byte %d of %s", b, text).isBetween((byte) 0x20, (byte) 0x7e);
			}
			assertThat(readBack(line)).isEqualTo(new JournalRecord.Put(operation));
		}
	}

	@Test
	void aPayloadLeftUnreadGetsTheStandIn() {
		Operation operation = Operation.builder().id("a").kind("k").target("/t").payload("big").createdAt(Instant.EPOCH)
			.build();
		byte[] line = line((out) -> this.format.put(operation, out));
		JournalRecord record = this.format.read(line, 0, line.length - 1, PayloadReader.ON_DISK, (text) -> text,
				new Instants());
		assertThat(((JournalRecord.Put) record).operation().payload()).isSameAs(PayloadReader.ON_DISK);
	}

	@ParameterizedTest
	@ValueSource(strings = { "{\"type\":\"put\"}", "{\"type\":\"state\",\"id\":\"a\"}", "{\"type\":\"del\"}",
			"{\"type\":\"what\",\"id\":\"a\"}", "[1,2]", "{\"type\":\"del\",\"id\":\"a\"} extra", "not json",
			"{\"type\":\"state\",\"id\":\"a\",\"status\":\"LOST\",\"attempt\":1,\"nextAttemptAt\":\"x\"}" })
	void anIntactLineThatIsNoRecordIsDamageThatSaysSo(String json) {
		RecordBuffer buffer = new RecordBuffer(16);
		int start = buffer.beginLine();
		buffer.ascii(json);
		buffer.endLine(start);
		JournalRecord record = readBack(Arrays.copyOf(buffer.array(), buffer.length()));
		assertThat(record).isInstanceOf(JournalRecord.Damaged.class);
		assertThat(((JournalRecord.Damaged) record).reason()).startsWith("intact checksum but unreadable record");
	}

	@Test
	void aLineWhoseChecksumFailsIsDamage() {
		byte[] line = line((out) -> this.format.delete("id-1", out));
		line[20] ^= 0x01;
		assertThat(readBack(line)).isInstanceOfSatisfying(JournalRecord.Damaged.class,
				(damaged) -> assertThat(damaged.reason()).startsWith("checksum mismatch"));
	}

	@Test
	void theHeaderCarriesItsChecksumAndVersionOneHeadersAreReadToo() {
		byte[] header = JournalFormat.header();
		assertThat(this.format.readHeader(header, header.length - 1)).isEqualTo(JournalFormat.VERSION);
		byte[] first = "{\"format\":\"offline-sync-journal\",\"version\":1}".getBytes(StandardCharsets.US_ASCII);
		assertThat(this.format.readHeader(first, first.length)).isEqualTo(1);
		header[header.length - 3] = '3';
		assertThatIllegalArgumentException().isThrownBy(() -> this.format.readHeader(header, header.length - 1))
			.withMessageContaining("its header line is damaged");
	}

	/** Line ends are looked for eight bytes at a time: bytes that differ from a line feed in one bit only included. */
	@ParameterizedTest
	@ValueSource(longs = { 1, 2, 3 })
	void theLineEndFoundIsTheFirstLineFeed(long seed) {
		Random random = new Random(seed);
		byte[] alphabet = { '\n', (byte) 0x8A, 0x0B, 0x08, 0x1A, 'a', 0, (byte) 0xFF };
		for (int i = 0; i < 5_000; i++) {
			byte[] bytes = new byte[random.nextInt(40)];
			for (int b = 0; b < bytes.length; b++) {
				bytes[b] = (random.nextInt(6) == 0) ? alphabet[random.nextInt(alphabet.length)] : (byte) 'x';
			}
			int from = random.nextInt(bytes.length + 1);
			int to = from + random.nextInt(bytes.length - from + 1);
			int expected = from;
			while (expected < to && bytes[expected] != '\n') {
				expected++;
			}
			assertThat(JournalFormat.lineEnd(bytes, from, to)).as("%s [%d, %d)", Arrays.toString(bytes), from, to)
				.isEqualTo(expected);
		}
	}

	private static byte[] line(java.util.function.Consumer<RecordBuffer> write) {
		RecordBuffer buffer = new RecordBuffer(16);
		write.accept(buffer);
		byte[] line = Arrays.copyOf(buffer.array(), buffer.length());
		assertThat(line[line.length - 1]).isEqualTo((byte) '\n');
		return line;
	}

	private JournalRecord readBack(byte[] line) {
		return this.format.read(line, 0, line.length - 1);
	}

	/**
	 * The text with each lone surrogate replaced: enqueue refuses them, and the parser refuses them in names (values
	 * still come back exactly).
	 */
	private static String pairedOnly(String text) {
		StringBuilder paired = new StringBuilder(text);
		for (int i = 0; i < paired.length(); i++) {
			if (Character.isHighSurrogate(paired.charAt(i)) && i + 1 < paired.length()
					&& Character.isLowSurrogate(paired.charAt(i + 1))) {
				i++;
			}
			else if (Character.isSurrogate(paired.charAt(i))) {
				paired.setCharAt(i, '?');
			}
		}
		return paired.toString();
	}

	/** Any chars at all: controls, quotes, backslashes, every plane, and lone surrogates. */
	private static String randomText(Random random, int length) {
		StringBuilder text = new StringBuilder();
		for (int i = 0; i < length; i++) {
			switch (random.nextInt(6)) {
				case 0 -> text.append((char) random.nextInt(0x20));
				case 1 -> text.append("\"\\/\u2028\u007f".charAt(random.nextInt(5)));
				case 2 -> text.appendCodePoint(0x10000 + random.nextInt(0x10FFFF - 0x10000));
				case 3 -> text.append((char) (0xD800 + random.nextInt(0x800)));
				default -> text.append((char) random.nextInt(0xD800));
			}
		}
		return text.toString();
	}

}
