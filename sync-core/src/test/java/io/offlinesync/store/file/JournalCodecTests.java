package io.offlinesync.store.file;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class JournalCodecTests {

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
	void instantsParseBackExactlyAsTheyWereWritten(long seed) {
		Random random = new Random(seed);
		for (int i = 0; i < 20_000; i++) {
			// From 1970 to 2100, at second, milli, micro and nano precision.
			long seconds = (long) (random.nextDouble() * 4_102_444_800L);
			int nanos = randomNanos(random);
			Instant instant = Instant.ofEpochSecond(seconds, nanos);
			assertThat(JournalCodec.parseInstant(instant.toString())).as(instant.toString()).isEqualTo(instant);
			assertThat(parseInstantWithin(instant.toString())).as(instant.toString()).isEqualTo(instant);
		}
		for (String other : new String[] { "+10000-01-01T00:00:00Z", "-0001-12-31T23:59:59.5Z",
				"2024-02-29T23:59:59.999999999Z", "1970-01-01T00:00:00Z" }) {
			assertThat(JournalCodec.parseInstant(other)).isEqualTo(Instant.parse(other));
			assertThat(parseInstantWithin(other)).isEqualTo(Instant.parse(other));
		}
	}

	/** Reads an instant from the middle of a record's bytes, as the scan does. */
	private static Instant parseInstantWithin(String text) {
		byte[] line = ("\"createdAt\":\"" + text + "\",").getBytes(StandardCharsets.US_ASCII);
		return JournalCodec.parseInstant(line, 13, 13 + text.length());
	}

	@ParameterizedTest
	@ValueSource(longs = { 1, 2, 3 })
	void instantsAreWrittenExactlyAsInstantToStringWritesThem(long seed) {
		Random random = new Random(seed);
		JournalCodec.Buffer buffer = new JournalCodec.Buffer(64);
		for (int i = 0; i < 20_000; i++) {
			// Years -5000 to 15000, so that both the fast path and its fallback run, at every precision.
			long seconds = (long) ((random.nextDouble() - 0.344) * 630_000_000_000L);
			int nanos = randomNanos(random);
			Instant instant = Instant.ofEpochSecond(seconds, nanos);
			buffer.clear();
			buffer.instant(instant);
			String written = new String(buffer.asByteBuffer().array(), 0, buffer.length(),
					StandardCharsets.US_ASCII);
			assertThat(written).isEqualTo(instant.toString());
		}
	}

	private final JournalCodec codec = new JournalCodec();

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
			.status(OperationStatus.PENDING)
			// Instants written from equal copies, not from one object: what is read must not depend on it.
			.createdAt(Instant.parse(created.toString()))
			.nextAttemptAt(Instant.parse(next.toString()))
			.updatedAt(Instant.parse(updated.toString()))
			.build();
		JournalCodec.Buffer buffer = new JournalCodec.Buffer(16);
		this.codec.put(operation, buffer);
		Operation read = (Operation) this.codec.decode(buffer.asByteBuffer().array(), buffer.length() - 1,
				FileOutboxStore.ON_DISK, (text) -> text);
		assertThat(read.createdAt()).isEqualTo(created);
		assertThat(read.nextAttemptAt()).isEqualTo(next);
		assertThat(read.updatedAt()).isEqualTo(updated);
		assertThat(read.nextAttemptAt() == read.createdAt()).isEqualTo(next.equals(created));
		assertThat(read.updatedAt() == read.createdAt()).isEqualTo(updated.equals(created));
		assertThat(read.updatedAt() == read.nextAttemptAt()).isEqualTo(updated.equals(next) && next.equals(created));
	}

	@ParameterizedTest
	@ValueSource(longs = { 1, 2, 3, 4, 5, 6, 7, 8 })
	void randomTextInEveryFieldRoundTripsExactly(long seed) {
		Random random = new Random(seed);
		JournalCodec.Buffer buffer = new JournalCodec.Buffer(16);
		for (int i = 0; i < 200; i++) {
			Operation operation = Operation.builder()
				.id("id-" + randomText(random, 20))
				.kind(randomText(random, 10) + "k")
				.target("/" + randomText(random, 30))
				.payload(randomText(random, random.nextInt(3) == 0 ? 5_000 : 200))
				.headers(Map.of("X-" + i, randomText(random, 15)))
				.idempotencyKey(randomText(random, 12) + "!")
				.orderingKey(random.nextBoolean() ? null : randomText(random, 8) + "o")
				.status(OperationStatus.FAILED)
				.attempt(random.nextInt(100))
				.lastError(randomText(random, 40))
				.createdAt(Instant.ofEpochSecond(random.nextInt(2_000_000_000), random.nextInt(1_000_000_000)))
				.nextAttemptAt(Instant.ofEpochSecond(random.nextInt(2_000_000_000)))
				.build();
			buffer.clear();
			this.codec.put(operation, buffer);
			byte[] line = Arrays.copyOf(buffer.asByteBuffer().array(), buffer.length());
			assertThat(line[line.length - 1]).isEqualTo((byte) '\n');
			assertThat(new String(line, 0, line.length - 1, StandardCharsets.UTF_8)).doesNotContain("\n");
			assertThat(this.codec.decode(line, line.length - 1)).isEqualTo(operation);
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
		JournalCodec.Buffer buffer = new JournalCodec.Buffer(16);
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
			buffer.clear();
			this.codec.put(operation, buffer);
			byte[] line = Arrays.copyOf(buffer.asByteBuffer().array(), buffer.length());
			for (int b = 0; b < line.length - 1; b++) {
				assertThat(line[b]).as("byte %d of %s", b, text).isBetween((byte) 0x20, (byte) 0x7e);
			}
			assertThat(this.codec.decode(line, line.length - 1)).isEqualTo(operation);
		}
	}

	/**
	 * Records in the layout the codec writes are read by a scan, anything else by the JSON parser: both must read
	 * every record alike, with the payload or without it.
	 */
	@ParameterizedTest
	@ValueSource(longs = { 1, 2, 3, 4 })
	void theScanAndTheJsonParserReadEveryRecordAlike(long seed) {
		Random random = new Random(seed);
		JournalCodec.Buffer buffer = new JournalCodec.Buffer(16);
		OperationStatus[] statuses = OperationStatus.values();
		for (int i = 0; i < 2_000; i++) {
			boolean plain = random.nextBoolean();
			OperationStatus status = statuses[random.nextInt(statuses.length)];
			Operation.Builder builder = Operation.builder()
				.id("0192-" + i)
				.kind(plain ? "http.post" : randomText(random, 5) + "k")
				.target(plain ? "/notes/" + i : "/" + randomText(random, 8))
				.payload(plain ? "{\"n\":" + i + "}" : randomText(random, 30))
				.status(status)
				.claimToken((status == OperationStatus.IN_FLIGHT) ? "token-" + i : null)
				.attempt(random.nextInt(3) == 0 ? Integer.MAX_VALUE - random.nextInt(3) : random.nextInt(20))
				.createdAt(Instant.ofEpochSecond(1_700_000_000L + i, randomNanos(random)));
			if (random.nextInt(4) == 0) {
				builder.nextAttemptAt(Instant.ofEpochSecond(1_800_000_000L + i));
			}
			if (random.nextInt(4) == 0) {
				builder.updatedAt(Instant.ofEpochSecond(1_800_000_000L - i, randomNanos(random)));
			}
			if (random.nextInt(4) == 0) {
				builder.idempotencyKey("key-" + i);
			}
			if (random.nextInt(4) == 0) {
				builder.orderingKey(plain ? "customer-" + i : randomText(random, 4) + "o");
			}
			if (random.nextInt(4) == 0) {
				builder.lastError(plain ? "503 from /notes" : randomText(random, 6));
			}
			if (random.nextInt(8) == 0) {
				builder.headers(Map.of("X-Trace", "t-" + i));
			}
			Operation operation = builder.build();
			buffer.clear();
			boolean deleted = random.nextInt(5) == 0;
			if (deleted) {
				this.codec.delete(operation.id(), buffer);
			}
			else {
				this.codec.put(operation, buffer);
			}
			byte[] line = Arrays.copyOf(buffer.asByteBuffer().array(), buffer.length() - 1);
			for (String standIn : new String[] { null, "" }) {
				Object parsed = this.codec.readAnyJson(line, line.length, standIn, (text) -> text);
				assertThat(this.codec.decode(line, line.length, standIn, (text) -> text)).isEqualTo(parsed);
				Object scanned = JournalCodec.readCanonical(line, line.length, standIn, (text) -> text);
				if (deleted || operation.headers().isEmpty()) {
					// Every record in the layout the codec writes is read without the parser, whatever its text:
					// escapes, control characters, every plane, lone surrogates.
					assertThat(scanned).isNotNull().isEqualTo(parsed);
				}
				else {
					assertThat(scanned).isNull();
				}
			}
		}
	}

	/** A line with an intact checksum in a layout the codec does not write: other field order, a bad escape. */
	@ParameterizedTest
	@ValueSource(strings = {
			"{\"op\":{\"kind\":\"k\",\"id\":\"a\",\"status\":\"PENDING\",\"attempt\":0,\"target\":\"/t\",\"payload\":\"p\","
					+ "\"nextAttemptAt\":\"2026-01-01T00:00:00Z\",\"createdAt\":\"2026-01-01T00:00:00Z\","
					+ "\"updatedAt\":\"2026-01-01T00:00:00Z\"},\"type\":\"put\"}",
			"{\"type\":\"put\",\"op\":{\"id\":\"a\",\"status\":\"PENDING\",\"attempt\": 0,\"kind\":\"k\",\"target\":\"/t\","
					+ "\"payload\":\"p\\\\q\",\"nextAttemptAt\":\"2026-01-01T00:00:00Z\",\"createdAt\":\"2026-01-01T00:00:00Z\","
					+ "\"updatedAt\":\"2026-01-01T00:00:00Z\"}}",
			"{\"type\":\"put\",\"op\":{\"id\":\"a\",\"status\":\"PENDING\",\"attempt\":12345678901,\"kind\":\"k\","
					+ "\"target\":\"/t\",\"payload\":\"p\",\"nextAttemptAt\":\"2026-01-01T00:00:00Z\","
					+ "\"createdAt\":\"2026-01-01T00:00:00Z\",\"updatedAt\":\"2026-01-01T00:00:00Z\"}}",
			"{\"type\":\"put\",\"op\":{\"id\":\"a\",\"status\":\"PENDING\",\"attempt\":0,\"kind\":\"k\",\"target\":\"/t\","
					+ "\"payload\":\"p\\q\",\"nextAttemptAt\":\"2026-01-01T00:00:00Z\",\"createdAt\":\"2026-01-01T00:00:00Z\","
					+ "\"updatedAt\":\"2026-01-01T00:00:00Z\"}}",
			"{\"type\":\"put\",\"op\":{\"id\":\"a\",\"status\":\"PENDING\",\"attempt\":007,\"kind\":\"k\",\"target\":\"/t\","
					+ "\"payload\":\"p\",\"nextAttemptAt\":\"2026-01-01T00:00:00Z\",\"createdAt\":\"2026-01-01T00:00:00Z\","
					+ "\"updatedAt\":\"2026-01-01T00:00:00Z\"}}",
			"{\"type\":\"put\",\"op\":{\"id\":\"a\",\"status\":\"LOST\",\"attempt\":0,\"kind\":\"k\",\"target\":\"/t\","
					+ "\"payload\":\"p\",\"nextAttemptAt\":\"2026-01-01T00:00:00Z\",\"createdAt\":\"2026-01-01T00:00:00Z\","
					+ "\"updatedAt\":\"2026-01-01T00:00:00Z\"}}" })
	void aLineInAnotherLayoutIsReadByTheJsonParserOrRefusedAsItWouldRefuseIt(String json) {
		assertLeftToTheParser(json.getBytes(StandardCharsets.UTF_8));
	}

	/**
	 * Bytes that are not well-formed UTF-8 in a payload (overlong, a surrogate, past U+10FFFF, cut short, stray) or
	 * a raw control character, at each place in the eight bytes the scan looks at together.
	 */
	@ParameterizedTest
	@ValueSource(strings = { "C0AF", "E080AF", "EDA080", "F4908080", "F5808080", "E282", "80", "FF", "01", "1F" })
	void malformedTextInAPayloadIsLeftToTheJsonParser(String hex) {
		byte[] bad = java.util.HexFormat.of().parseHex(hex);
		byte[] after = ("q\",\"nextAttemptAt\":\"2026-01-01T00:00:00Z\",\"createdAt\":\"2026-01-01T00:00:00Z\","
				+ "\"updatedAt\":\"2026-01-01T00:00:00Z\"}}").getBytes(StandardCharsets.UTF_8);
		for (int plain = 1; plain <= 9; plain++) {
			byte[] before = ("{\"type\":\"put\",\"op\":{\"id\":\"a\",\"status\":\"PENDING\",\"attempt\":0,\"kind\":\"k\","
					+ "\"target\":\"/t\",\"payload\":\"" + "p".repeat(plain)).getBytes(StandardCharsets.UTF_8);
			byte[] json = new byte[before.length + bad.length + after.length];
			System.arraycopy(before, 0, json, 0, before.length);
			System.arraycopy(bad, 0, json, before.length, bad.length);
			System.arraycopy(after, 0, json, before.length + bad.length, after.length);
			assertLeftToTheParser(json);
		}
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
			assertThat(JournalCodec.lineEnd(bytes, from, to)).as("%s [%d, %d)", Arrays.toString(bytes), from, to)
				.isEqualTo(expected);
		}
	}

	private void assertLeftToTheParser(byte[] json) {
		JournalCodec.Buffer buffer = new JournalCodec.Buffer(16);
		int start = buffer.beginLine();
		buffer.literal(json);
		buffer.endLine(start);
		byte[] line = Arrays.copyOf(buffer.asByteBuffer().array(), buffer.length() - 1);
		for (String standIn : new String[] { null, "" }) {
			assertThat(JournalCodec.readCanonical(line, line.length, standIn, (text) -> text)).isNull();
			Object parsed;
			try {
				parsed = this.codec.readAnyJson(line, line.length, standIn, (text) -> text);
			}
			catch (IllegalArgumentException ex) {
				assertThatIllegalArgumentException().isThrownBy(() -> this.codec.decode(line, line.length, standIn,
						(text) -> text));
				continue;
			}
			assertThat(this.codec.decode(line, line.length, standIn, (text) -> text)).isEqualTo(parsed);
		}
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
