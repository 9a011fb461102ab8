package io.offlinesync.store.file;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.zip.CRC32C;

import com.fasterxml.jackson.annotation.JsonInclude;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;

/**
 * Encodes and decodes journal lines: {@code <crc32c as 8 hex digits> <space> <json>\n}, the checksum taken over the
 * JSON bytes. JSON escapes every line break inside strings, so a record is exactly one line.
 */
final class JournalCodec {

	static final int FORMAT_VERSION = 1;

	static final String FORMAT_NAME = "offline-sync-journal";

	private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

	private final JsonMapper mapper = JsonMapper.builder()
		.disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
		.build();

	byte[] header() {
		return (this.mapper.writeValueAsString(new Header(FORMAT_NAME, FORMAT_VERSION)) + "\n")
			.getBytes(StandardCharsets.UTF_8);
	}

	/**
	 * @return the format version of a header line
	 * @throws IllegalArgumentException if the line is no journal header
	 */
	int readHeader(byte[] line) {
		try {
			Header header = this.mapper.readValue(line, Header.class);
			if (!FORMAT_NAME.equals(header.format())) {
				throw new IllegalArgumentException("its first line does not name the format '" + FORMAT_NAME + "'");
			}
			return header.version();
		}
		catch (JacksonException ex) {
			throw new IllegalArgumentException("its first line is not a journal header", ex);
		}
	}

	byte[] put(Operation operation) {
		return line(new Entry("put", OperationRecord.of(operation), null));
	}

	byte[] delete(String id) {
		return line(new Entry("del", null, id));
	}

	private byte[] line(Entry entry) {
		byte[] json = this.mapper.writeValueAsBytes(entry);
		byte[] line = new byte[json.length + 10];
		CRC32C crc = new CRC32C();
		crc.update(json);
		long value = crc.getValue();
		for (int i = 0; i < 8; i++) {
			line[i] = HEX[(int) ((value >>> (28 - 4 * i)) & 0xF)];
		}
		line[8] = ' ';
		System.arraycopy(json, 0, line, 9, json.length);
		line[line.length - 1] = '\n';
		return line;
	}

	/**
	 * Decode one line (without its line feed).
	 * @throws IllegalArgumentException naming the damage
	 */
	Entry decode(byte[] line, int length) {
		if (length < 11 || line[8] != ' ') {
			throw new IllegalArgumentException("not a record line (" + length + " bytes)");
		}
		long expected = 0;
		for (int i = 0; i < 8; i++) {
			int digit = Character.digit(line[i], 16);
			if (digit < 0) {
				throw new IllegalArgumentException("checksum field is not hexadecimal");
			}
			expected = (expected << 4) | digit;
		}
		CRC32C crc = new CRC32C();
		crc.update(line, 9, length - 9);
		if (crc.getValue() != expected) {
			throw new IllegalArgumentException("checksum mismatch (stored " + Long.toHexString(expected) + ", computed "
					+ Long.toHexString(crc.getValue()) + ")");
		}
		try {
			Entry entry = this.mapper.readValue(line, 9, length - 9, Entry.class);
			if ("put".equals(entry.type()) && entry.op() != null) {
				entry.op().toOperation();
				return entry;
			}
			if ("del".equals(entry.type()) && entry.id() != null) {
				return entry;
			}
			throw new IllegalArgumentException("unknown record type '" + entry.type() + "'");
		}
		catch (JacksonException | IllegalArgumentException | NullPointerException ex) {
			throw new IllegalArgumentException("intact checksum but unreadable record: " + ex.getMessage(), ex);
		}
	}

	record Header(String format, int version) {
	}

	@JsonInclude(JsonInclude.Include.NON_NULL)
	record Entry(String type, OperationRecord op, String id) {
	}

	@JsonInclude(JsonInclude.Include.NON_NULL)
	record OperationRecord(String id, String status, int attempt, String kind, String target, String payload,
			Map<String, String> headers, String idempotencyKey, String orderingKey, String lastError,
			String claimToken, String nextAttemptAt, String createdAt, String updatedAt) {

		static OperationRecord of(Operation operation) {
			return new OperationRecord(operation.id(), operation.status().name(), operation.attempt(), operation.kind(),
					operation.target(), operation.payload(), operation.headers().isEmpty() ? null : operation.headers(),
					operation.idempotencyKey().equals(operation.id()) ? null : operation.idempotencyKey(),
					operation.orderingKey(), operation.lastError(), operation.claimToken(),
					operation.nextAttemptAt().toString(), operation.createdAt().toString(),
					operation.updatedAt().toString());
		}

		Operation toOperation() {
			return Operation.builder()
				.id(this.id)
				.status(OperationStatus.valueOf(this.status))
				.attempt(this.attempt)
				.kind(this.kind)
				.target(this.target)
				.payload(this.payload)
				.headers((this.headers != null) ? this.headers : Map.of())
				.idempotencyKey(this.idempotencyKey)
				.orderingKey(this.orderingKey)
				.lastError(this.lastError)
				.claimToken(this.claimToken)
				.nextAttemptAt(Instant.parse(this.nextAttemptAt))
				.createdAt(Instant.parse(this.createdAt))
				.updatedAt(Instant.parse(this.updatedAt))
				.build();
		}

	}

}
