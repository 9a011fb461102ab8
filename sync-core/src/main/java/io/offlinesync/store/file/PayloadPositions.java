package io.offlinesync.store.file;

import java.util.Arrays;
import java.util.function.ObjLongConsumer;

/**
 * Where in the journal each operation's payload can be read: a map from id to the offset of a record that carries
 * it, 28 to 44 bytes an entry where a {@code HashMap<String, Long>} takes 60. Not thread-safe.
 *
 * <p>Entries are kept in the order they were added, in chunks, and found through an open-addressing table of
 * primitive slots that hold each id's hash next to its entry number. Adding an entry thus writes one reference at the
 * end of a chunk and one long at a random slot: a reference written at a random place of a large array would dirty a
 * different card of the heap each time, all of which the next young collection scans. Probing compares hashes without
 * reading the id strings, which are spread over the heap, and growing rebuilds the table from the table alone.
 * Entries are never removed one by one: the map is rebuilt whenever the journal is compacted.
 */
final class PayloadPositions {

	private static final int CHUNK_BITS = 12;

	private static final int CHUNK = 1 << CHUNK_BITS;

	private String[][] ids = new String[16][];

	private long[][] positions = new long[16][];

	private int size;

	/** Each slot: the id's hash in the high half, its entry number plus one in the low half; 0 when free. */
	private long[] slots;

	PayloadPositions() {
		this(512);
	}

	/** @param expected how many entries to make room for before growing */
	PayloadPositions(int expected) {
		this.slots = new long[Integer.highestOneBit(Math.max(512, expected) * 2 - 1) << 1];
	}

	/** @return the entries as they are now, in the order they were added, which later changes do not reach */
	Entries entries() {
		String[] entryIds = new String[this.size];
		long[] entryPositions = new long[this.size];
		for (int chunk = 0; chunk * CHUNK < this.size; chunk++) {
			int length = Math.min(CHUNK, this.size - chunk * CHUNK);
			System.arraycopy(this.ids[chunk], 0, entryIds, chunk * CHUNK, length);
			System.arraycopy(this.positions[chunk], 0, entryPositions, chunk * CHUNK, length);
		}
		return new Entries(entryIds, entryPositions);
	}

	/**
	 * @param id an operation id
	 * @return the offset of a record of it, or -1
	 */
	long get(String id) {
		int entry = entry(id);
		return (entry >= 0) ? positionAt(entry) : -1;
	}

	/**
	 * @param id an operation id
	 * @return the number of its entry, or -1; entries are numbered from 0 in the order they were added
	 */
	int entry(String id) {
		long present = this.slots[slotOf(id, id.hashCode())];
		return (present != 0) ? entryOf(present) : -1;
	}

	/**
	 * Set where a record of an operation is, adding an entry for it if it has none.
	 * @return the number of its entry
	 */
	int put(String id, long position) {
		// Grown first, so that the slot found is where a new entry goes.
		if (2 * (this.size + 1) > this.slots.length) {
			grow();
		}
		int hash = id.hashCode();
		int slot = slotOf(id, hash);
		long present = this.slots[slot];
		if (present != 0) {
			int entry = entryOf(present);
			this.positions[chunkOf(entry)][offsetOf(entry)] = position;
			return entry;
		}
		int entry = this.size;
		int chunk = chunkOf(entry);
		if (offsetOf(entry) == 0) {
			if (chunk == this.ids.length) {
				this.ids = Arrays.copyOf(this.ids, chunk * 2);
				this.positions = Arrays.copyOf(this.positions, chunk * 2);
			}
			this.ids[chunk] = new String[CHUNK];
			this.positions[chunk] = new long[CHUNK];
		}
		this.ids[chunk][offsetOf(entry)] = id;
		this.positions[chunk][offsetOf(entry)] = position;
		this.size++;
		this.slots[slot] = ((long) hash << 32) | (entry + 1);
		return entry;
	}

	/** Visits every entry, in the order they were added. */
	void forEach(ObjLongConsumer<String> action) {
		for (int entry = 0; entry < this.size; entry++) {
			action.accept(idAt(entry), positionAt(entry));
		}
	}

	int size() {
		return this.size;
	}

	/** @return the slot that holds the id, or else the free slot where it would go */
	private int slotOf(String id, int hash) {
		long[] table = this.slots;
		int mask = table.length - 1;
		for (int slot = home(hash, table.length);; slot = (slot + 1) & mask) {
			long present = table[slot];
			if (present == 0) {
				return slot;
			}
			if (hashOf(present) == hash) {
				if (idAt(entryOf(present)).equals(id)) {
					return slot;
				}
			}
		}
	}

	private String idAt(int entry) {
		return this.ids[chunkOf(entry)][offsetOf(entry)];
	}

	private long positionAt(int entry) {
		return this.positions[chunkOf(entry)][offsetOf(entry)];
	}

	private static int hashOf(long slot) {
		return (int) (slot >>> 32);
	}

	/** @return the entry number a non-free slot holds */
	private static int entryOf(long slot) {
		return (int) slot - 1;
	}

	private static int chunkOf(int entry) {
		return entry >>> CHUNK_BITS;
	}

	private static int offsetOf(int entry) {
		return entry & (CHUNK - 1);
	}

	private void grow() {
		long[] table = new long[this.slots.length * 2];
		for (long present : this.slots) {
			if (present != 0) {
				place(table, present);
			}
		}
		this.slots = table;
	}

	/** Puts a slot value whose id is not in the table at the first free slot of its probe sequence. */
	private static void place(long[] table, long value) {
		int mask = table.length - 1;
		int slot = home(hashOf(value), table.length);
		while (table[slot] != 0) {
			slot = (slot + 1) & mask;
		}
		table[slot] = value;
	}

	/**
	 * Fibonacci hashing: the ids of one instance differ mostly in their last characters, which moves
	 * {@link String#hashCode()} by small steps; multiplying and taking the high bits scatters them, where the low bits
	 * alone would fill neighbouring slots and make linear probing walk long runs.
	 */
	private static int home(int hash, int tableLength) {
		return (int) ((hash * 0x9E3779B97F4A7C15L) >>> (64 - Integer.numberOfTrailingZeros(tableLength)));
	}

	/** Ids and their positions, entry by entry, without the table that finds them. */
	record Entries(String[] ids, long[] positions) {
	}

}
