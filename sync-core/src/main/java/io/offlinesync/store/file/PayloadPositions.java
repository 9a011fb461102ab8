package io.offlinesync.store.file;

import java.util.function.ObjLongConsumer;

/**
 * Where in the journal each operation's payload can be read: an open-addressing map from id to the offset of a
 * record that carries it, about 40 bytes an entry where a {@code HashMap<String, Long>} takes 60. Each slot keeps its
 * id's hash, so that probing and growing compare ints instead of reading the id strings, which are spread over the
 * heap. Entries are never removed one by one: the map is rebuilt whenever the journal is compacted. Not thread-safe.
 */
final class PayloadPositions {

	private String[] ids;

	private int[] hashes;

	private long[] positions;

	private int size;

	PayloadPositions() {
		this(512);
	}

	/** @param expected how many entries to make room for before growing */
	PayloadPositions(int expected) {
		int capacity = Integer.highestOneBit(Math.max(512, expected) * 2 - 1) << 1;
		this.ids = new String[capacity];
		this.hashes = new int[capacity];
		this.positions = new long[capacity];
	}

	/**
	 * @param id an operation id
	 * @return the offset of a record of it, or -1
	 */
	long get(String id) {
		int hash = id.hashCode();
		int mask = this.ids.length - 1;
		for (int slot = slotOf(hash);; slot = (slot + 1) & mask) {
			String present = this.ids[slot];
			if (present == null) {
				return -1;
			}
			if (this.hashes[slot] == hash && present.equals(id)) {
				return this.positions[slot];
			}
		}
	}

	void put(String id, long position) {
		if (2 * (this.size + 1) > this.ids.length) {
			grow();
		}
		int hash = id.hashCode();
		int mask = this.ids.length - 1;
		for (int slot = slotOf(hash);; slot = (slot + 1) & mask) {
			String present = this.ids[slot];
			if (present == null) {
				this.ids[slot] = id;
				this.hashes[slot] = hash;
				this.positions[slot] = position;
				this.size++;
				return;
			}
			if (this.hashes[slot] == hash && present.equals(id)) {
				this.positions[slot] = position;
				return;
			}
		}
	}

	void forEach(ObjLongConsumer<String> action) {
		for (int slot = 0; slot < this.ids.length; slot++) {
			if (this.ids[slot] != null) {
				action.accept(this.ids[slot], this.positions[slot]);
			}
		}
	}

	int size() {
		return this.size;
	}

	private void grow() {
		String[] oldIds = this.ids;
		int[] oldHashes = this.hashes;
		long[] oldPositions = this.positions;
		int capacity = oldIds.length * 2;
		this.ids = new String[capacity];
		this.hashes = new int[capacity];
		this.positions = new long[capacity];
		int mask = capacity - 1;
		for (int old = 0; old < oldIds.length; old++) {
			if (oldIds[old] != null) {
				// Ids are unique here: each goes to the first free slot.
				int slot = slotOf(oldHashes[old]);
				while (this.ids[slot] != null) {
					slot = (slot + 1) & mask;
				}
				this.ids[slot] = oldIds[old];
				this.hashes[slot] = oldHashes[old];
				this.positions[slot] = oldPositions[old];
			}
		}
	}

	/**
	 * Fibonacci hashing: the ids of one instance differ mostly in their last characters, which moves
	 * {@link String#hashCode()} by small steps; multiplying and taking the high bits scatters them, where the low bits
	 * alone would fill neighbouring slots and make linear probing walk long runs.
	 */
	private int slotOf(int hash) {
		return (int) ((hash * 0x9E3779B97F4A7C15L) >>> (64 - Integer.numberOfTrailingZeros(this.ids.length)));
	}

}
