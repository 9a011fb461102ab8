package io.offlinesync.store.file;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.json.JsonFactory;

import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;

/**
 * Encodes and decodes journal lines: {@code <crc32c as 8 hex digits> <space> <json>\n}, the checksum taken over the
 * JSON bytes. JSON escapes every line break inside strings, so a record is exactly one line. Records are written by
 * hand straight into one buffer (the hot path of every change). They are read back by a scan when they are in exactly
 * that layout, and with Jackson's streaming parser otherwise.
 */
final class JournalCodec {

	static final int FORMAT_VERSION = 1;

	static final String FORMAT_NAME = "offline-sync-journal";

	private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

	private static final java.lang.invoke.VarHandle LONGS = java.lang.invoke.MethodHandles
		.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

	/** Days of the years 1000 to 9999, which {@link Instant#toString()} writes with four digits and no sign. */
	private static final long FIRST_FAST_DAY = java.time.LocalDate.of(1000, 1, 1).toEpochDay();

	private static final long LAST_FAST_DAY = java.time.LocalDate.of(9999, 12, 31).toEpochDay();

	// The fixed parts of a record, as bytes: copied, not encoded, on every write.
	private static final byte[] PUT_ID = bytesOf("{\"type\":\"put\",\"op\":{\"id\":");

	private static final String STATUS_TEXT = ",\"status\":";

	private static final String ATTEMPT_TEXT = ",\"attempt\":";

	private static final byte[] STATUS = bytesOf(STATUS_TEXT);

	/** Each status's name in quotes, by ordinal. */
	private static final byte[][] QUOTED_STATUSES = Arrays.stream(OperationStatus.values())
		.map((status) -> bytesOf("\"" + status.name() + "\""))
		.toArray(byte[][]::new);

	private static final byte[] ATTEMPT = bytesOf(ATTEMPT_TEXT);

	/** The three above together, by status: written as one. */
	private static final byte[][] STATUS_AND_ATTEMPT = Arrays.stream(OperationStatus.values())
		.map((status) -> bytesOf(STATUS_TEXT + "\"" + status.name() + "\"" + ATTEMPT_TEXT))
		.toArray(byte[][]::new);

	private static final byte[] KIND = bytesOf(",\"kind\":");

	private static final byte[] TARGET = bytesOf(",\"target\":");

	private static final byte[] PAYLOAD = bytesOf(",\"payload\":");

	private static final byte[] HEADERS = bytesOf(",\"headers\":{");

	private static final byte[] IDEMPOTENCY_KEY = bytesOf(",\"idempotencyKey\":");

	private static final byte[] ORDERING_KEY = bytesOf(",\"orderingKey\":");

	private static final byte[] LAST_ERROR = bytesOf(",\"lastError\":");

	private static final byte[] CLAIM_TOKEN = bytesOf(",\"claimToken\":");

	private static final byte[] NEXT_ATTEMPT_AT = bytesOf(",\"nextAttemptAt\":\"");

	private static final byte[] CREATED_AT = bytesOf("\",\"createdAt\":\"");

	private static final byte[] UPDATED_AT = bytesOf("\",\"updatedAt\":\"");

	private static final byte[] PUT_END = bytesOf("\"}}");

	/** The string fields a record may leave out, in the order they are written. */
	private static final byte[][] OPTIONAL_TEXTS = { IDEMPOTENCY_KEY, ORDERING_KEY, LAST_ERROR, CLAIM_TOKEN };

	/** The instants of a record, in the order they are written: when it is next due, created, last updated. */
	private static final byte[][] INSTANTS = { NEXT_ATTEMPT_AT, CREATED_AT, UPDATED_AT };

	private static final byte[] DEL_ID = bytesOf("{\"type\":\"del\",\"id\":");

	private static final byte[] DEL_END = bytesOf("}");

	private static final OperationStatus[] STATUSES = OperationStatus.values();

	// The streaming parser alone: a JsonMapper would load and set up data binding, a quarter of a second of every
	// first open in a JVM, for nothing the codec uses.
	private final JsonFactory json = new JsonFactory();

	/** @return the index of the first line feed in {@code bytes[from, to)}, or {@code to} */
	static int lineEnd(byte[] bytes, int from, int to) {
		int i = from;
		// Eight bytes at a time: opening a store looks for the ends of millions of lines of a few hundred bytes.
		for (; i + 8 <= to; i += 8) {
			long differences = (long) LONGS.get(bytes, i) ^ 0x0A0A0A0A0A0A0A0AL;
			long flags = zeroBytes(differences) & ~differences & 0x8080808080808080L;
			if (flags != 0) {
				return i + (Long.numberOfTrailingZeros(flags) >>> 3);
			}
		}
		while (i < to && bytes[i] != '\n') {
			i++;
		}
		return i;
	}

	/** With {@code & ~word & 0x80...}: flags each byte of {@code word} that is zero. */
	private static long zeroBytes(long word) {
		return word - 0x0101010101010101L;
	}

	private static byte[] bytesOf(String text) {
		return text.getBytes(StandardCharsets.US_ASCII);
	}

	byte[] header() {
		return ("{\"format\":\"" + FORMAT_NAME + "\",\"version\":" + FORMAT_VERSION + "}\n")
			.getBytes(StandardCharsets.UTF_8);
	}

	/**
	 * @return the format version of a header line
	 * @throws IllegalArgumentException if the line is no journal header
	 */
	int readHeader(byte[] line, int length) {
		String format = null;
		Integer version = null;
		try (JsonParser parser = this.json.createParser(ObjectReadContext.empty(), line, 0, length)) {
			if (parser.nextToken() != JsonToken.START_OBJECT) {
				throw new IllegalArgumentException("its first line is not a journal header");
			}
			String name;
			while ((name = parser.nextName()) != null) {
				JsonToken value = parser.nextToken();
				if (name.equals("format") && value == JsonToken.VALUE_STRING) {
					format = parser.getString();
				}
				else if (name.equals("version") && value == JsonToken.VALUE_NUMBER_INT) {
					version = parser.getIntValue();
				}
				else {
					parser.skipChildren();
				}
			}
		}
		catch (JacksonException ex) {
			throw new IllegalArgumentException("its first line is not a journal header", ex);
		}
		if (!FORMAT_NAME.equals(format) || version == null) {
			throw new IllegalArgumentException("its first line does not name the format '" + FORMAT_NAME + "'");
		}
		return version;
	}

	/** Append a {@code put} record of the operation's full state. */
	void put(Operation operation, Buffer out) {
		int start = out.beginLine();
		out.literal(PUT_ID).string(operation.id());
		out.literal(STATUS_AND_ATTEMPT[operation.status().ordinal()]).number(operation.attempt());
		out.literal(KIND).string(operation.kind());
		out.literal(TARGET).string(operation.target());
		out.literal(PAYLOAD).string(operation.payload());
		if (!operation.headers().isEmpty()) {
			out.literal(HEADERS);
			boolean first = true;
			for (Map.Entry<String, String> header : operation.headers().entrySet()) {
				if (!first) {
					out.character(',');
				}
				first = false;
				out.string(header.getKey()).character(':').string(header.getValue());
			}
			out.character('}');
		}
		if (!operation.idempotencyKey().equals(operation.id())) {
			out.literal(IDEMPOTENCY_KEY).string(operation.idempotencyKey());
		}
		optional(out, ORDERING_KEY, operation.orderingKey());
		optional(out, LAST_ERROR, operation.lastError());
		optional(out, CLAIM_TOKEN, operation.claimToken());
		// At enqueue the three instants are one: the later ones copy the first one's text.
		out.literal(NEXT_ATTEMPT_AT);
		int nextStart = out.length();
		out.instant(operation.nextAttemptAt());
		int nextEnd = out.length();
		out.literal(CREATED_AT);
		int createdStart = out.length();
		if (operation.createdAt().equals(operation.nextAttemptAt())) {
			out.copy(nextStart, nextEnd);
		}
		else {
			out.instant(operation.createdAt());
		}
		int createdEnd = out.length();
		out.literal(UPDATED_AT);
		if (operation.updatedAt().equals(operation.createdAt())) {
			out.copy(createdStart, createdEnd);
		}
		else {
			out.instant(operation.updatedAt());
		}
		out.literal(PUT_END);
		out.endLine(start);
	}

	/** Append a {@code del} record. */
	void delete(String id, Buffer out) {
		int start = out.beginLine();
		out.literal(DEL_ID).string(id).literal(DEL_END);
		out.endLine(start);
	}

	private static void optional(Buffer out, byte[] name, String value) {
		if (value != null) {
			out.literal(name).string(value);
		}
	}

	/**
	 * Decode one line (without its line feed).
	 * @return the operation of a {@code put} record, or the id of a {@code del} record as a {@link String}
	 * @throws IllegalArgumentException naming the damage
	 */
	Object decode(byte[] line, int length) {
		return decode(line, length, null, java.util.function.UnaryOperator.identity());
	}

	/**
	 * Decode one line, optionally leaving the payload unread: opening a store keeps payloads on disk, and skipping
	 * them spares decoding and copying most of each record's bytes.
	 * @param payloadStandIn what to put in place of the payload, or {@literal null} to read it
	 * @param shared maps a kind or target read to an equal instance shared by many operations
	 * @return the operation of a {@code put} record, or the id of a {@code del} record as a {@link String}
	 * @throws IllegalArgumentException naming the damage
	 */
	Object decode(byte[] line, int length, String payloadStandIn, java.util.function.UnaryOperator<String> shared) {
		return decode(line, 0, length, payloadStandIn, shared, new Scan());
	}

	/**
	 * {@link #decode(byte[], int, String, java.util.function.UnaryOperator)} of a line that begins at {@code start}.
	 * @param scan reads the line; one for many lines lets their equal instants share one object
	 */
	Object decode(byte[] bytes, int start, int length, String payloadStandIn,
			java.util.function.UnaryOperator<String> shared, Scan scan) {
		if (length < 11 || bytes[start + 8] != ' ') {
			throw new IllegalArgumentException("not a record line (" + length + " bytes)");
		}
		long expected = 0;
		for (int i = start; i < start + 8; i++) {
			int digit = Character.digit(bytes[i], 16);
			if (digit < 0) {
				throw new IllegalArgumentException("checksum field is not hexadecimal");
			}
			expected = (expected << 4) | digit;
		}
		CRC32C crc = new CRC32C();
		crc.update(bytes, start + 9, length - 9);
		if (crc.getValue() != expected) {
			throw new IllegalArgumentException("checksum mismatch (stored " + Long.toHexString(expected) + ", computed "
					+ Long.toHexString(crc.getValue()) + ")");
		}
		Object canonical;
		try {
			canonical = readCanonical(scan.reset(bytes, start + 9, start + length), payloadStandIn, shared);
		}
		catch (RuntimeException ex) {
			// Not what this codec writes after all: the parser says what is wrong with it.
			canonical = null;
		}
		if (canonical != null) {
			return canonical;
		}
		return readAnyJson(bytes, start, length, payloadStandIn, shared);
	}

	/** Decode a record with the JSON parser, whatever its layout; for tests, and for what the fast path leaves. */
	Object readAnyJson(byte[] line, int length, String payloadStandIn,
			java.util.function.UnaryOperator<String> shared) {
		return readAnyJson(line, 0, length, payloadStandIn, shared);
	}

	private Object readAnyJson(byte[] bytes, int start, int length, String payloadStandIn,
			java.util.function.UnaryOperator<String> shared) {
		try (JsonParser parser = this.json.createParser(ObjectReadContext.empty(), bytes, start + 9, length - 9)) {
			expect(parser.nextToken(), JsonToken.START_OBJECT);
			String type = null;
			Object result = null;
			String name;
			while ((name = parser.nextName()) != null) {
				JsonToken value = parser.nextToken();
				switch (name) {
					case "type" -> type = parser.getString();
					case "id" -> result = parser.getString();
					case "op" -> {
						expect(value, JsonToken.START_OBJECT);
						result = readOperation(parser, payloadStandIn, shared);
					}
					default -> parser.skipChildren();
				}
			}
			if ("put".equals(type) && result instanceof Operation || "del".equals(type) && result instanceof String) {
				return result;
			}
			throw new IllegalArgumentException("unknown or incomplete record of type '" + type + "'");
		}
		catch (JacksonException | IllegalArgumentException | NullPointerException
				| java.time.format.DateTimeParseException ex) {
			throw new IllegalArgumentException("intact checksum but unreadable record: " + ex.getMessage(), ex);
		}
	}

	/**
	 * Read a record in the exact layout {@link #put} and {@link #delete} write, without a JSON parser: field by field,
	 * it is a scan, several times faster, and opening a large journal reads millions. Whatever else a line holds
	 * (headers, another order of fields, text the codec would not write such as a bad escape or malformed UTF-8)
	 * makes it return {@literal null}, and the JSON parser reads the line instead.
	 */
	static Object readCanonical(byte[] line, int length, String payloadStandIn,
			java.util.function.UnaryOperator<String> shared) {
		return readCanonical(new Scan().reset(line, 9, length), payloadStandIn, shared);
	}

	private static Object readCanonical(Scan in, String payloadStandIn,
			java.util.function.UnaryOperator<String> shared) {
		if (in.field(DEL_ID, Scan.TEXT) == Scan.READ) {
			String id = in.text();
			return (in.field(DEL_END, Scan.NOTHING) == Scan.READ && in.atEnd()) ? id : null;
		}
		if (in.field(PUT_ID, Scan.TEXT) != Scan.READ) {
			return null;
		}
		String id = in.text();
		if (in.field(STATUS, Scan.STATUS_NAME) != Scan.READ) {
			return null;
		}
		OperationStatus status = in.status();
		if (in.field(ATTEMPT, Scan.NUMBER) != Scan.READ) {
			return null;
		}
		int attempt = in.number();
		if (in.field(KIND, Scan.TEXT) != Scan.READ) {
			return null;
		}
		String kind = in.text();
		if (in.field(TARGET, Scan.TEXT) != Scan.READ) {
			return null;
		}
		String target = in.text();
		if (in.field(PAYLOAD, (payloadStandIn != null) ? Scan.PASSED_TEXT : Scan.TEXT) != Scan.READ) {
			return null;
		}
		String payload = (payloadStandIn != null) ? payloadStandIn : in.text();
		Operation.Builder builder = Operation.builder()
			.id(id)
			.status(status)
			.attempt(attempt)
			.kind(shared.apply(kind))
			.target(shared.apply(target))
			.payload(payload);
		String[] optional = new String[OPTIONAL_TEXTS.length];
		for (int i = 0; i < OPTIONAL_TEXTS.length; i++) {
			if (in.field(OPTIONAL_TEXTS[i], Scan.TEXT) == Scan.INVALID) {
				return null;
			}
			// Null when the field is absent: no branch here on whether it is, which would differ between records.
			optional[i] = in.text();
		}
		builder.idempotencyKey(optional[0]).orderingKey(optional[1]).lastError(optional[2]).claimToken(optional[3]);
		Instant[] instants = new Instant[INSTANTS.length];
		for (int i = 0; i < INSTANTS.length; i++) {
			if (in.field(INSTANTS[i], Scan.INSTANT) != Scan.READ) {
				return null;
			}
			instants[i] = in.instant();
		}
		if (in.field(PUT_END, Scan.NOTHING) != Scan.READ || !in.atEnd()) {
			return null;
		}
		return builder.nextAttemptAt(instants[0]).createdAt(instants[1]).updatedAt(instants[2]).build();
	}

	/** Equal instants share one object, as they did before they were written. */
	private static Operation.Builder instants(Operation.Builder builder, String createdText, String nextText,
			String updatedText) {
		Instant created = parseInstant(createdText);
		return builder.createdAt(created)
			.nextAttemptAt(createdText.equals(nextText) ? created : parseInstant(nextText))
			.updatedAt(createdText.equals(updatedText) ? created : parseInstant(updatedText));
	}

	/**
	 * A cursor over the JSON of a record, for {@link #readCanonical}; it may be {@link #reset} to read another line.
	 * Not thread-safe.
	 */
	static final class Scan {

		/** What {@link #field} reads after a field's name: nothing. */
		static final int NOTHING = 0;

		/** A quoted string, then available as {@link #text()}. */
		static final int TEXT = 1;

		/** A quoted string, checked as {@link #TEXT} and passed over. */
		static final int PASSED_TEXT = 2;

		/** A non-negative decimal number as JSON writes it, then available as {@link #number()}. */
		static final int NUMBER = 3;

		/**
		 * An instant's text up to a quote, which is left unread, then available as {@link #instant()}: the same
		 * object as the instant this scan read last, in this line or an earlier one, if their texts are equal.
		 */
		static final int INSTANT = 4;

		/** The name of an {@link OperationStatus} in quotes, then available as {@link #status()}. */
		static final int STATUS_NAME = 5;

		/** What {@link #field} returns: the name is not next, and nothing was read. */
		static final int ABSENT = 0;

		/** The name and a value of the kind asked for were read. */
		static final int READ = 1;

		/** The name was read, but what follows it is not a value of the kind, or only the JSON parser can read it. */
		static final int INVALID = 2;

		private byte[] line;

		private int end;

		private int position;

		private String text;

		private int number;

		private OperationStatus status;

		private Instant instant;

		/** Where the text of {@link #instant} is, which may be a line read before. */
		private byte[] instantLine;

		private int instantStart;

		private int instantEnd;

		/** Read {@code line[start, end)} next. */
		Scan reset(byte[] line, int start, int end) {
			this.line = line;
			this.position = start;
			this.end = end;
			return this;
		}

		/**
		 * Read a field's name (the bytes given) and a value of the kind given after it. Every field of a record is
		 * read by this one method, whose bytecode (over 500 bytes) is larger than HotSpot's C2 compiler inlines
		 * into a caller (325 bytes by default): it is compiled on its own, in about 0.1 s. Read by small methods,
		 * which the compiler copied into each of the fifteen places a record reads a field, compiling
		 * {@link #readCanonical} took 0.5 to 0.8 s, twice on each first open of a large journal in a JVM, while the
		 * decoding ran slower code. Split into smaller methods, this would be inlined again.
		 * @param kind {@link #NOTHING}, {@link #TEXT}, {@link #PASSED_TEXT}, {@link #NUMBER}, {@link #INSTANT}
		 * or {@link #STATUS_NAME}
		 * @return {@link #ABSENT} (and {@link #text()} is null), {@link #READ} or {@link #INVALID}
		 */
		int field(byte[] name, int kind) {
			this.text = null;
			if (this.end - this.position < name.length) {
				return ABSENT;
			}
			int compared = 0;
			// Eight bytes at a time: the names are most of what is compared in a record.
			for (; compared + 8 <= name.length; compared += 8) {
				if ((long) LONGS.get(this.line, this.position + compared) != (long) LONGS.get(name, compared)) {
					return ABSENT;
				}
			}
			for (; compared < name.length; compared++) {
				if (this.line[this.position + compared] != name[compared]) {
					return ABSENT;
				}
			}
			int at = this.position + name.length;
			this.position = at;
			if (kind == NOTHING) {
				return READ;
			}
			if (kind == NUMBER) {
				long value = 0;
				int i = at;
				while (i < this.end && i - at <= 10 && this.line[i] >= '0' && this.line[i] <= '9') {
					value = value * 10 + (this.line[i++] - '0');
				}
				int digits = i - at;
				if (digits == 0 || digits > 10 || (digits > 1 && this.line[at] == '0') || value > Integer.MAX_VALUE) {
					return INVALID;
				}
				this.number = (int) value;
				this.position = i;
				return READ;
			}
			if (kind == STATUS_NAME) {
				for (OperationStatus candidate : STATUSES) {
					byte[] quoted = QUOTED_STATUSES[candidate.ordinal()];
					if (Arrays.equals(this.line, at, Math.min(at + quoted.length, this.end), quoted, 0, quoted.length)) {
						this.status = candidate;
						this.position = at + quoted.length;
						return READ;
					}
				}
				return INVALID;
			}
			if (kind == INSTANT) {
				int quote = nextSpecial(this.line, at, this.end);
				if (quote == this.end || this.line[quote] != '"') {
					return INVALID;
				}
				// Equal instants share one object, as they did before they were written: the instants of a record
				// are written next to the time it was created, records enqueued together were created at the same
				// time, and the same time is the same text.
				if (this.instant == null
						|| !Arrays.equals(this.line, at, quote, this.instantLine, this.instantStart, this.instantEnd)) {
					this.instant = parseInstant(this.line, at, quote);
				}
				this.instantLine = this.line;
				this.instantStart = at;
				this.instantEnd = quote;
				this.position = quote;
				return READ;
			}
			// A quoted string: checked up to its closing quote, escapes and UTF-8 included.
			if (at >= this.end || this.line[at] != '"') {
				return INVALID;
			}
			int firstSpecial = -1;
			int i = at + 1;
			while ((i = nextSpecial(this.line, i, this.end)) < this.end) {
				byte b = this.line[i];
				if (b == '"') {
					this.position = i + 1;
					if (kind == TEXT) {
						this.text = (firstSpecial < 0)
								? new String(this.line, at + 1, i - at - 1, StandardCharsets.ISO_8859_1)
								: decodedText(at + 1, firstSpecial, i);
					}
					return READ;
				}
				if (firstSpecial < 0) {
					firstSpecial = i;
				}
				if (b == '\\') {
					if (i + 1 >= this.end || unescape(i + 1) < 0) {
						return INVALID;
					}
					i += (this.line[i + 1] == 'u') ? 6 : 2;
				}
				else if (b < 0) {
					int length = utf8Length(i);
					if (length < 0) {
						return INVALID;
					}
					i += length;
				}
				else {
					// A control character, which JSON only allows escaped.
					return INVALID;
				}
			}
			return INVALID;
		}

		boolean atEnd() {
			return this.position == this.end;
		}

		/** @return the string the last {@link #TEXT} field held */
		String text() {
			return this.text;
		}

		/** @return the status the last {@link #STATUS_NAME} field held */
		OperationStatus status() {
			return this.status;
		}

		/** @return the number the last {@link #NUMBER} field held */
		int number() {
			return this.number;
		}

		/** @return the instant the last {@link #INSTANT} field held */
		Instant instant() {
			return this.instant;
		}

		/**
		 * @return the index of the first byte in {@code line[from, to)} that is not printable ASCII (a control
		 * character or part of non-ASCII text) or that is a quote or a backslash, or {@code to}
		 */
		private static int nextSpecial(byte[] line, int from, int to) {
			int i = from;
			// Eight bytes at a time: most of a record is the plain text of its payload.
			for (; i + 8 <= to; i += 8) {
				long word = (long) LONGS.get(line, i);
				// Each test flags its lowest match exactly; higher flags may be borrows, which do not matter.
				long flags = (((word - 0x2020202020202020L) | zeroBytes(word ^ 0x2222222222222222L)
						| zeroBytes(word ^ 0x5C5C5C5C5C5C5C5CL)) & ~word | word) & 0x8080808080808080L;
				if (flags != 0) {
					return i + (Long.numberOfTrailingZeros(flags) >>> 3);
				}
			}
			for (; i < to; i++) {
				byte b = line[i];
				// Below 0x20 as a signed byte: control characters and every byte of non-ASCII text.
				if (b < 0x20 || b == '"' || b == '\\') {
					return i;
				}
			}
			return to;
		}

		/**
		 * Decode a string that {@link #field} has checked: its text in {@code line[from, quote)} has escapes or
		 * non-ASCII text (a JSON payload has escaped quotes), decoded here so that reading a payload back does not
		 * take the JSON parser.
		 * @param first the first byte from {@code from} on that is not printable ASCII or is a backslash
		 */
		private String decodedText(int from, int first, int quote) {
			// No char takes less than a byte (an escape two or six, a UTF-8 sequence at least one a char).
			char[] text = new char[quote - from];
			int length = 0;
			for (; length < first - from; length++) {
				text[length] = (char) this.line[from + length];
			}
			int i = first;
			while (i < quote) {
				int b = this.line[i];
				if (b == '\\') {
					text[length++] = (char) unescape(i + 1);
					i += (this.line[i + 1] == 'u') ? 6 : 2;
				}
				else if (b < 0) {
					int sequence = utf8Length(i);
					length = decodeUtf8(i, sequence, text, length);
					i += sequence;
				}
				else {
					text[length++] = (char) b;
					i++;
				}
			}
			return new String(text, 0, length);
		}

		/** Decode the well-formed UTF-8 sequence at {@code at} into {@code text} at {@code length}. */
		private int decodeUtf8(int at, int sequence, char[] text, int length) {
			int lead = this.line[at];
			if (sequence == 2) {
				text[length] = (char) (((lead & 0x1F) << 6) | (this.line[at + 1] & 0x3F));
				return length + 1;
			}
			if (sequence == 3) {
				text[length] = (char) (((lead & 0x0F) << 12) | ((this.line[at + 1] & 0x3F) << 6)
						| (this.line[at + 2] & 0x3F));
				return length + 1;
			}
			int codePoint = ((lead & 0x07) << 18) | ((this.line[at + 1] & 0x3F) << 12)
					| ((this.line[at + 2] & 0x3F) << 6) | (this.line[at + 3] & 0x3F);
			text[length] = Character.highSurrogate(codePoint);
			text[length + 1] = Character.lowSurrogate(codePoint);
			return length + 2;
		}

		/** @return the char of the escape whose letter is at {@code at}, or -1 if it is not a JSON escape */
		private int unescape(int at) {
			switch (this.line[at]) {
				case '"', '\\', '/' -> {
					return this.line[at];
				}
				case 'b' -> {
					return '\b';
				}
				case 'f' -> {
					return '\f';
				}
				case 'n' -> {
					return '\n';
				}
				case 'r' -> {
					return '\r';
				}
				case 't' -> {
					return '\t';
				}
				case 'u' -> {
					if (at + 4 >= this.end) {
						return -1;
					}
					int value = 0;
					for (int h = 1; h <= 4; h++) {
						int digit = Character.digit(this.line[at + h], 16);
						if (digit < 0) {
							return -1;
						}
						value = (value << 4) | digit;
					}
					return value;
				}
				default -> {
					return -1;
				}
			}
		}

		/**
		 * @return the length of the well-formed UTF-8 sequence that begins at {@code at} (no overlong forms, no
		 * surrogates, nothing above U+10FFFF), or -1
		 */
		private int utf8Length(int at) {
			int lead = this.line[at] & 0xFF;
			int length;
			int secondMin = 0x80;
			int secondMax = 0xBF;
			if (lead >= 0xC2 && lead <= 0xDF) {
				length = 2;
			}
			else if (lead >= 0xE0 && lead <= 0xEF) {
				length = 3;
				secondMin = (lead == 0xE0) ? 0xA0 : 0x80;
				secondMax = (lead == 0xED) ? 0x9F : 0xBF;
			}
			else if (lead >= 0xF0 && lead <= 0xF4) {
				length = 4;
				secondMin = (lead == 0xF0) ? 0x90 : 0x80;
				secondMax = (lead == 0xF4) ? 0x8F : 0xBF;
			}
			else {
				return -1;
			}
			if (at + length > this.end) {
				return -1;
			}
			int second = this.line[at + 1] & 0xFF;
			if (second < secondMin || second > secondMax) {
				return -1;
			}
			for (int i = 2; i < length; i++) {
				if ((this.line[at + i] & 0xC0) != 0x80) {
					return -1;
				}
			}
			return length;
		}

	}

	private static Operation readOperation(JsonParser parser, String payloadStandIn,
			java.util.function.UnaryOperator<String> shared) {
		Operation.Builder builder = Operation.builder();
		Map<String, String> headers = null;
		String name;
		String createdText = null;
		String nextText = null;
		String updatedText = null;
		while ((name = parser.nextName()) != null) {
			JsonToken value = parser.nextToken();
			switch (name) {
				case "id" -> builder.id(parser.getString());
				case "status" -> builder.status(OperationStatus.valueOf(parser.getString()));
				case "attempt" -> {
					expect(value, JsonToken.VALUE_NUMBER_INT);
					builder.attempt(parser.getIntValue());
				}
				case "kind" -> builder.kind(shared.apply(parser.getString()));
				case "target" -> builder.target(shared.apply(parser.getString()));
				case "payload" -> {
					expect(value, JsonToken.VALUE_STRING);
					builder.payload((payloadStandIn != null) ? payloadStandIn : parser.getString());
				}
				case "headers" -> {
					expect(value, JsonToken.START_OBJECT);
					headers = new LinkedHashMap<>();
					String header;
					while ((header = parser.nextName()) != null) {
						parser.nextToken();
						headers.put(header, parser.getString());
					}
				}
				case "idempotencyKey" -> builder.idempotencyKey(parser.getString());
				case "orderingKey" -> builder.orderingKey(parser.getString());
				case "lastError" -> builder.lastError(parser.getString());
				case "claimToken" -> builder.claimToken(parser.getString());
				case "nextAttemptAt" -> nextText = parser.getString();
				case "createdAt" -> createdText = parser.getString();
				case "updatedAt" -> updatedText = parser.getString();
				default -> parser.skipChildren();
			}
		}
		instants(builder, createdText, nextText, updatedText);
		if (headers != null) {
			builder.headers(headers);
		}
		return builder.build();
	}

	/**
	 * Parse an instant as {@link Instant#toString()} writes it in this era ({@code 2026-01-31T12:34:56.123456Z}),
	 * several times faster than {@link Instant#parse}, which opening a large journal calls millions of times; any
	 * other form goes to {@link Instant#parse}.
	 */
	static Instant parseInstant(String text) {
		byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
		Instant instant = instantInUtc(bytes, 0, bytes.length);
		return (instant != null) ? instant : Instant.parse(text);
	}

	/** {@link #parseInstant(String)} of the text in {@code text[from, to)}, ASCII. */
	static Instant parseInstant(byte[] text, int from, int to) {
		Instant instant = instantInUtc(text, from, to);
		return (instant != null) ? instant
				: Instant.parse(new String(text, from, to - from, StandardCharsets.ISO_8859_1));
	}

	/**
	 * @return the instant in {@code text[from, to)} if it is in the form {@link Instant#toString()} writes for the
	 * years 0000 to 9999, otherwise {@literal null}
	 */
	private static Instant instantInUtc(byte[] text, int from, int to) {
		int length = to - from;
		if (length < 20 || length > 30 || text[from + 4] != '-' || text[from + 7] != '-' || text[from + 10] != 'T'
				|| text[from + 13] != ':' || text[from + 16] != ':' || text[to - 1] != 'Z'
				|| (length > 20 && (text[from + 19] != '.' || length == 21))) {
			return null;
		}
		int year = digits(text, from, from + 4);
		int month = digits(text, from + 5, from + 7);
		int day = digits(text, from + 8, from + 10);
		int hour = digits(text, from + 11, from + 13);
		int minute = digits(text, from + 14, from + 16);
		int second = digits(text, from + 17, from + 19);
		int fraction = (length > 20) ? digits(text, from + 20, to - 1) : 0;
		if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0
				|| minute > 59 || second < 0 || second > 59 || fraction < 0) {
			return null;
		}
		long epochDay;
		try {
			epochDay = java.time.LocalDate.of(year, month, day).toEpochDay();
		}
		catch (java.time.DateTimeException ex) {
			return null;
		}
		int nanos = fraction;
		for (int i = length - 1 - 20; i < 9; i++) {
			nanos *= 10;
		}
		return Instant.ofEpochSecond(epochDay * 86_400 + hour * 3_600L + minute * 60L + second, nanos);
	}

	/** @return the decimal number in {@code text[from, to)}, or -1 if a character is not a digit */
	private static int digits(byte[] text, int from, int to) {
		int value = 0;
		for (int i = from; i < to; i++) {
			int digit = text[i] - '0';
			if (digit < 0 || digit > 9) {
				return -1;
			}
			value = value * 10 + digit;
		}
		return value;
	}

	private static void expect(JsonToken actual, JsonToken expected) {
		if (actual != expected) {
			throw new IllegalArgumentException("expected " + expected + " but found " + actual);
		}
	}

	/**
	 * A growable byte buffer that records are encoded into, line by line, each with its checksum.
	 */
	static final class Buffer {

		private byte[] bytes;

		private int length;

		private final CRC32C crc = new CRC32C();

		Buffer(int capacity) {
			this.bytes = new byte[Math.max(64, capacity)];
		}

		int length() {
			return this.length;
		}

		ByteBuffer asByteBuffer() {
			return ByteBuffer.wrap(this.bytes, 0, this.length);
		}

		/** @param data bytes to add after the ones held; its position is left unchanged */
		void append(ByteBuffer data) {
			int more = data.remaining();
			ensure(more);
			data.duplicate().get(this.bytes, this.length, more);
			this.length += more;
		}

		/** @return the array holding the bytes, valid until the next change */
		byte[] array() {
			return this.bytes;
		}

		void clear() {
			this.length = 0;
		}

		int beginLine() {
			int start = this.length;
			ensure(9);
			this.length += 9;
			return start;
		}

		void endLine(int start) {
			this.crc.reset();
			this.crc.update(this.bytes, start + 9, this.length - start - 9);
			long value = this.crc.getValue();
			for (int i = 0; i < 8; i++) {
				this.bytes[start + i] = HEX[(int) ((value >>> (28 - 4 * i)) & 0xF)];
			}
			this.bytes[start + 8] = ' ';
			ensure(1);
			this.bytes[this.length++] = '\n';
		}

		/** Append bytes known to be a fixed part of a record. */
		Buffer literal(byte[] literal) {
			ensure(literal.length);
			System.arraycopy(literal, 0, this.bytes, this.length, literal.length);
			this.length += literal.length;
			return this;
		}

		Buffer character(char c) {
			ensure(1);
			return ascii(c);
		}

		/** Append text known to need no escaping and to be ASCII. */
		Buffer ascii(String text) {
			int n = text.length();
			ensure(n);
			for (int i = 0; i < n; i++) {
				this.bytes[this.length++] = (byte) text.charAt(i);
			}
			return this;
		}

		/**
		 * Append an instant as {@link Instant#toString()} writes it, without going through
		 * {@code DateTimeFormatter}: every record carries three.
		 */
		Buffer instant(Instant instant) {
			long days = Math.floorDiv(instant.getEpochSecond(), 86_400);
			if (days < FIRST_FAST_DAY || days > LAST_FAST_DAY) {
				return ascii(instant.toString());
			}
			int secondOfDay = Math.floorMod(instant.getEpochSecond(), 86_400);
			java.time.LocalDate date = java.time.LocalDate.ofEpochDay(days);
			ensure(30);
			digits(date.getYear(), 4).ascii('-').digits(date.getMonthValue(), 2).ascii('-');
			digits(date.getDayOfMonth(), 2).ascii('T').digits(secondOfDay / 3_600, 2).ascii(':');
			digits(secondOfDay / 60 % 60, 2).ascii(':').digits(secondOfDay % 60, 2);
			int nanos = instant.getNano();
			if (nanos != 0) {
				ascii('.');
				if (nanos % 1_000_000 == 0) {
					digits(nanos / 1_000_000, 3);
				}
				else if (nanos % 1_000 == 0) {
					digits(nanos / 1_000, 6);
				}
				else {
					digits(nanos, 9);
				}
			}
			return ascii('Z');
		}

		/** Append a copy of bytes already in this buffer. */
		void copy(int from, int to) {
			ensure(to - from);
			System.arraycopy(this.bytes, from, this.bytes, this.length, to - from);
			this.length += to - from;
		}

		/** Append a non-negative number in decimal. */
		Buffer number(int value) {
			int width = 1;
			for (int rest = value / 10; rest > 0; rest /= 10) {
				width++;
			}
			ensure(width);
			return digits(value, width);
		}

		private Buffer ascii(char c) {
			this.bytes[this.length++] = (byte) c;
			return this;
		}

		/** Write a non-negative number with exactly {@code width} digits; room must have been ensured. */
		private Buffer digits(int value, int width) {
			for (int i = this.length + width - 1; i >= this.length; i--) {
				this.bytes[i] = (byte) ('0' + value % 10);
				value /= 10;
			}
			this.length += width;
			return this;
		}

		/**
		 * Append a JSON string literal in UTF-8. Most text is ASCII: {@link String#getBytes} encodes it in one
		 * intrinsic copy, and the runs between characters that need an escape are found eight bytes at a time.
		 */
		Buffer string(String text) {
			byte[] encoded = text.getBytes(StandardCharsets.UTF_8);
			int n = encoded.length;
			if (n != text.length()) {
				return nonAsciiString(text);
			}
			// Every character took one byte, so byte and char indexes agree; a lone surrogate came out as '?'.
			ensure(n + 2);
			this.bytes[this.length++] = '"';
			int from = 0;
			while (true) {
				int special = nextSpecial(encoded, from, n);
				int run = special - from;
				// The run, one escape of at most six bytes, the closing quote.
				ensure(run + 7);
				System.arraycopy(encoded, from, this.bytes, this.length, run);
				this.length += run;
				if (special == n) {
					break;
				}
				char c = text.charAt(special);
				if (c == '?') {
					this.bytes[this.length++] = '?';
				}
				else if (Character.isSurrogate(c)) {
					unicodeEscape(c);
				}
				else {
					escape(c);
				}
				from = special + 1;
			}
			this.bytes[this.length++] = '"';
			return this;
		}

		/**
		 * @return the index of the first byte in {@code ascii[from, to)} that is a control character, a quote, a
		 * backslash or a question mark (which may stand for a lone surrogate), or {@code to}
		 */
		private static int nextSpecial(byte[] ascii, int from, int to) {
			int i = from;
			for (; i + 8 <= to; i += 8) {
				long word = (long) LONGS.get(ascii, i);
				// Bytes are below 0x80 here, so each test flags its lowest match exactly (higher flags may be
				// borrows, which do not matter: the lowest flag is the answer).
				long flags = ((word - 0x2020202020202020L) | zeroBytes(word ^ 0x2222222222222222L)
						| zeroBytes(word ^ 0x5C5C5C5C5C5C5C5CL) | zeroBytes(word ^ 0x3F3F3F3F3F3F3F3FL)) & ~word
						& 0x8080808080808080L;
				if (flags != 0) {
					return i + (Long.numberOfTrailingZeros(flags) >>> 3);
				}
			}
			for (; i < to; i++) {
				byte b = ascii[i];
				if (b < 0x20 || b == '"' || b == '\\' || b == '?') {
					return i;
				}
			}
			return to;
		}

		/** The general case: any text, encoded character by character. */
		private Buffer nonAsciiString(String text) {
			int n = text.length();
			// Worst case: every char a six-byte escape.
			ensure(n * 6 + 2);
			byte[] b = this.bytes;
			int pos = this.length;
			b[pos++] = '"';
			for (int i = 0; i < n; i++) {
				char c = text.charAt(i);
				if (c < 0x80) {
					if (c >= 0x20 && c != '"' && c != '\\') {
						b[pos++] = (byte) c;
						continue;
					}
					this.length = pos;
					escape(c);
					b = this.bytes;
					pos = this.length;
				}
				else if (c < 0x800) {
					b[pos++] = (byte) (0xC0 | (c >> 6));
					b[pos++] = (byte) (0x80 | (c & 0x3F));
				}
				else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
					int cp = Character.toCodePoint(c, text.charAt(++i));
					b[pos++] = (byte) (0xF0 | (cp >> 18));
					b[pos++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
					b[pos++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
					b[pos++] = (byte) (0x80 | (cp & 0x3F));
				}
				else if (Character.isSurrogate(c)) {
					// No UTF-8 form: keep it exact as a JSON escape.
					this.length = pos;
					unicodeEscape(c);
					b = this.bytes;
					pos = this.length;
				}
				else {
					b[pos++] = (byte) (0xE0 | (c >> 12));
					b[pos++] = (byte) (0x80 | ((c >> 6) & 0x3F));
					b[pos++] = (byte) (0x80 | (c & 0x3F));
				}
			}
			b[pos++] = '"';
			this.length = pos;
			return this;
		}

		private void escape(char c) {
			switch (c) {
				case '"' -> ascii("\\\"");
				case '\\' -> ascii("\\\\");
				case '\n' -> ascii("\\n");
				case '\r' -> ascii("\\r");
				case '\t' -> ascii("\\t");
				default -> unicodeEscape(c);
			}
		}

		private void unicodeEscape(char c) {
			ensure(6);
			this.bytes[this.length++] = '\\';
			this.bytes[this.length++] = 'u';
			for (int shift = 12; shift >= 0; shift -= 4) {
				this.bytes[this.length++] = HEX[(c >> shift) & 0xF];
			}
		}

		private void ensure(int more) {
			if (this.length + more > this.bytes.length) {
				this.bytes = Arrays.copyOf(this.bytes, Math.max(this.bytes.length * 2, this.length + more));
			}
		}

	}

}
