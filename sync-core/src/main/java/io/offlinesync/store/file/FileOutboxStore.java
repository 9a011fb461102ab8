package io.offlinesync.store.file;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

import io.offlinesync.Operation;
import io.offlinesync.StoreException;
import io.offlinesync.StoreFormatException;
import io.offlinesync.StoreLockedException;
import io.offlinesync.store.IndexedOutboxStore;

/**
 * The embedded store: an append-only journal in one directory, crash-safe and readable by a person. The journal's
 * format is described in the {@linkplain io.offlinesync.store.file package documentation}.
 *
 * <p>This class is the facade of the parts that do the work: {@link StoreLock} (one writer per directory),
 * {@link JournalLoader} (recovery at open), {@link JournalWriter} (appends, padding and the full-disk reserve),
 * {@link GroupCommit} (many changes share one force), {@link PayloadReader} (payloads stay on disk) and
 * {@link Compactor} (rewrites the live state in the background). The state of every operation, but for its payload,
 * lives in the index on the heap.
 *
 * <h2>Guarantees</h2> A change is written and, unless fsync is off, forced to disk before the call returns. A failed
 * write or force is cut off again and the call throws, leaving memory equal to disk. An enqueue makes one record with
 * the whole operation; a state change makes a small one without the payload, so that a store that filled its disk can
 * still record deliveries: it keeps padding ahead of its records as a reserve for them, and refuses enqueues that
 * would eat into it. On open, every intact record is kept and what was dropped is reported by {@link #recovery()};
 * operations the previous process left in flight are requeued by the first sweep. A payload that cannot be read back
 * at run time quarantines its operation only.
 *
 * @since 0.1.0
 */
public final class FileOutboxStore extends IndexedOutboxStore {

	static final String JOURNAL = "outbox.journal";

	static final String LOCK = StoreLock.FILE;

	/** How the copies of damaged journals are named, before the time they were made in milliseconds. */
	static final String DAMAGED_PREFIX = JournalLoader.DAMAGED_PREFIX;

	/** How many copies of damaged journals {@link #open(Path)} keeps: enough to compare, bounded on disk. */
	public static final int DEFAULT_DAMAGED_COPIES_TO_KEEP = 3;

	private static final System.Logger logger = System.getLogger(FileOutboxStore.class.getName());

	private final Path directory;

	private final Path journal;

	private final FileStoreSettings settings;

	private final StoreLock lock;

	private final JournalFormat format = new JournalFormat();

	private final JournalWriter writer;

	private final GroupCommit commit;

	private final PayloadReader payloads;

	private final Compactor compactor;

	/** Previous states of what each non-durable write changed, oldest first; guarded by the monitor. */
	private final ArrayDeque<Undo> undo = new ArrayDeque<>();

	/** Each thread encodes its inserts into a buffer of its own, reused while it stays small (warm in the cache). */
	private final ThreadLocal<RecordBuffer> insertBuffers = ThreadLocal.withInitial(() -> new RecordBuffer(1 << 16));

	/** Reused for every write but inserts; guarded by the monitor. */
	private RecordBuffer writeBuffer = new RecordBuffer(1 << 16);

	/** Records in the journal; guarded by the monitor. */
	private long records;

	/** How many times non-durable changes were undone; a compaction whose snapshot may hold them is abandoned. */
	private long rollbacks;

	private volatile boolean closing;

	/** Until the journal is read: nothing read, nothing dropped. */
	private RecoveryReport recovery = new RecoveryReport(0, List.of(), null);

	private FileOutboxStore(Path directory, FileStoreSettings settings) throws IOException {
		this.directory = directory;
		this.journal = directory.resolve(JOURNAL);
		this.settings = settings;
		this.lock = StoreLock.acquire(directory);
		this.writer = new JournalWriter(this.journal, settings);
		this.commit = new GroupCommit(new CommitJournal(), this, settings);
		this.payloads = new PayloadReader(this.format, this.writer, settings.payloadCache());
		this.compactor = new Compactor(this, this.journal, settings, this.format);
	}

	/**
	 * Open (or create) the store in a directory, with fsync on.
	 * @param directory the directory; created if missing
	 * @return the open store
	 * @throws StoreLockedException if another store has it open
	 * @throws StoreFormatException if its journal is of an unknown format
	 * @throws StoreException if it cannot be read or created
	 */
	public static FileOutboxStore open(Path directory) {
		return open(directory, FileStoreSettings.DEFAULTS);
	}

	/**
	 * Open (or create) the store in a directory.
	 * @param directory the directory; created if missing
	 * @param fsync whether every change is forced to disk before it returns
	 * @return the open store
	 */
	public static FileOutboxStore open(Path directory, boolean fsync) {
		return open(directory, FileStoreSettings.DEFAULTS.withFsync(fsync));
	}

	/**
	 * Open (or create) the store in a directory.
	 * @param directory the directory; created if missing
	 * @param fsync whether every change is forced to disk before it returns
	 * @param damagedCopiesToKeep how many copies of journals in which recovery found damage to keep, at least 1:
	 * when recovery makes a new one, the oldest beyond this many are deleted
	 * @return the open store
	 */
	public static FileOutboxStore open(Path directory, boolean fsync, int damagedCopiesToKeep) {
		return open(directory, FileStoreSettings.DEFAULTS.withFsync(fsync).withDamagedCopiesToKeep(damagedCopiesToKeep));
	}

	static FileOutboxStore open(Path directory, FileStoreSettings settings) {
		Objects.requireNonNull(directory, "'directory' must not be null");
		Path absolute = directory.toAbsolutePath();
		try {
			Files.createDirectories(absolute);
		}
		catch (IOException ex) {
			throw new StoreException("Cannot create the outbox directory '" + absolute + "': " + ex, ex);
		}
		FileOutboxStore store;
		try {
			store = new FileOutboxStore(absolute, settings);
		}
		catch (IOException ex) {
			throw new StoreException("Cannot open the lock file in '" + absolute + "': " + ex, ex);
		}
		try {
			store.load();
			store.abandonClaimsOfTheLastProcess();
			return store;
		}
		catch (IOException ex) {
			store.close();
			throw new StoreException("Cannot open the outbox journal '" + store.journal + "': " + ex, ex);
		}
		catch (RuntimeException ex) {
			store.close();
			throw ex;
		}
	}

	private synchronized void load() throws IOException {
		Files.deleteIfExists(this.directory.resolve(JOURNAL + ".tmp"));
		if (!Files.exists(this.journal)) {
			this.writer.create();
			this.recovery = new RecoveryReport(0, List.of(), null);
			return;
		}
		JournalLoader.Loaded loaded = new JournalLoader(this.journal, this.settings, this.format).load();
		index().putAll(loaded.live());
		this.payloads.positions(loaded.positions());
		this.records = loaded.records();
		this.recovery = loaded.report();
		this.writer.open(loaded.recordsEnd());
		this.compactor.opened(loaded.version());
		// A journal that has outgrown its live records, as one left by a process stopped during a compaction, is
		// compacted in the background like after any change: rewriting a million records here held opening up for
		// 8 to 10 seconds.
		afterChange();
	}

	/**
	 * Operations the previous process left in flight cannot have a live claimer: this store holds the directory's
	 * exclusive lock. The first stale-claim sweep requeues them, instead of waiting for the in-flight timeout.
	 */
	private void abandonClaimsOfTheLastProcess() {
		int abandoned = abandonClaimsInFlight();
		if (abandoned > 0) {
			this.recovery = this.recovery.withRequeuedClaims(abandoned);
			logger.log(System.Logger.Level.INFO, () -> "Outbox journal " + this.journal + ": " + abandoned
					+ " operations were left in flight by the previous process; the first sweep requeues them");
		}
	}

	/** @return the directory that holds the store */
	public Path directory() {
		return this.directory;
	}

	/** @return what opening the store found */
	public RecoveryReport recovery() {
		return this.recovery;
	}

	/** @return counts of what the store has done since it opened, for meters and tests */
	public synchronized FileStoreStatistics statistics() {
		return new FileStoreStatistics(this.records, this.compactor.isRunning(), this.compactor.compactions(),
				this.compactor.failures(), this.payloads.cacheHits(), this.payloads.journalReads(),
				quarantined().size());
	}

	/**
	 * New operations are encoded before the store's monitor is taken, so that concurrent enqueues encode in parallel
	 * and hold the monitor only to append.
	 */
	@Override
	public void insert(List<Operation> operations) {
		RecordBuffer bytes = this.insertBuffers.get();
		bytes.clear();
		long[] starts = new long[operations.size()];
		for (int i = 0; i < starts.length; i++) {
			starts[i] = bytes.length();
			this.format.put(operations.get(i), bytes);
		}
		try {
			// The operations travel with their records: the thread that applies the change may be another writer's.
			super.insert(new EncodedInsert(operations, bytes, starts));
		}
		finally {
			if (bytes.length() > (1 << 20)) {
				this.insertBuffers.remove();
			}
		}
	}

	@Override
	protected long persist(List<Operation> upserts, List<String> removals) {
		RecordBuffer bytes;
		long[] inserted;
		boolean inserting = upserts instanceof EncodedInsert && removals.isEmpty();
		if (inserting) {
			EncodedInsert encoded = (EncodedInsert) upserts;
			bytes = encoded.bytes();
			inserted = encoded.starts();
			this.writer.requireRoomForInsert(bytes.length(), reserveFor(index().activeCount() + upserts.size()));
		}
		else {
			bytes = this.writeBuffer;
			bytes.clear();
			// A known operation's change is a small record without its payload; only a new one carries the payload.
			inserted = new long[upserts.size()];
			for (int i = 0; i < upserts.size(); i++) {
				Operation operation = upserts.get(i);
				if (index().get(operation.id()) == null) {
					inserted[i] = bytes.length();
					this.format.put(operation, bytes);
				}
				else {
					inserted[i] = -1;
					this.format.stateChange(operation, bytes);
				}
			}
			for (String id : removals) {
				this.format.delete(id, bytes);
				this.payloads.forget(id);
			}
		}
		long offset = this.writer.size();
		boolean held = this.writer.appendOrHold(bytes.asByteBuffer());
		// A large write starts its force now, before the bookkeeping below: should that force fail, its rollback needs
		// the monitor, so it sees the undo entry made here.
		long seq = this.settings.fsync() ? this.commit.written(held, bytes.length()) : 0;
		for (int i = 0; i < inserted.length; i++) {
			if (inserted[i] >= 0) {
				this.payloads.positions().put(upserts.get(i).id(), offset + inserted[i]);
			}
		}
		if (this.writeBuffer.length() > (1 << 20)) {
			// Do not keep a huge buffer around after a large batch.
			this.writeBuffer = new RecordBuffer(1 << 16);
		}
		this.records += upserts.size() + removals.size();
		if (!this.settings.fsync()) {
			return 0;
		}
		List<String> ids = new ArrayList<>(upserts.size() + removals.size());
		upserts.forEach((operation) -> ids.add(operation.id()));
		ids.addAll(removals);
		// New operations have no previous state to restore.
		List<Operation> previous = null;
		if (!inserting) {
			previous = new ArrayList<>(ids.size());
			for (String id : ids) {
				previous.add(index().get(id));
			}
		}
		while (!this.undo.isEmpty() && this.undo.peekFirst().seq() <= this.commit.durable()) {
			this.undo.pollFirst();
		}
		this.undo.addLast(new Undo(seq, ids, previous, offset));
		return seq;
	}

	/** The padding to keep for recording the delivery of this many operations on a full disk. */
	private long reserveFor(long active) {
		return active * this.settings.reservePerOperation();
	}

	@Override
	protected void awaitDurable(long ticket) {
		this.commit.awaitDurable(ticket);
	}

	@Override
	protected Operation indexed(Operation operation) {
		return this.payloads.indexed(operation);
	}

	@Override
	protected Operation materialized(Operation indexed) {
		return this.payloads.materialized(indexed);
	}

	@Override
	protected void afterChange() {
		// Here, not in persist: the index (its counts, and a compaction's snapshot) includes the change just made.
		this.writer.reserve(reserveFor(index().activeCount()));
		this.compactor.afterChange(this.records, index().size(), this.closing);
	}

	/**
	 * Undo every change that is not durable: cut the file back to its durable length and restore the previous states
	 * in memory, newest first; the calls that made them throw.
	 */
	private StoreException rollBack(IOException cause, String action) {
		synchronized (this) {
			String message = "Could not " + action + " '" + this.journal + "' (" + cause
					+ "); the change was not stored: the changes since the last durable write were undone";
			return this.commit.rollBack(message, cause, (from) -> {
				long cutTo = this.writer.size();
				Iterator<Undo> newestFirst = this.undo.descendingIterator();
				while (newestFirst.hasNext()) {
					Undo change = newestFirst.next();
					if (change.seq() < from) {
						break;
					}
					for (int i = change.ids().size() - 1; i >= 0; i--) {
						Operation previous = (change.previous() != null) ? change.previous().get(i) : null;
						if (previous != null) {
							index().put(previous);
						}
						else {
							index().remove(change.ids().get(i));
						}
					}
					cutTo = change.offset();
					newestFirst.remove();
				}
				this.writer.cutBackTo(cutTo, cause);
				this.rollbacks++;
			});
		}
	}

	/** With the monitor held: what a compaction writes, or {@literal null} if it has to wait. */
	@Nullable Snapshot snapshot() {
		try {
			// The compaction reads the live records from the file.
			this.writer.writeHeld();
			this.commit.heldWritten();
		}
		catch (IOException ex) {
			logger.log(System.Logger.Level.DEBUG, "Compaction of " + this.journal + " postponed", ex);
			return null;
		}
		// Only copies are made under the monitor; the payloads' positions are looked up on the compactor's thread.
		return new Snapshot(new ArrayList<>(index().all()), this.payloads.positions().entries(), this.writer.channel(),
				this.writer.size(), this.records, this.rollbacks);
	}

	/** @return where the records in the file end now, or -1 if a compaction of this snapshot must give up */
	synchronized long endInFile(Snapshot snapshot) {
		if (this.closing || this.rollbacks != snapshot.rollbacks()) {
			return -1;
		}
		// Held records are not in the file yet; everything before them is, whole.
		return this.writer.size() - this.writer.heldLength();
	}

	String readPayload(FileChannel source, long position, String id) throws IOException {
		return this.payloads.read(source, position, id);
	}

	boolean isClosing() {
		return this.closing;
	}

	/**
	 * Copy what was appended since {@code copiedTo} and put the compacted file in place, once no force runs (a force
	 * that fails needs the monitor to roll back, so it is never waited for while holding it).
	 * @param moved where the snapshot's operations are in the compacted file
	 * @return whether the journal was replaced; not if the store is closing or changes of the snapshot were undone
	 */
	boolean switchTo(Path temporary, long written, long copiedTo, Snapshot snapshot, PayloadPositions moved)
			throws IOException {
		FileChannel replaced = null;
		try {
			while (true) {
				synchronized (this) {
					if (this.closing || isClosed() || this.rollbacks != snapshot.rollbacks()) {
						return false;
					}
					if (this.commit.tryBeginExclusive()) {
						boolean switched = false;
						try {
							this.writer.writeHeld();
							this.commit.heldWritten();
							long end = this.writer.size();
							try (FileChannel out = this.settings.opener().open(temporary, StandardOpenOption.WRITE)) {
								Compactor.copy(this.writer.channel(), copiedTo, end, out,
										written + copiedTo - snapshot.size());
							}
							Files.move(temporary, this.journal, StandardCopyOption.ATOMIC_MOVE,
									StandardCopyOption.REPLACE_EXISTING);
							JournalWriter.forceDirectory(this.directory);
							this.records = snapshot.live().size() + (this.records - snapshot.records());
							// Operations added since the snapshot have their records in the tail, now after the live
							// ones.
							this.payloads.positions().forEach((id, position) -> {
								if (position >= snapshot.size()) {
									moved.put(id, written + position - snapshot.size());
								}
							});
							this.payloads.positions(moved);
							replaced = this.writer.replace(written + end - snapshot.size());
							this.undo.clear();
							switched = true;
							return true;
						}
						finally {
							// The new journal was forced whole: everything written so far is durable.
							this.commit.endExclusive(switched);
						}
					}
				}
				this.commit.awaitNoForce();
			}
		}
		finally {
			if (replaced != null) {
				Compactor.release(replaced);
			}
		}
	}

	@Override
	public void close() {
		// A compaction in progress gives up (the journal it would replace stays valid) before the files go away.
		this.closing = true;
		try {
			this.compactor.awaitEnd();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		// Forces already started run to their end, before the channel goes away under them.
		this.commit.close();
		super.close();
	}

	@Override
	protected void onClose() {
		this.writer.close();
		this.lock.close();
	}

	@Override
	public String toString() {
		return "FileOutboxStore[" + this.directory + "]";
	}

	/** What the group commit needs of this store. */
	private final class CommitJournal implements GroupCommit.Journal {

		@Override
		public boolean isHolding() {
			return FileOutboxStore.this.writer.isHolding();
		}

		@Override
		public void writeHeld() throws IOException {
			synchronized (FileOutboxStore.this) {
				FileOutboxStore.this.writer.writeHeld();
				FileOutboxStore.this.commit.heldWritten();
			}
		}

		@Override
		public FileChannel channel() {
			return FileOutboxStore.this.writer.channel();
		}

		@Override
		public StoreException rollBack(IOException cause, String action) {
			return FileOutboxStore.this.rollBack(cause, action);
		}

	}

	/**
	 * The previous state of each id a write changed ({@literal null}: it did not exist; a {@literal null} list: none
	 * did), and where the write began.
	 */
	private record Undo(long seq, List<String> ids, @Nullable List<Operation> previous, long offset) {
	}

	/**
	 * What a background compaction writes: the live operations in id order, where payloads were then, and the
	 * journal's length and records.
	 */
	record Snapshot(List<Operation> live, PayloadPositions.Entries positions, FileChannel source, long size,
			long records, long rollbacks) {
	}

}
