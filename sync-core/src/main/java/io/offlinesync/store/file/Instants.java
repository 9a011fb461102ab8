package io.offlinesync.store.file;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;

import org.jspecify.annotations.Nullable;

/**
 * Reads the instants of a record as {@link Instant#toString()} writes them, without a formatter (a record holds
 * three or four and opening reads millions), and hands the same object back for equal text (the instants of a new
 * operation are all one). Text of any other shape goes through {@link Instant#parse}. Not thread-safe: one per
 * record.
 */
final class Instants {

	/** A record holds at most four instants: each is compared with those read before it. */
	private static final int REMEMBERED = 4;

	private final char[][] texts = new char[REMEMBERED][];

	private final Instant[] instants = new Instant[REMEMBERED];

	private int count;

	Instant parse(char[] text, int offset, int length) {
		for (int i = 0; i < this.count; i++) {
			if (Arrays.equals(text, offset, offset + length, this.texts[i], 0, this.texts[i].length)) {
				return this.instants[i];
			}
		}
		Instant parsed = fast(text, offset, length);
		if (parsed == null) {
			parsed = Instant.parse(new String(text, offset, length));
		}
		int slot = (this.count < REMEMBERED) ? this.count++ : REMEMBERED - 1;
		this.texts[slot] = Arrays.copyOfRange(text, offset, offset + length);
		this.instants[slot] = parsed;
		return parsed;
	}

	/** {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}]Z}, or {@literal null} for any other shape. */
	private static @Nullable Instant fast(char[] t, int o, int n) {
		if (n < 20 || t[o + 4] != '-' || t[o + 7] != '-' || t[o + 10] != 'T' || t[o + 13] != ':' || t[o + 16] != ':'
				|| t[o + n - 1] != 'Z') {
			return null;
		}
		int year = digits(t, o, 4);
		int month = digits(t, o + 5, 2);
		int day = digits(t, o + 8, 2);
		int hour = digits(t, o + 11, 2);
		int minute = digits(t, o + 14, 2);
		int second = digits(t, o + 17, 2);
		if (year < 1000 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
			return null;
		}
		int nanos = 0;
		int fraction = n - 20;
		if (fraction > 0) {
			if (t[o + 19] != '.' || fraction - 1 < 1 || fraction - 1 > 9) {
				return null;
			}
			nanos = digits(t, o + 20, fraction - 1);
			for (int i = fraction - 1; i < 9; i++) {
				nanos *= 10;
			}
		}
		if ((year | month | day | hour | minute | second | nanos) < 0 || day > LocalDate.of(year, month, 1).lengthOfMonth()) {
			return null;
		}
		long seconds = LocalDate.of(year, month, day).toEpochDay() * 86_400 + hour * 3_600L + minute * 60L + second;
		return Instant.ofEpochSecond(seconds, nanos);
	}

	/** @return the number the digits spell, or -1 if one is not a digit */
	private static int digits(char[] t, int at, int count) {
		int value = 0;
		for (int i = at; i < at + count; i++) {
			int digit = t[i] - '0';
			if (digit < 0 || digit > 9) {
				return -1;
			}
			value = value * 10 + digit;
		}
		return value;
	}

}
