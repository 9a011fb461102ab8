package io.offlinesync;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.SplittableRandom;

/**
 * Generates UUIDv7-style ids: 48 bits of wall-clock milliseconds, then a counter that keeps ids of the same
 * millisecond in generation order, then random bits. Lower-case hex in the canonical 8-4-4-4-12 form, so that the
 * string order is the creation order, and unique across processes and restarts (62 random bits per id).
 */
final class OperationIds {

	private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

	private final Clock clock;

	// Seeded once from the OS: unique across processes, without a system call per id.
	private final SplittableRandom random = new SplittableRandom(new SecureRandom().nextLong());

	private long lastMillis = -1;

	private int sequence;

	OperationIds(Clock clock) {
		this.clock = clock;
	}

	String next() {
		long high;
		long low;
		// Formatting, which allocates, stays outside the lock that concurrent enqueues share.
		synchronized (this) {
			high = nextHigh();
			low = (this.random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
		}
		return format(high, low);
	}

	/** With the lock held: the millisecond, the version and the sequence number. */
	private long nextHigh() {
		long millis = Math.max(this.clock.millis(), this.lastMillis);
		if (millis == this.lastMillis) {
			this.sequence++;
			if (this.sequence > 0xFFF) {
				// 4096 ids in one millisecond: borrow the next millisecond rather than lose the order.
				millis++;
				this.sequence = 0;
			}
		}
		else {
			this.sequence = this.random.nextInt(0x800);
		}
		this.lastMillis = millis;
		return (millis << 16) | 0x7000L | this.sequence;
	}

	private static String format(long high, long low) {
		byte[] out = new byte[36];
		int pos = 0;
		for (int i = 60; i >= 0; i -= 4) {
			if (pos == 8 || pos == 13) {
				out[pos++] = (byte) '-';
			}
			out[pos++] = HEX[(int) ((high >>> i) & 0xF)];
		}
		for (int i = 60; i >= 0; i -= 4) {
			if (pos == 18 || pos == 23) {
				out[pos++] = (byte) '-';
			}
			out[pos++] = HEX[(int) ((low >>> i) & 0xF)];
		}
		return new String(out, StandardCharsets.ISO_8859_1);
	}

}
