package io.offlinesync.store.file;

import java.util.Arrays;

import io.offlinesync.Operation;

/**
 * Lines of the journal copied out for decoding on another thread, and what each decoded to: an operation, the id
 * of a deletion, or the {@link IllegalArgumentException} naming its damage.
 */
final class LineBatch {

	private static final int LINES = 2_048;

	private byte[] bytes = new byte[LINES * 600];

	private int used;

	private int count;

	private final int[] starts = new int[LINES];

	private final int[] lengths = new int[LINES];

	private final long[] offsets = new long[LINES];

	private final Object[] decoded = new Object[LINES];

	void add(LineReader line) {
		if (this.used + line.length() > this.bytes.length) {
			this.bytes = Arrays.copyOf(this.bytes, Math.max(this.bytes.length * 2, this.used + line.length()));
		}
		System.arraycopy(line.buffer(), 0, this.bytes, this.used, line.length());
		this.starts[this.count] = this.used;
		this.lengths[this.count] = line.length();
		this.offsets[this.count] = line.offset();
		this.used += line.length();
		this.count++;
	}

	boolean isFull() {
		return this.count == LINES;
	}

	LineBatch decode(JournalCodec codec, SharedStrings shared) {
		byte[] line = new byte[1024];
		for (int i = 0; i < this.count; i++) {
			if (line.length < this.lengths[i]) {
				line = new byte[this.lengths[i]];
			}
			System.arraycopy(this.bytes, this.starts[i], line, 0, this.lengths[i]);
			try {
				Object record = codec.decode(line, this.lengths[i], FileOutboxStore.ON_DISK, shared::canonical);
				if (record instanceof Operation operation) {
					// Strings cache their hash: computed here, it spares the thread that fills the maps.
					operation.id().hashCode();
				}
				this.decoded[i] = record;
			}
			catch (IllegalArgumentException ex) {
				this.decoded[i] = ex;
			}
		}
		this.bytes = null;
		return this;
	}

	/** @return how many lines the batch holds */
	int count() {
		return this.count;
	}

	/** @return where the line at {@code index} begins in the journal */
	long offset(int index) {
		return this.offsets[index];
	}

	/** @return how many bytes the line at {@code index} has, without its line end */
	int length(int index) {
		return this.lengths[index];
	}

	/**
	 * @return what the line at {@code index} decoded to: an {@link Operation}, the id of a deletion, or the
	 * {@link IllegalArgumentException} naming its damage; {@code null} before {@link #decode}
	 */
	Object decoded(int index) {
		return this.decoded[index];
	}

}
