package io.offlinesync.store.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.RandomAccess;
import java.util.concurrent.atomic.AtomicLong;

import org.jspecify.annotations.Nullable;

import io.offlinesync.Operation;

/**
 * Compaction: rewrites the live state of the journal to a new file, in the background, and moves it over the journal
 * atomically. It holds the store's monitor only for its last step. The live operations of a snapshot are written to
 * a temporary file while changes go on, and so are the records appended meanwhile, until few are left; then, under
 * the monitor and with no force running, the last of them are copied, the file is forced and moved into place. The
 * new file is forced every few megabytes on the way: forcing hundreds at once would keep the disk from the writers.
 */
final class Compactor {

	private static final System.Logger logger = System.getLogger(Compactor.class.getName());

	/** How much a compaction writes between forces of its file. */
	private static final int FORCE_EVERY = 4 << 20;

	/** How much of a replaced journal is cut off at a time before it is closed; see {@link #release}. */
	private static final long RELEASE_STEP = 32 << 20;

	/** A compaction copies the records appended meanwhile under the store's monitor once fewer than this are left. */
	private static final int COPY_UNDER_MONITOR = 1 << 18;

	private final FileOutboxStore store;

	private final Path journal;

	private final FileStoreSettings settings;

	private final JournalFormat format;

	/** The compaction running, if any; guarded by the store's monitor. */
	private @Nullable Thread running;

	/** After a failed compaction, the journal's record count from which to try again; guarded by the monitor. */
	private long againAtRecords;

	/** Whether the journal is of an older format version, which a compaction rewrites; guarded by the monitor. */
	private boolean outdated;

	private final AtomicLong done = new AtomicLong();

	private final AtomicLong failed = new AtomicLong();

	Compactor(FileOutboxStore store, Path journal, FileStoreSettings settings, JournalFormat format) {
		this.store = store;
		this.journal = journal;
		this.settings = settings;
		this.format = format;
	}

	/** With the store's monitor held, on opening: a journal of an older format version is compacted soon. */
	void opened(int version) {
		this.outdated = version < JournalFormat.VERSION;
	}

	/**
	 * With the store's monitor held, after a change: start a compaction if the journal has outgrown its live records
	 * (more than twice as many, plus the slack) or is of an older format version, and none runs.
	 */
	void afterChange(long records, int live, boolean closing) {
		boolean outgrown = records > 2L * live + this.settings.compactionSlack();
		if (this.running != null || closing || !(outgrown || this.outdated) || records < this.againAtRecords) {
			return;
		}
		FileOutboxStore.Snapshot snapshot = this.store.snapshot();
		if (snapshot == null) {
			return;
		}
		this.running = new Thread(() -> compact(snapshot), "offline-sync-compactor");
		this.running.setDaemon(true);
		this.running.start();
	}

	/** @return how many compactions replaced the journal */
	long compactions() {
		return this.done.get();
	}

	/** @return whether a compaction runs now */
	boolean isRunning() {
		synchronized (this.store) {
			return this.running != null;
		}
	}

	/** @return how many compactions failed (and left the journal as it was) */
	long failures() {
		return this.failed.get();
	}

	/** Wait until a compaction in progress has ended (it gives up when the store is closing). */
	void awaitEnd() throws InterruptedException {
		Thread thread;
		synchronized (this.store) {
			thread = this.running;
		}
		if (thread != null) {
			thread.join();
		}
	}

	private void compact(FileOutboxStore.Snapshot snapshot) {
		Path temporary = this.journal.resolveSibling(this.journal.getFileName() + ".tmp");
		boolean switched = false;
		List<Operation> live = snapshot.live();
		long[] newPositions = new long[live.size()];
		try {
			long written;
			long copiedTo;
			try (FileChannel out = this.settings.opener().open(temporary, StandardOpenOption.CREATE,
					StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
				written = writeLive(out, live, payloadPositions(live, snapshot.positions()), snapshot.source(),
						newPositions);
				copiedTo = (written < 0) ? -1 : catchUp(out, written, snapshot);
				if (copiedTo < 0) {
					return;
				}
				out.force(true);
			}
			switched = this.store.switchTo(temporary, written, copiedTo, snapshot, positionsAt(live, newPositions));
			if (switched) {
				synchronized (this.store) {
					this.outdated = false;
				}
				this.done.incrementAndGet();
			}
		}
		catch (IOException | RuntimeException ex) {
			this.failed.incrementAndGet();
			synchronized (this.store) {
				// Not again with every change: a full disk, say, would fail it each time.
				this.againAtRecords = snapshot.records() + Math.max(1, this.settings.compactionSlack());
			}
			logger.log(System.Logger.Level.WARNING, "Compaction of " + this.journal
					+ " failed; the journal stays as it is and is still valid: " + ex);
		}
		finally {
			if (!switched) {
				try {
					Files.deleteIfExists(temporary);
				}
				catch (IOException ex) {
					logger.log(System.Logger.Level.DEBUG, "Could not delete " + temporary, ex);
				}
			}
			synchronized (this.store) {
				this.running = null;
			}
		}
	}

	/**
	 * Write a header and the given operations, each with its payload read from {@code source}, and note where each
	 * record begins.
	 * @return the bytes written, or -1 if the store began closing meanwhile
	 */
	private long writeLive(FileChannel out, List<Operation> live, long[] payloadAt, FileChannel source,
			long[] newPositions) throws IOException {
		long written = JournalWriter.writeFully(out, ByteBuffer.wrap(JournalFormat.header()));
		long forced = 0;
		RecordBuffer chunk = new RecordBuffer(1 << 20);
		for (int i = 0; i < live.size(); i++) {
			Operation operation = live.get(i);
			if (operation.payload() == PayloadReader.ON_DISK) {
				operation = operation.toBuilder()
					.payload(this.store.readPayload(source, payloadAt[i], operation.id()))
					.build();
			}
			newPositions[i] = written + chunk.length();
			this.format.put(operation, chunk);
			if (chunk.length() >= (1 << 20)) {
				if (this.store.isClosing()) {
					return -1;
				}
				written += JournalWriter.writeFully(out, chunk.asByteBuffer());
				chunk.clear();
				if (written - forced >= FORCE_EVERY) {
					out.force(false);
					forced = written;
				}
			}
		}
		return written + JournalWriter.writeFully(out, chunk.asByteBuffer());
	}

	/**
	 * Copy the records appended to the journal since the snapshot after the live ones, without the monitor, until
	 * fewer than {@link #COPY_UNDER_MONITOR} bytes are left: appends go on meanwhile, more slowly than a copy.
	 * @param written where the records appended since the snapshot begin in {@code out}
	 * @return up to where in the journal its records are copied, or -1 if the store began closing or undid changes
	 */
	private long catchUp(FileChannel out, long written, FileOutboxStore.Snapshot snapshot) throws IOException {
		long copiedTo = snapshot.size();
		while (true) {
			long end = this.store.endInFile(snapshot);
			if (end < 0) {
				return -1;
			}
			if (end - copiedTo < COPY_UNDER_MONITOR) {
				return copiedTo;
			}
			copy(snapshot.source(), copiedTo, end, out, written + copiedTo - snapshot.size());
			copiedTo = end;
		}
	}

	/** Copy a range of the journal into {@code out} at {@code at}, forcing {@code out} every few megabytes. */
	static void copy(FileChannel source, long from, long to, FileChannel out, long at) throws IOException {
		long copied = 0;
		while (from + copied < to) {
			long piece = Math.min(FORCE_EVERY, to - from - copied);
			long end = copied + piece;
			while (copied < end) {
				copied += source.transferTo(from + copied, end - copied, out.position(at + copied));
			}
			out.force(false);
		}
	}

	/**
	 * Close the journal that compaction replaced, outside the store's monitor. Closing the last handle of a replaced
	 * file frees its blocks and drops its cached pages, which for a gigabyte took 865 ms, and the writers' forces
	 * meanwhile took 150 to 200 ms each; cutting it short a piece at a time first spreads that out.
	 */
	static void release(FileChannel replaced) {
		try (replaced) {
			for (long length = replaced.size(); length > 0;) {
				length = Math.max(0, length - RELEASE_STEP);
				replaced.truncate(length);
			}
		}
		catch (IOException ex) {
			logger.log(System.Logger.Level.WARNING, "Releasing the journal that compaction replaced failed", ex);
		}
	}

	/**
	 * Where the payload of each live operation can be read, from the entries of the payload-position map. Both are in
	 * id order when ids only grow, as an outbox makes them, so each entry is first looked for right after the last
	 * one found, and searched for only if it is not there (or not live any more).
	 */
	private static long[] payloadPositions(List<Operation> live, PayloadPositions.Entries entries) {
		long[] at = new long[live.size()];
		Arrays.fill(at, -1);
		int next = 0;
		for (int entry = 0; entry < entries.ids().length; entry++) {
			String id = entries.ids()[entry];
			int found = (next < live.size() && live.get(next).id().equals(id)) ? next : indexOf(live, id);
			if (found >= 0) {
				at[found] = entries.positions()[entry];
				next = found + 1;
			}
		}
		return at;
	}

	/** @return where the operation with the id is in a list in id order, or -1 */
	private static int indexOf(List<Operation> inIdOrder, String id) {
		// Random access, so that the search reads log n ids rather than walking the list.
		final class Ids extends AbstractList<String> implements RandomAccess {

			@Override
			public String get(int index) {
				return inIdOrder.get(index).id();
			}

			@Override
			public int size() {
				return inIdOrder.size();
			}

		}
		return Math.max(-1, Collections.binarySearch(new Ids(), id));
	}

	private static PayloadPositions positionsAt(List<Operation> live, long[] positions) {
		PayloadPositions map = new PayloadPositions(live.size());
		for (int i = 0; i < positions.length; i++) {
			map.put(live.get(i).id(), positions[i]);
		}
		return map;
	}

}
