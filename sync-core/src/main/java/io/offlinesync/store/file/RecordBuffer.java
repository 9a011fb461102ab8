package io.offlinesync.store.file;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * A growable byte buffer that records are encoded into, straight to UTF-8 JSON, and lines are framed in: a line is
 * begun, written, and ended with its checksum in front and its line feed behind. Encoding is the hot path of every
 * change, so strings are escaped eight bytes at a time and instants are written without a formatter. Not
 * thread-safe.
 */
final class RecordBuffer {

	private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

	private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

	/** Days of the years 1000 to 9999, which {@link Instant#toString()} writes with four digits and no sign. */
	private static final long FIRST_FAST_DAY = LocalDate.of(1000, 1, 1).toEpochDay();

	private static final long LAST_FAST_DAY = LocalDate.of(9999, 12, 31).toEpochDay();

	private byte[] bytes;

	private int length;

	private final CRC32C crc = new CRC32C();

	RecordBuffer(int capacity) {
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
	RecordBuffer literal(byte[] literal) {
		ensure(literal.length);
		System.arraycopy(literal, 0, this.bytes, this.length, literal.length);
		this.length += literal.length;
		return this;
	}

	RecordBuffer character(char c) {
		ensure(1);
		return ascii(c);
	}

	/** Append text known to need no escaping and to be ASCII. */
	RecordBuffer ascii(String text) {
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
	RecordBuffer instant(Instant instant) {
		long days = Math.floorDiv(instant.getEpochSecond(), 86_400);
		if (days < FIRST_FAST_DAY || days > LAST_FAST_DAY) {
			return ascii(instant.toString());
		}
		int secondOfDay = Math.floorMod(instant.getEpochSecond(), 86_400);
		LocalDate date = LocalDate.ofEpochDay(days);
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
	RecordBuffer number(int value) {
		int width = 1;
		for (int rest = value / 10; rest > 0; rest /= 10) {
			width++;
		}
		ensure(width);
		return digits(value, width);
	}

	private RecordBuffer ascii(char c) {
		this.bytes[this.length++] = (byte) c;
		return this;
	}

	/** Write a non-negative number with exactly {@code width} digits; room must have been ensured. */
	private RecordBuffer digits(int value, int width) {
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
	RecordBuffer string(String text) {
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
	private RecordBuffer nonAsciiString(String text) {
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

	/** With {@code & ~word & 0x80...}: flags each byte of {@code word} that is zero. */
	private static long zeroBytes(long word) {
		return word - 0x0101010101010101L;
	}

}
