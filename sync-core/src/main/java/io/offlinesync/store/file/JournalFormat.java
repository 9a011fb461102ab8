package io.offlinesync.store.file;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32C;

import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.util.JsonRecyclerPools;

import io.offlinesync.NewOperation;
import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;

/**
 * Writes and reads the lines of the journal; the grammar is in the {@linkplain io.offlinesync.store.file package
 * documentation}. Records are written by hand into a {@link RecordBuffer} (the hot path of every change) and read
 * with Jackson's streaming parser, whatever the order of their fields. Thread-safe.
 */
final class JournalFormat {

	static final String FORMAT_NAME = "offline-sync-journal";

	/** The version this store writes. Version 1 journals have {@code put} and {@code del} records only. */
	static final int VERSION = 2;

	/** The oldest version this store reads. */
	static final int OLDEST_READABLE = 1;

	private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

	private static final OperationStatus[] STATUSES = OperationStatus.values();

	private static final byte[] PUT = bytes("{\"type\":\"put\",\"op\":{\"id\":");

	private static final byte[] STATE = bytes("{\"type\":\"state\",\"id\":");

	private static final byte[] DELETE = bytes("{\"type\":\"del\",\"id\":");

	// Room for what enqueue accepts (NewOperation's limits), and far more: a record the store wrote is never refused.
	private final JsonFactory json = JsonFactory.builder()
		// A parser per line, millions on opening: buffers recycled per thread, not through a shared deque.
		.recyclerPool(JsonRecyclerPools.threadLocalPool())
		.streamReadConstraints(StreamReadConstraints.builder()
			.maxStringLength(4 * NewOperation.MAX_PAYLOAD_BYTES)
			.maxNameLength(4 * NewOperation.MAX_HEADER_NAME_LENGTH)
			.build())
		.build();

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.US_ASCII);
	}

	/** @return the header line, with its checksum in front and its line feed behind */
	static byte[] header() {
		RecordBuffer line = new RecordBuffer(64);
		int start = line.beginLine();
		line.ascii("{\"format\":\"" + FORMAT_NAME + "\",\"version\":" + VERSION + "}");
		line.endLine(start);
		return Arrays.copyOf(line.array(), line.length());
	}

	/**
	 * Read a header line: a checksummed one (version 2 on), or a bare one (version 1).
	 * @param line holds the line, from index 0
	 * @param length its length, without the line feed
	 * @return the format version it names
	 * @throws IllegalArgumentException if the line is no journal header, or a damaged one
	 */
	int readHeader(byte[] line, int length) {
		int json = 0;
		if (looksLikeRecordStart(line, 0, length)) {
			String damage = checksumDamage(line, 0, length);
			if (damage != null) {
				throw new IllegalArgumentException("its header line is damaged: " + damage);
			}
			json = 9;
		}
		String format = null;
		Integer version = null;
		try (JsonParser parser = this.json.createParser(ObjectReadContext.empty(), line, json, length - json)) {
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
			if (parser.nextToken() != null) {
				throw new IllegalArgumentException("its first line is not a journal header");
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

	/** Append a {@code put} record: the operation's whole state. */
	void put(Operation operation, RecordBuffer out) {
		int start = out.beginLine();
		out.literal(PUT).string(operation.id());
		status(operation, out);
		out.ascii(",\"kind\":").string(operation.kind());
		out.ascii(",\"target\":").string(operation.target());
		out.ascii(",\"payload\":").string(operation.payload());
		if (!operation.headers().isEmpty()) {
			out.ascii(",\"headers\":");
			object(operation.headers(), out);
		}
		if (!operation.idempotencyKey().equals(operation.id())) {
			out.ascii(",\"idempotencyKey\":").string(operation.idempotencyKey());
		}
		optional(out, ",\"orderingKey\":", operation.orderingKey());
		if (operation.priority() != NewOperation.DEFAULT_PRIORITY) {
			out.ascii(",\"priority\":").number(operation.priority());
		}
		if (operation.expiresAt() != null) {
			out.ascii(",\"expiresAt\":\"").instant(operation.expiresAt()).character('"');
		}
		if (!operation.traceContext().isEmpty()) {
			out.ascii(",\"trace\":");
			object(operation.traceContext(), out);
		}
		changing(operation, out);
		out.ascii(",\"createdAt\":\"").instant(operation.createdAt()).ascii("\"}}");
		out.endLine(start);
	}

	private static void object(Map<String, String> fields, RecordBuffer out) {
		out.character('{');
		boolean first = true;
		for (Map.Entry<String, String> field : fields.entrySet()) {
			if (!first) {
				out.character(',');
			}
			first = false;
			out.string(field.getKey()).character(':').string(field.getValue());
		}
		out.character('}');
	}

	/** Append a {@code state} record: what a transition changed, without the payload. */
	void stateChange(Operation changed, RecordBuffer out) {
		int start = out.beginLine();
		out.literal(STATE).string(changed.id());
		status(changed, out);
		changing(changed, out);
		out.character('}');
		out.endLine(start);
	}

	/** Append a {@code del} record. */
	void delete(String id, RecordBuffer out) {
		int start = out.beginLine();
		out.literal(DELETE).string(id).character('}');
		out.endLine(start);
	}

	private static void status(Operation operation, RecordBuffer out) {
		out.ascii(",\"status\":\"").ascii(operation.status().name()).ascii("\",\"attempt\":").number(operation.attempt());
	}

	/** The fields a transition changes, but for the status and the attempts. */
	private static void changing(Operation operation, RecordBuffer out) {
		optional(out, ",\"lastError\":", operation.lastError());
		optional(out, ",\"claimToken\":", operation.claimToken());
		out.ascii(",\"nextAttemptAt\":\"").instant(operation.nextAttemptAt());
		out.ascii("\",\"updatedAt\":\"").instant(operation.updatedAt()).character('"');
	}

	private static void optional(RecordBuffer out, String name, @Nullable String value) {
		if (value != null) {
			out.ascii(name).string(value);
		}
	}

	/**
	 * Read one line (without its line feed).
	 * @param bytes holds the line
	 * @param start where it begins
	 * @param length its length
	 * @param payloadStandIn what to put in place of a payload, not to read it (opening keeps payloads on disk), or
	 * {@literal null} to read it
	 * @param shared maps a kind or target read to an equal instance many operations share
	 * @param instants reads the instants, sharing equal ones with those of the records read before
	 * @return the record, or {@link JournalRecord.Damaged} saying why the line cannot be one
	 */
	JournalRecord read(byte[] bytes, int start, int length, @Nullable String payloadStandIn, UnaryOperator<String> shared,
			Instants instants) {
		String damage = checksumDamage(bytes, start, length);
		if (damage != null) {
			return new JournalRecord.Damaged(damage);
		}
		try (JsonParser parser = this.json.createParser(ObjectReadContext.empty(), bytes, start + 9, length - 9)) {
			return new Fields(parser, payloadStandIn, shared, instants).read();
		}
		catch (JacksonException | IllegalArgumentException | DateTimeParseException ex) {
			return new JournalRecord.Damaged("intact checksum but unreadable record: " + ex.getMessage());
		}
	}

	/** Read a line whose payload is wanted. */
	JournalRecord read(byte[] bytes, int start, int length) {
		return read(bytes, start, length, null, UnaryOperator.identity(), new Instants());
	}

	/** @return what is wrong with a line's frame or checksum, or {@literal null} if it holds */
	private static @Nullable String checksumDamage(byte[] bytes, int start, int length) {
		if (length < 11 || bytes[start + 8] != ' ') {
			return "not a record line (" + length + " bytes)";
		}
		long expected = 0;
		for (int i = start; i < start + 8; i++) {
			int digit = Character.digit(bytes[i], 16);
			if (digit < 0) {
				return "checksum field is not hexadecimal";
			}
			expected = (expected << 4) | digit;
		}
		CRC32C crc = new CRC32C();
		crc.update(bytes, start + 9, length - 9);
		if (crc.getValue() != expected) {
			return "checksum mismatch (stored " + Long.toHexString(expected) + ", computed "
					+ Long.toHexString(crc.getValue()) + ")";
		}
		return null;
	}

	/**
	 * Whether a record could begin at {@code at}: eight hexadecimal digits, a space, an opening brace. Recovery looks
	 * for the next record there when a line's checksum fails, since a damaged line feed merges two lines.
	 */
	static boolean looksLikeRecordStart(byte[] bytes, int at, int end) {
		if (at + 10 > end || bytes[at + 8] != ' ' || bytes[at + 9] != '{') {
			return false;
		}
		for (int i = at; i < at + 8; i++) {
			byte b = bytes[i];
			if (!((b >= '0' && b <= '9') || (b >= 'a' && b <= 'f'))) {
				return false;
			}
		}
		return true;
	}

	/** @return the index of the first line feed in {@code bytes[from, to)}, or {@code to} */
	static int lineEnd(byte[] bytes, int from, int to) {
		int i = from;
		// Eight bytes at a time: opening a store looks for the ends of millions of lines of a few hundred bytes.
		for (; i + 8 <= to; i += 8) {
			long differences = (long) LONGS.get(bytes, i) ^ 0x0A0A0A0A0A0A0A0AL;
			long flags = (differences - 0x0101010101010101L) & ~differences & 0x8080808080808080L;
			if (flags != 0) {
				return i + (Long.numberOfTrailingZeros(flags) >>> 3);
			}
		}
		while (i < to && bytes[i] != '\n') {
			i++;
		}
		return i;
	}

	/** The fields of one record as the parser meets them, in any order; what they make is decided at the end. */
	private static final class Fields {

		private final JsonParser parser;

		private final @Nullable String payloadStandIn;

		private final UnaryOperator<String> shared;

		private final Operation.Builder operation = Operation.builder();

		private final Instants instants;

		private @Nullable String type;

		private @Nullable String id;

		private boolean hasOperation;

		private @Nullable OperationStatus status;

		private int attempt = -1;

		private @Nullable String lastError;

		private @Nullable String claimToken;

		private @Nullable Instant nextAttemptAt;

		private @Nullable Instant updatedAt;

		Fields(JsonParser parser, @Nullable String payloadStandIn, UnaryOperator<String> shared, Instants instants) {
			this.parser = parser;
			this.instants = instants;
			this.payloadStandIn = payloadStandIn;
			this.shared = shared;
		}

		JournalRecord read() {
			expect(this.parser.nextToken(), JsonToken.START_OBJECT);
			String name;
			while ((name = this.parser.nextName()) != null) {
				JsonToken value = this.parser.nextToken();
				switch (name) {
					case "type" -> this.type = text(value);
					case "id" -> this.id = text(value);
					case "op" -> {
						expect(value, JsonToken.START_OBJECT);
						readOperation();
					}
					case "status" -> this.status = status(value);
					case "attempt" -> this.attempt = number(value);
					case "lastError" -> this.lastError = optionalText(value);
					case "claimToken" -> this.claimToken = optionalText(value);
					case "nextAttemptAt" -> this.nextAttemptAt = instant(value);
					case "updatedAt" -> this.updatedAt = instant(value);
					default -> this.parser.skipChildren();
				}
			}
			if (this.parser.nextToken() != null) {
				throw new IllegalArgumentException("text after the record");
			}
			if ("put".equals(this.type) && this.hasOperation) {
				return new JournalRecord.Put(this.operation.build());
			}
			if ("state".equals(this.type) && this.id != null && this.status != null && this.attempt >= 0
					&& this.nextAttemptAt != null && this.updatedAt != null) {
				return new JournalRecord.StateChange(this.id, this.status, this.attempt, this.lastError,
						this.claimToken, this.nextAttemptAt, this.updatedAt);
			}
			if ("del".equals(this.type) && this.id != null) {
				return new JournalRecord.Delete(this.id);
			}
			throw new IllegalArgumentException("unknown or incomplete record of type '" + this.type + "'");
		}

		private void readOperation() {
			this.hasOperation = true;
			Operation.Builder op = this.operation;
			String name;
			while ((name = this.parser.nextName()) != null) {
				JsonToken value = this.parser.nextToken();
				switch (name) {
					case "id" -> op.id(text(value));
					case "status" -> op.status(status(value));
					case "attempt" -> op.attempt(number(value));
					case "kind" -> op.kind(this.shared.apply(text(value)));
					case "target" -> op.target(this.shared.apply(text(value)));
					case "payload" -> {
						expect(value, JsonToken.VALUE_STRING);
						// Left unread, the string is passed over without being decoded.
						op.payload((this.payloadStandIn != null) ? this.payloadStandIn : this.parser.getString());
					}
					case "headers" -> op.headers(stringMap(value));
					case "trace" -> op.traceContext(stringMap(value));
					case "priority" -> op.priority(number(value));
					case "expiresAt" -> op.expiresAt(instant(value));
					case "idempotencyKey" -> op.idempotencyKey(optionalText(value));
					case "orderingKey" -> op.orderingKey(optionalText(value));
					case "lastError" -> op.lastError(optionalText(value));
					case "claimToken" -> op.claimToken(optionalText(value));
					case "nextAttemptAt" -> op.nextAttemptAt(instant(value));
					case "createdAt" -> op.createdAt(instant(value));
					case "updatedAt" -> op.updatedAt(instant(value));
					default -> this.parser.skipChildren();
				}
			}
		}

		private Map<String, String> stringMap(JsonToken value) {
			expect(value, JsonToken.START_OBJECT);
			Map<String, String> headers = new LinkedHashMap<>();
			String name;
			while ((name = this.parser.nextName()) != null) {
				headers.put(name, text(this.parser.nextToken()));
			}
			return headers;
		}

		private String text(JsonToken value) {
			expect(value, JsonToken.VALUE_STRING);
			return this.parser.getString();
		}

		private @Nullable String optionalText(JsonToken value) {
			return (value == JsonToken.VALUE_NULL) ? null : text(value);
		}

		private int number(JsonToken value) {
			expect(value, JsonToken.VALUE_NUMBER_INT);
			return this.parser.getIntValue();
		}

		private Instant instant(JsonToken value) {
			expect(value, JsonToken.VALUE_STRING);
			return this.instants.parse(this.parser.getStringCharacters(), this.parser.getStringOffset(),
					this.parser.getStringLength());
		}

		/** The status a string names, compared in the parser's buffer: no string is made for it. */
		private OperationStatus status(JsonToken value) {
			expect(value, JsonToken.VALUE_STRING);
			char[] text = this.parser.getStringCharacters();
			int offset = this.parser.getStringOffset();
			int length = this.parser.getStringLength();
			for (OperationStatus status : STATUSES) {
				String name = status.name();
				if (name.length() == length && sameChars(name, text, offset)) {
					return status;
				}
			}
			throw new IllegalArgumentException("unknown status '" + new String(text, offset, length) + "'");
		}

		private static boolean sameChars(String name, char[] text, int offset) {
			for (int i = 0; i < name.length(); i++) {
				if (name.charAt(i) != text[offset + i]) {
					return false;
				}
			}
			return true;
		}

		private static void expect(JsonToken actual, JsonToken expected) {
			if (actual != expected) {
				throw new IllegalArgumentException("expected " + expected + " but found " + actual);
			}
		}

	}

}
