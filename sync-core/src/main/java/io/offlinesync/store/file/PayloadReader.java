package io.offlinesync.store.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

import io.offlinesync.Operation;
import io.offlinesync.store.UnreadableOperationException;

/**
 * Payloads stay on disk: the index keeps each operation with {@link #ON_DISK} in place of its payload, and this reads
 * it back from the {@code put} record that carries it when the operation leaves the store, through a cache of those
 * read or written lately. Guarded by the store's monitor, but for the counters.
 */
final class PayloadReader {

	/**
	 * The payload of every operation the index keeps: a distinct empty string, told apart by identity.
	 */
	static final String ON_DISK = new String();

	private final JournalFormat format;

	private final JournalWriter writer;

	/** Where each operation's {@code put} record is; replaced by compaction. */
	private PayloadPositions positions = new PayloadPositions();

	private final Map<String, String> cache;

	private final LongAdder hits = new LongAdder();

	private final LongAdder reads = new LongAdder();

	PayloadReader(JournalFormat format, JournalWriter writer, int cacheSize) {
		this.format = format;
		this.writer = writer;
		this.cache = new LinkedHashMap<>(Math.max(16, cacheSize * 2), 0.75f, true) {
			@Override
			protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
				return size() > cacheSize;
			}
		};
	}

	PayloadPositions positions() {
		return this.positions;
	}

	void positions(PayloadPositions replacement) {
		this.positions = replacement;
	}

	/**
	 * The form the index keeps: without the payload, which goes to the cache.
	 */
	Operation indexed(Operation operation) {
		if (operation.payload() == ON_DISK) {
			return operation;
		}
		this.cache.put(operation.id(), operation.payload());
		return operation.toBuilder().payload(ON_DISK).build();
	}

	/**
	 * The whole operation for what the index keeps.
	 * @throws UnreadableOperationException if its record cannot be read
	 */
	Operation materialized(Operation indexed) {
		if (indexed.payload() != ON_DISK) {
			return indexed;
		}
		String payload = this.cache.get(indexed.id());
		if (payload != null) {
			this.hits.increment();
		}
		else {
			this.reads.increment();
			long position = this.positions.get(indexed.id());
			payload = read(indexed.id(), position);
			this.cache.put(indexed.id(), payload);
		}
		return indexed.toBuilder().payload(payload).build();
	}

	private static UnreadableOperationException unreadable(String id, long position, String reason) {
		return new UnreadableOperationException(id, "The record of operation '" + id + "' at offset " + position
				+ " of the outbox journal cannot be read: " + reason);
	}

	private String read(String id, long position) {
		if (position < 0) {
			throw unreadable(id, position, "no record of it is known");
		}
		try {
			long inFile = this.writer.size() - this.writer.heldLength();
			if (position >= inFile) {
				return fromHeld((int) (position - inFile), id, position);
			}
			return read(this.writer.channel(), position, id);
		}
		catch (IOException ex) {
			throw unreadable(id, position, ex.toString());
		}
	}

	/**
	 * Read an operation's payload from the {@code put} record at a position of a journal.
	 * @throws IOException if it cannot be read
	 * @throws UnreadableOperationException if what is there is not an intact record of it
	 */
	String read(FileChannel source, long position, String id) throws IOException {
		ByteBuffer buffer = ByteBuffer.allocate(4096);
		int lineEnd = -1;
		while (lineEnd < 0) {
			int read = source.read(buffer, position + buffer.position());
			for (int i = buffer.position() - Math.max(read, 0); i < buffer.position(); i++) {
				if (buffer.get(i) == '\n') {
					lineEnd = i;
					break;
				}
			}
			if (lineEnd < 0) {
				if (read < 0) {
					throw unreadable(id, position, "the record has no end");
				}
				if (!buffer.hasRemaining()) {
					ByteBuffer larger = ByteBuffer.allocate(buffer.capacity() * 2);
					buffer.flip();
					larger.put(buffer);
					buffer = larger;
				}
			}
		}
		return payloadOf(buffer.array(), lineEnd, position, id);
	}

	/** The payload of a record still held, {@code start} bytes into the held records. */
	private String fromHeld(int start, String id, long position) {
		byte[] held = this.writer.heldBytes();
		int length = this.writer.heldLength();
		int end = JournalFormat.lineEnd(held, start, length);
		if (end == length) {
			throw unreadable(id, position, "the held record has no end");
		}
		return payloadOf(Arrays.copyOfRange(held, start, end), end - start, position, id);
	}

	private String payloadOf(byte[] line, int length, long position, String id) {
		JournalRecord record = this.format.read(line, 0, length);
		if (record instanceof JournalRecord.Put put && put.operation().id().equals(id)) {
			return put.operation().payload();
		}
		throw unreadable(id, position, (record instanceof JournalRecord.Damaged damaged)
				? damaged.reason() : "the record there is not the put record of this operation");
	}

	/** Forget a payload: its operation left the store. */
	void forget(String id) {
		this.cache.remove(id);
	}

	/** @return how many payloads came from the cache */
	long cacheHits() {
		return this.hits.sum();
	}

	/** @return how many payloads were read from the journal */
	long journalReads() {
		return this.reads.sum();
	}

}
