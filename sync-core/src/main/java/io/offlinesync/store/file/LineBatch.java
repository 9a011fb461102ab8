package io.offlinesync.store.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.Objects;

import org.jspecify.annotations.Nullable;


/**
 * A run of whole lines of the journal, read at once and split and decoded on another thread, and the record each
 * line holds. A line whose checksum fails is searched for the start of another record, since a damaged line feed
 * merges two lines: every part of it that is an intact record is kept. The thread that reads only looks for the last
 * line end of each run, so that it is free to take decoded records.
 */
final class LineBatch {

	/** Bytes read at a time; a longer line is read whole. */
	static final int BYTES = 1 << 20;

	/** The most bytes read at once to find a line end: as many as an array holds. */
	static final int MOST_BYTES = Integer.MAX_VALUE - 8;

	private static final byte[] NO_BYTES = {};

	private static final int[] NONE = {};

	/** What was read; let go once decoded. */
	private byte[] bytes;

	/** Where the bytes were read from in the journal. */
	private final long offset;

	/** How many of the bytes belong to this batch: whole lines, or a torn last line at the end of the records. */
	private final int used;

	private int count;

	private int[] starts = NONE;

	private int[] lengths = NONE;

	private JournalRecord[] decoded = new JournalRecord[0];

	/** Shares equal instants among the records of the batch while it is decoded: those of a run are often equal. */
	private @Nullable Instants instants;

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
			JournalWriter.readFully(in, ByteBuffer.wrap(bytes, filled, bytes.length - filled), position + filled);
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

	LineBatch decode(JournalFormat format, SharedStrings shared) {
		int capacity = this.used / 256 + 1;
		this.starts = new int[capacity];
		this.lengths = new int[capacity];
		this.decoded = new JournalRecord[capacity];
		this.instants = new Instants();
		int start = 0;
		while (start < this.used) {
			int end = JournalFormat.lineEnd(this.bytes, start, this.used);
			if (end == this.used && !this.cut) {
				if (!addUnterminated(format, shared, start, end)) {
					this.torn = start;
				}
				break;
			}
			if (end > start) {
				addLine(format, shared, start, end);
			}
			start = end + 1;
		}
		this.bytes = NO_BYTES;
		this.instants = null;
		return this;
	}

	/**
	 * Add the records of the line {@code [start, end)}: the line itself if it is one, otherwise every part of it that
	 * is an intact record (a part that ends where the next begins lost its line feed), the rest as damage.
	 */
	private void addLine(JournalFormat format, SharedStrings shared, int start, int end) {
		JournalRecord whole = read(format, shared, start, end);
		if (!(whole instanceof JournalRecord.Damaged)) {
			add(start, end - start, whole);
			return;
		}
		int from = start;
		int damagedFrom = -1;
		JournalRecord damage = whole;
		while (from < end) {
			int kept = -1;
			JournalRecord record = (from == start) ? whole : read(format, shared, from, end);
			if (!(record instanceof JournalRecord.Damaged)) {
				kept = end;
			}
			for (int next = from + 1; kept < 0 && next < end; next++) {
				if (JournalFormat.looksLikeRecordStart(this.bytes, next, end)) {
					record = read(format, shared, from, next - 1);
					if (!(record instanceof JournalRecord.Damaged)) {
						kept = next - 1;
					}
				}
			}
			if (kept >= 0) {
				if (damagedFrom >= 0) {
					add(damagedFrom, from - damagedFrom, damage);
					damagedFrom = -1;
				}
				add(from, kept - from, record);
				if (kept < end) {
					// The byte between two intact records: their line feed, damaged.
					add(kept, 1, new JournalRecord.Damaged("damaged line end between two intact records"));
				}
				from = kept + 1;
				continue;
			}
			if (damagedFrom < 0) {
				damagedFrom = from;
				damage = (from == start) ? whole : record;
			}
			from = nextRecordStart(from + 1, end);
		}
		if (damagedFrom >= 0) {
			add(damagedFrom, end - damagedFrom, damage);
		}
	}

	/**
	 * Add the last line, which has no line end, if it is an intact record all the same: its line end was damaged
	 * (the line is one byte longer than the record) or lost. The line end goes in as damage, which recovery clears
	 * by writing a line end there. Otherwise it is a write cut short.
	 * @return whether it was added
	 */
	private boolean addUnterminated(JournalFormat format, SharedStrings shared, int start, int end) {
		for (int recordEnd = end; recordEnd >= end - 1 && recordEnd > start; recordEnd--) {
			JournalRecord record = read(format, shared, start, recordEnd);
			if (!(record instanceof JournalRecord.Damaged)) {
				add(start, recordEnd - start, record);
				add(recordEnd, 1, new JournalRecord.Damaged("the line end of the last record is "
						+ ((recordEnd < end) ? "damaged" : "missing")));
				return true;
			}
		}
		return false;
	}

	private int nextRecordStart(int from, int end) {
		for (int at = from; at < end; at++) {
			if (JournalFormat.looksLikeRecordStart(this.bytes, at, end)) {
				return at;
			}
		}
		return end;
	}

	private JournalRecord read(JournalFormat format, SharedStrings shared, int start, int end) {
		// Set while the batch is decoded, which is when lines are read.
		JournalRecord record = format.read(this.bytes, start, end - start, PayloadReader.ON_DISK, shared::canonical,
				Objects.requireNonNull(this.instants));
		if (record instanceof JournalRecord.Put put) {
			// Strings cache their hash: computed here, it spares the thread that fills the maps.
			put.operation().id().hashCode();
		}
		return record;
	}

	private void add(int start, int length, JournalRecord record) {
		if (this.count == this.starts.length) {
			this.starts = Arrays.copyOf(this.starts, this.count * 2);
			this.lengths = Arrays.copyOf(this.lengths, this.count * 2);
			this.decoded = Arrays.copyOf(this.decoded, this.count * 2);
		}
		this.starts[this.count] = start;
		this.lengths[this.count] = length;
		this.decoded[this.count] = record;
		this.count++;
	}

	/** @return how many records the batch holds, not counting blank lines and a torn last line */
	int count() {
		return this.count;
	}

	/** @return where the record at {@code index} begins in the journal */
	long offset(int index) {
		return this.offset + this.starts[index];
	}

	/** @return how many bytes the record at {@code index} has, without its line end */
	int length(int index) {
		return this.lengths[index];
	}

	/** @return the record of the line (or part of a line) at {@code index} */
	JournalRecord decoded(int index) {
		return this.decoded[index];
	}

	/** @return the last line if it has no line end (a write cut short), or {@literal null} */
	RecoveryReport.@Nullable DroppedRecord tornLine() {
		return (this.torn < 0) ? null : new RecoveryReport.DroppedRecord(this.offset + this.torn,
				this.used - this.torn, "torn last record (no line end)");
	}

}
