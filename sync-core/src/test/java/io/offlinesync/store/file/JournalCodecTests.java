package io.offlinesync.store.file;

import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;

import static org.assertj.core.api.Assertions.assertThat;

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
		}
		for (String other : new String[] { "+10000-01-01T00:00:00Z", "-0001-12-31T23:59:59.5Z",
				"2024-02-29T23:59:59.999999999Z", "1970-01-01T00:00:00Z" }) {
			assertThat(JournalCodec.parseInstant(other)).isEqualTo(Instant.parse(other));
		}
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
					java.nio.charset.StandardCharsets.US_ASCII);
			assertThat(written).isEqualTo(instant.toString());
		}
	}

	private final JournalCodec codec = new JournalCodec();

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
			assertThat(new String(line, 0, line.length - 1, java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("\n");
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
