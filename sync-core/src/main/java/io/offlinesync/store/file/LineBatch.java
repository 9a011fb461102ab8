package io.offlinesync.store.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;

import io.offlinesync.Operation;

/**
 * A run of whole lines of the journal, read at once and split and decoded on another thread, and what each line
 * decoded to: an operation, the id of a deletion, or the {@link IllegalArgumentException} naming its damage. The
 * thread that reads only looks for the last line end of each run, so that it is free to take decoded records.
 */
final class LineBatch {

	/** Bytes read at a time; a longer line is read whole. */
	static final int BYTES = 1 << 20;

	/** The most bytes read at once to find a line end: as many as an array holds. */
	static final int MOST_BYTES = Integer.MAX_VALUE - 8;

	/** What was read; let go once decoded. */
	private byte[] bytes;

	/** Where the bytes were read from in the journal. */
	private final long offset;

	/** How many of the bytes belong to this batch: whole lines, or a torn last line at the end of the records. */
	private final int used;

	private int count;

	private int[] starts;

	private int[] lengths;

	private Object[] decoded;

	/** Whether the bytes end inside a line that goes on, which is read as one line: it is damage, not a tear. */
	private final boolean cut;

	/** Where a last line without a line end begins in {@link #bytes}, or -1. */
	private int torn = -1;

	private LineBatch(byte[] bytes, long offset, int used, boolean cut) {
		this.bytes = bytes;
		this.offset = offset;
		this.used = used;
		this.cut = cut;
	}

	/**
	 * Read the lines that begin at {@code position}: up to {@link #BYTES} bytes cut after their last line end, more if
	 * one line is longer, or all that is left before {@code end}, where the last line may have no line end.
	 */
	static LineBatch read(FileChannel in, long position, long end) throws IOException {
		return read(in, position, end, MOST_BYTES);
	}

	/**
	 * {@link #read(FileChannel, long, long)}, where a line longer than {@code mostBytes} is read in pieces of that
	 * many bytes, each a line of its own, which cannot be intact: damage such as a long run of bytes that are not
	 * line feeds is dropped piece by piece, and the records after it are kept.
	 */
	static LineBatch read(FileChannel in, long position, long end, int mostBytes) throws IOException {
		byte[] bytes = new byte[(int) Math.min(Math.min(BYTES, mostBytes), end - position)];
		int filled = 0;
		while (true) {
			FileOutboxStore.readFully(in, ByteBuffer.wrap(bytes, filled, bytes.length - filled), position + filled);
			int lastLineEnd = lastLineEnd(bytes, filled, bytes.length);
			if (position + bytes.length == end) {
				return new LineBatch(bytes, position, bytes.length, false);
			}
			if (lastLineEnd >= 0) {
				return new LineBatch(bytes, position, lastLineEnd + 1, false);
			}
			if (bytes.length >= mostBytes) {
				return new LineBatch(bytes, position, bytes.length, true);
			}
			filled = bytes.length;
			bytes = Arrays.copyOf(bytes, (int) Math.min(Math.min(2L * bytes.length, end - position), mostBytes));
		}
	}

	private static int lastLineEnd(byte[] bytes, int from, int to) {
		for (int i = to - 1; i >= from; i--) {
			if (bytes[i] == '\n') {
				return i;
			}
		}
		return -1;
	}

	/** @return where in the journal the lines after this batch begin */
	long end() {
		return this.offset + this.used;
	}

	LineBatch decode(JournalCodec codec, SharedStrings shared) {
		JournalCodec.Scan scan = new JournalCodec.Scan();
		int capacity = this.used / 256 + 1;
		this.starts = new int[capacity];
		this.lengths = new int[capacity];
		this.decoded = new Object[capacity];
		int start = 0;
		while (start < this.used) {
			int end = JournalCodec.lineEnd(this.bytes, start, this.used);
			if (end == this.used && !this.cut) {
				this.torn = start;
				break;
			}
			if (end > start) {
				add(codec, shared, scan, start, end - start);
			}
			start = end + 1;
		}
		this.bytes = null;
		return this;
	}

	private void add(JournalCodec codec, SharedStrings shared, JournalCodec.Scan scan, int start, int length) {
		if (this.count == this.starts.length) {
			this.starts = Arrays.copyOf(this.starts, this.count * 2);
			this.lengths = Arrays.copyOf(this.lengths, this.count * 2);
			this.decoded = Arrays.copyOf(this.decoded, this.count * 2);
		}
		Object record;
		try {
			record = codec.decode(this.bytes, start, length, FileOutboxStore.ON_DISK, shared::canonical, scan);
			if (record instanceof Operation operation) {
				// Strings cache their hash: computed here, it spares the thread that fills the maps.
				operation.id().hashCode();
			}
		}
		catch (IllegalArgumentException ex) {
			record = ex;
		}
		this.starts[this.count] = start;
		this.lengths[this.count] = length;
		this.decoded[this.count] = record;
		this.count++;
	}

	/** @return how many lines the batch holds, not counting blank ones and a torn last line */
	int count() {
		return this.count;
	}

	/** @return where the line at {@code index} begins in the journal */
	long offset(int index) {
		return this.offset + this.starts[index];
	}

	/** @return how many bytes the line at {@code index} has, without its line end */
	int length(int index) {
		return this.lengths[index];
	}

	/**
	 * @return what the line at {@code index} decoded to: an {@link Operation}, the id of a deletion, or the
	 * {@link IllegalArgumentException} naming its damage
	 */
	Object decoded(int index) {
		return this.decoded[index];
	}

	/** @return the last line if it has no line end (a write cut short), or {@literal null} */
	RecoveryReport.DroppedRecord tornLine() {
		return (this.torn < 0) ? null : new RecoveryReport.DroppedRecord(this.offset + this.torn,
				this.used - this.torn, "torn last record (no line end)");
	}

}
