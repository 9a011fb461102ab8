package io.offlinesync.store.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.AbstractList;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.RandomAccess;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.offlinesync.Operation;
import io.offlinesync.StoreException;
import io.offlinesync.StoreFormatException;
import io.offlinesync.StoreLockedException;
import io.offlinesync.store.IndexedOutboxStore;
import io.offlinesync.store.OperationIndex;

/**
 * The embedded store: an append-only journal in one directory, crash-safe and readable by a person.
 *
 * <h2>Files</h2>
 * <ul>
 * <li>{@code outbox.journal}: the journal. Its first line is a header,
 * {@code {"format":"offline-sync-journal","version":1}}; every further line is one record,
 * {@code <CRC32C of the JSON, 8 hex digits> <JSON>}, either {@code {"type":"put","op":{…}}} (the full new state of an
 * operation) or {@code {"type":"del","id":"…"}}. The last record of an id wins. {@code cut -c10- outbox.journal}
 * shows the JSON.</li>
 * <li>{@code outbox.lock}: held with an OS file lock while the store is open, so a second writer fails at once.</li>
 * <li>{@code outbox.journal.damaged-<millis>}: a copy of a journal in which recovery found damage; the newest
 * {@link #DEFAULT_DAMAGED_COPIES_TO_KEEP} (or as many as configured) are kept.</li>
 * </ul>
 *
 * <h2>Guarantees</h2> A change is written and, unless fsync is turned off, forced to disk before the call returns.
 * A failed write is cut off again and the call throws, leaving memory equal to disk. On open, a torn last record is
 * cut off, a damaged record in the middle is skipped without losing the records after it, and what was dropped is
 * logged, reported by {@link #recovery()} and kept in a copy of the damaged file; then the damage is cleared from
 * the journal in place (the torn record cut off, a damaged one overwritten with line feeds). Superseded records are
 * compacted away by rewriting the live state to a temporary file, forcing it, and moving it over the journal
 * atomically.
 *
 * <h2>Group commit</h2> Changes are applied one at a time under the store's lock (by whichever caller finds the
 * lock free, for every caller queued: see {@link IndexedOutboxStore}). With fsync on, a small record is only copied to
 * a buffer there; the leader of the next force writes everything buffered with one call and forces the file outside
 * the lock, and one force covers every change written before it started, so concurrent callers share forces and
 * system calls. Callers waiting for a force park and are woken when it covers them. A write of 64 KB or more (a large
 * {@code enqueueAll}) is written at once and has its force started on a thread of the store, while the writer updates
 * the index. A call returns once its change is forced. If a write or a force fails, every change not yet durable is
 * cut off the file and undone in memory, and the calls that made them throw.
 *
 * <h2>Preallocation</h2> With fsync on, the journal is extended ahead of its records with line feeds, a megabyte at a
 * time: forcing a write that does not change the file's length spares the file system a metadata update, which on
 * ext4 nearly halves the cost of each force. The padding reads as blank lines; recovery ignores it (and line feeds
 * or zero bytes after the last record), and closing the store cuts it off.
 *
 * <h2>Limits</h2> Every operation's state lives on the heap; payloads stay on disk (the last 512 used are cached).
 *
 * @since 0.1.0
 */
public final class FileOutboxStore extends IndexedOutboxStore {

	static final String JOURNAL = "outbox.journal";

	static final String LOCK = "outbox.lock";

	/** How the copies of damaged journals are named, before the time they were made in milliseconds. */
	static final String DAMAGED_PREFIX = JOURNAL + ".damaged-";

	private static final System.Logger logger = System.getLogger(FileOutboxStore.class.getName());

	/** Compact once the journal holds more than twice the live operations plus this many records. */
	static final long DEFAULT_COMPACTION_SLACK = 10_000;

	/** How far the journal is extended ahead of its records, with fsync on. */
	static final int PREALLOCATION = 1 << 20;

	/** A write longer than this extends the journal by its own length only: padding it would double its bytes. */
	private static final int PREALLOCATE_BELOW = PREALLOCATION / 16;

	/** Line feeds written as padding, shared read-only. */
	private static final ByteBuffer PADDING = ByteBuffer.allocateDirect(1 << 16);

	static {
		while (PADDING.hasRemaining()) {
			PADDING.put((byte) '\n');
		}
		PADDING.flip();
	}

	/**
	 * How long a writer that could lead a force parks for the rest of the last force's writers to join it, when that
	 * force covered 16 writes (longer after fewer, not at all after more); see {@link #gatherWindowNanos}.
	 */
	static final Duration GATHER_WAIT = Duration.ofNanos(200_000);

	/** How many copies of damaged journals {@link #open(Path)} keeps: enough to compare, bounded on disk. */
	public static final int DEFAULT_DAMAGED_COPIES_TO_KEEP = 3;

	/** After a force of more writes than this, the next one starts without gathering; see {@link #gatherWindowNanos}. */
	private static final int MOST_TO_GATHER = 16;

	/**
	 * A write at least this long has its force started at once on another thread, so that the disk works while the
	 * writer is still updating the index under the monitor.
	 */
	private static final int FORCE_AHEAD_FROM = 1 << 16;

	private static final Thread[] NO_THREADS = {};

	/** How much a compaction writes between forces of its file. */
	private static final int FORCE_EVERY = 4 << 20;

	/** How much of a replaced journal is cut off at a time before it is closed; see {@link #release}. */
	private static final long RELEASE_STEP = 32 << 20;

	/** A compaction copies the records appended meanwhile under the store's monitor once fewer than this are left. */
	private static final int COPY_UNDER_MONITOR = 1 << 18;

	/** The most bytes held for the next force's leader to write; past it, writers write themselves. */
	private static final int MAX_PENDING = 1 << 18;

	private final Path directory;

	private final Path journal;

	private final boolean fsync;

	private final long compactionSlack;

	private final int damagedCopiesToKeep;

	private final ChannelOpener opener;

	private final long gatherWaitNanos;

	/** Group commit: what is durable and who forces, guarded by {@code syncState}. */
	private final Object syncState = new Object();

	/** How many writes were appended; written under the store's monitor only. */
	private volatile long writtenSeq;

	private volatile long durableSeq;

	/** How many writes the last force covered: how many the next leader waits for. */
	private volatile long lastBatch = 1;

	private boolean syncing;

	/**
	 * The one writer that waits, until a deadline, for others to join the force it will lead; guarded by
	 * {@code syncState}. While it does, other writers wait without a deadline of their own.
	 */
	private Waiter gatherer;

	/** Writers parked until their write is durable or they may lead a force; guarded by {@code syncState}. */
	private final List<Waiter> waiters = new ArrayList<>();

	/**
	 * Ranges of writes undone by a failed force, replaced (never changed) under {@code syncState}, so that a released
	 * writer can tell its outcome without taking a lock. A range is published before any later force makes
	 * {@code durableSeq} pass it.
	 */
	private volatile long[][] rolledBack = new long[0][];

	private volatile StoreException rollbackCause;

	/** Previous states of what each non-durable write changed, oldest first; guarded by the store's monitor. */
	private final ArrayDeque<Undo> undo = new ArrayDeque<>();

	private final JournalCodec codec = new JournalCodec();

	/** Each thread encodes its inserts into a buffer of its own, reused while it stays small (warm in the cache). */
	private final ThreadLocal<JournalCodec.Buffer> insertBuffers = ThreadLocal
		.withInitial(() -> new JournalCodec.Buffer(1 << 16));

	/** Reused for every write but inserts; guarded by the store's monitor. */
	private JournalCodec.Buffer writeBuffer = new JournalCodec.Buffer(1 << 16);

	private final FileChannel lockChannel;

	private final FileLock lock;

	private FileChannel channel;

	/** Where the next record goes: the end of the last one, including those still {@code pending}. */
	private long size;

	/**
	 * Small records appended (with fsync on) but not yet written to the file: the next force's leader writes them
	 * all with one call, so that appending, which writers do one at a time, costs a copy instead of a system call.
	 * They end the journal at {@code size}; the file holds everything before.
	 */
	private final JournalCodec.Buffer pending = new JournalCodec.Buffer(1 << 16);

	/** Whether {@code pending} holds records; written under the store's monitor, read by force leaders without it. */
	private volatile boolean holding;

	/** The last write whose bytes are all in the file (none of them held); written under the store's monitor. */
	private volatile long fileSeq;

	/** The journal file's length: from {@code size} on, it holds padding only. */
	private long allocated;

	/** After a failed preallocation, the size from which to try again. */
	private long preallocateAgainAt;

	private long records;

	private boolean tailDirty;

	private RecoveryReport recovery;

	/**
	 * The payload of every operation the index keeps: a distinct empty string, told apart by identity. Payloads stay
	 * on disk and are read back from the journal when an operation leaves the store, so that a large queue does not
	 * have to fit in the heap.
	 */
	static final String ON_DISK = new String();

	/** Payloads read or written lately: a claimed operation is usually completed soon after. */
	private static final int RECENT_PAYLOADS = 512;

	/** Where each payload is on disk; guarded by the store's monitor. */
	private PayloadPositions positions = new PayloadPositions();

	private final Map<String, String> recentPayloads = new LinkedHashMap<>(RECENT_PAYLOADS * 2, 0.75f, true) {
		@Override
		protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
			return size() > RECENT_PAYLOADS;
		}
	};

	/** The background compaction in progress, if any; guarded by the store's monitor. */
	private Thread compactor;

	/** Starts the forces of large writes; created with the first, guarded by the store's monitor. */
	private ExecutorService forceAhead;

	/** The last write whose force was started ahead: its writer leaves the forcing to that thread. */
	private volatile long forcedAheadSeq;

	private volatile boolean closing;

	/** How many times non-durable changes were undone; a compaction whose snapshot may hold them is abandoned. */
	private long rollbacks;

	private FileOutboxStore(Path directory, Settings settings) throws IOException {
		this.directory = directory;
		this.journal = directory.resolve(JOURNAL);
		this.fsync = settings.fsync();
		this.compactionSlack = settings.compactionSlack();
		this.damagedCopiesToKeep = settings.damagedCopiesToKeep();
		this.opener = settings.opener();
		this.gatherWaitNanos = settings.gatherWait().toNanos();
		Path lockFile = directory.resolve(LOCK);
		this.lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
		FileLock acquired;
		boolean heldInThisProcess = false;
		try {
			acquired = this.lockChannel.tryLock();
		}
		catch (OverlappingFileLockException ex) {
			// The JVM keeps the locks of all its channels: another store instance of this process holds it.
			acquired = null;
			heldInThisProcess = true;
		}
		if (acquired == null) {
			this.lockChannel.close();
			throw new StoreLockedException(lockFile, heldInThisProcess);
		}
		this.lock = acquired;
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
		return open(directory, true);
	}

	/**
	 * Open (or create) the store in a directory.
	 * @param directory the directory; created if missing
	 * @param fsync whether each change is forced to disk before it returns; without it a power loss (not a process
	 * crash) can lose the last changes
	 * @return the open store
	 */
	public static FileOutboxStore open(Path directory, boolean fsync) {
		return open(directory, fsync, DEFAULT_DAMAGED_COPIES_TO_KEEP);
	}

	/**
	 * Open (or create) the store in a directory.
	 * @param directory the directory; created if missing
	 * @param fsync whether each change is forced to disk before it returns
	 * @param damagedCopiesToKeep how many copies of journals in which recovery found damage to keep, at least 1:
	 * when recovery makes a new one, the oldest beyond this many are deleted
	 * @return the open store
	 * @throws IllegalArgumentException if {@code damagedCopiesToKeep} is below 1
	 */
	public static FileOutboxStore open(Path directory, boolean fsync, int damagedCopiesToKeep) {
		if (damagedCopiesToKeep < 1) {
			throw new IllegalArgumentException("'damagedCopiesToKeep' must be at least 1 (the copy recovery has just "
					+ "made), was " + damagedCopiesToKeep);
		}
		return open(directory,
				new Settings(fsync, DEFAULT_COMPACTION_SLACK, FileChannel::open, GATHER_WAIT, damagedCopiesToKeep));
	}

	static FileOutboxStore open(Path directory, Settings settings) {
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

	private synchronized void load() throws IOException {
		Files.deleteIfExists(this.directory.resolve(JOURNAL + ".tmp"));
		if (!Files.exists(this.journal)) {
			createJournal();
			this.recovery = new RecoveryReport(0, List.of(), null);
			return;
		}
		List<RecoveryReport.DroppedRecord> dropped = new ArrayList<>();
		long read = 0;
		SharedStrings shared = new SharedStrings();
		long recordsEnd;
		RecoveryReport.DroppedRecord torn = null;
		try (FileChannel in = FileChannel.open(this.journal, StandardOpenOption.READ)) {
			recordsEnd = endOfRecords(in);
			// A record with a payload of a few hundred bytes takes about 550; sized so, the maps rarely grow.
			int expectedRecords = (int) Math.min(recordsEnd / 550, 1 << 24);
			this.positions = new PayloadPositions(expectedRecords);
			long position = checkHeader(in, recordsEnd);
			// Records are decoded in parallel, a run of lines at a time, and taken in journal order here.
			ParallelDecoder decoder = new ParallelDecoder(this.codec, shared);
			LatestStates latest = new LatestStates(expectedRecords);
			try {
				while (position < recordsEnd || decoder.hasInFlight()) {
					if (position < recordsEnd && decoder.hasRoom()) {
						LineBatch batch = LineBatch.read(in, position, recordsEnd);
						position = batch.end();
						decoder.submit(batch);
					}
					else {
						LineBatch batch = decoder.next();
						read += takeRecords(batch, latest, dropped);
						RecoveryReport.DroppedRecord tornLine = batch.tornLine();
						if (tornLine != null) {
							torn = tornLine;
						}
					}
				}
				if (torn == null) {
					torn = tornBeforePadding(in, dropped, recordsEnd);
				}
				if (torn != null) {
					dropped.add(torn);
				}
				latest.putInto(index());
			}
			finally {
				decoder.close();
			}
		}
		Path damagedCopy = null;
		if (!dropped.isEmpty()) {
			damagedCopy = keepDamagedCopy();
			for (RecoveryReport.DroppedRecord record : dropped) {
				logger.log(System.Logger.Level.WARNING, "Outbox journal " + this.journal + ": dropped " + record.length()
						+ " bytes at offset " + record.offset() + ": " + record.reason());
			}
			logger.log(System.Logger.Level.WARNING, "Outbox journal " + this.journal + ": kept " + read
					+ " intact records; the journal as found is kept in " + damagedCopy);
		}
		this.recovery = new RecoveryReport(read, dropped, damagedCopy);
		this.channel = this.opener.open(this.journal, StandardOpenOption.READ, StandardOpenOption.WRITE);
		if (!dropped.isEmpty()) {
			recordsEnd = clearDamage(dropped, torn, recordsEnd);
		}
		this.size = recordsEnd;
		this.allocated = this.channel.size();
		this.records = read;
		// A journal that has outgrown its live records, as one left by a process stopped during a compaction, is
		// compacted in the background like after any change: rewriting a million records here held opening up for
		// 8 to 10 seconds.
		afterChange();
	}

	/**
	 * Copy the journal as found to {@code outbox.journal.damaged-<millis>}, and delete the oldest such copies beyond
	 * the number to keep: a device that loses power often would otherwise fill its disk with them.
	 */
	private Path keepDamagedCopy() throws IOException {
		long millis = System.currentTimeMillis();
		Path copy;
		while (true) {
			copy = this.directory.resolve(DAMAGED_PREFIX + millis);
			try {
				Files.copy(this.journal, copy, StandardCopyOption.COPY_ATTRIBUTES);
				break;
			}
			catch (FileAlreadyExistsException ex) {
				// Another recovery in the same millisecond; the names still sort by age.
				millis++;
			}
		}
		List<Path> copies = new ArrayList<>();
		try (DirectoryStream<Path> files = Files.newDirectoryStream(this.directory, DAMAGED_PREFIX + "*")) {
			for (Path file : files) {
				// The new copy stays whatever the others are named, even if the clock went back since they were made.
				if (damagedCopyMillis(file) >= 0 && !file.equals(copy)) {
					copies.add(file);
				}
			}
			copies.sort(Comparator.comparingLong(FileOutboxStore::damagedCopyMillis).reversed());
			for (Path old : copies.subList(Math.min(this.damagedCopiesToKeep - 1, copies.size()), copies.size())) {
				Files.deleteIfExists(old);
				logger.log(System.Logger.Level.INFO, "Deleted " + old + ": only the newest " + this.damagedCopiesToKeep
						+ " copies of damaged journals are kept");
			}
		}
		catch (IOException ex) {
			// The new copy is made; old ones stay until the next recovery tries again.
			logger.log(System.Logger.Level.WARNING, "Could not delete old copies of damaged journals in "
					+ this.directory, ex);
		}
		return copy;
	}

	/** @return the time in the name of a file matching {@code DAMAGED_PREFIX*}, or -1 if no time follows it */
	private static long damagedCopyMillis(Path file) {
		try {
			return Long.parseLong(file.getFileName().toString().substring(DAMAGED_PREFIX.length()));
		}
		catch (NumberFormatException ex) {
			return -1;
		}
	}

	/**
	 * Clear what recovery dropped from the journal, in place, so that nothing is ever appended after damage and no
	 * intact record has to be written again: a torn last record is cut off, a damaged one in the middle becomes
	 * blank lines, which reading skips. Should this be cut short, what is left of the damage is dropped again.
	 * @return where the records now end
	 */
	private long clearDamage(List<RecoveryReport.DroppedRecord> dropped, RecoveryReport.DroppedRecord torn,
			long recordsEnd) throws IOException {
		ByteBuffer blank = ByteBuffer.allocate(1 << 16);
		Arrays.fill(blank.array(), (byte) '\n');
		for (RecoveryReport.DroppedRecord record : dropped) {
			if (record == torn) {
				continue;
			}
			for (long done = 0; done < record.length();) {
				blank.clear().limit((int) Math.min(blank.capacity(), record.length() - done));
				done += this.channel.write(blank, record.offset() + done);
			}
		}
		long end = recordsEnd;
		if (torn != null) {
			this.channel.truncate(torn.offset());
			end = torn.offset();
		}
		this.channel.force(true);
		return end;
	}

	/**
	 * A record that a crash cut short where the journal was padded ahead is followed by padding rather than by
	 * nothing, so it reads as a whole line that fails its checksum. It is told from damage by being the last line and
	 * not ending as every JSON record does; it is then taken out of {@code dropped} to be reported and cut off as torn.
	 * @return the torn record, or {@literal null} if the last line is not one
	 */
	private static RecoveryReport.DroppedRecord tornBeforePadding(FileChannel in,
			List<RecoveryReport.DroppedRecord> dropped, long recordsEnd) throws IOException {
		if (dropped.isEmpty()) {
			return null;
		}
		RecoveryReport.DroppedRecord last = dropped.get(dropped.size() - 1);
		// recordsEnd is just after the line feed of the last line.
		if (last.length() == 0 || last.offset() + last.length() + 1 != recordsEnd) {
			return null;
		}
		ByteBuffer lastByte = ByteBuffer.allocate(1);
		if (in.read(lastByte, recordsEnd - 2) != 1 || lastByte.get(0) == '}') {
			return null;
		}
		dropped.remove(dropped.size() - 1);
		return new RecoveryReport.DroppedRecord(last.offset(), last.length(),
				"torn last record (cut short: it does not end with '}')");
	}

	/**
	 * Note where each record of a decoded batch is and the state it leaves its operation in, in order. Only the
	 * latest state of each operation goes into the index, once the whole journal is read: a journal that has not been
	 * compacted for a while holds several records of many operations.
	 * @return how many were intact
	 */
	private int takeRecords(LineBatch batch, LatestStates latest, List<RecoveryReport.DroppedRecord> dropped) {
		int intact = 0;
		for (int i = 0; i < batch.count(); i++) {
			Object record = batch.decoded(i);
			if (record instanceof Operation operation) {
				latest.set(this.positions.put(operation.id(), batch.offset(i)), operation);
				intact++;
			}
			else if (record instanceof String deletedId) {
				// Its position stays until the next compaction, as at run time; nothing reads it.
				int entry = this.positions.entry(deletedId);
				if (entry >= 0) {
					latest.set(entry, null);
				}
				intact++;
			}
			else {
				dropped.add(new RecoveryReport.DroppedRecord(batch.offset(i), batch.length(i),
						((IllegalArgumentException) record).getMessage()));
			}
		}
		return intact;
	}

	/** The latest state of each operation read so far, by its entry in the payload positions; null once deleted. */
	private static final class LatestStates {

		private Operation[] states;

		private int size;

		LatestStates(int expected) {
			this.states = new Operation[Math.max(16, expected)];
		}

		void set(int entry, Operation state) {
			if (entry == this.states.length) {
				this.states = Arrays.copyOf(this.states, this.states.length * 2);
			}
			this.states[entry] = state;
			this.size = Math.max(this.size, entry + 1);
		}

		/** Fill the empty index with every operation not deleted, in the order they first appeared. */
		void putInto(OperationIndex index) {
			List<Operation> live = new ArrayList<>(this.size);
			for (int entry = 0; entry < this.size; entry++) {
				if (this.states[entry] != null) {
					live.add(this.states[entry]);
				}
			}
			this.states = null;
			index.putAll(live);
		}

	}

	/**
	 * Where the records of a journal end: after the line feed of its last record, or after the last byte of a torn
	 * one. What follows is padding (line feeds, or zero bytes where a crash kept padding from reaching the disk).
	 */
	static long endOfRecords(FileChannel in) throws IOException {
		ByteBuffer block = ByteBuffer.allocate(1 << 16);
		long end = in.size();
		// The byte after the one being looked at: the line end of the last record, if it has one.
		byte following = 0;
		while (end > 0) {
			int length = (int) Math.min(block.capacity(), end);
			block.clear().limit(length);
			long from = end - length;
			readFully(in, block, from);
			for (int i = length - 1; i >= 0; i--) {
				byte b = block.get(i);
				if (b != '\n' && b != 0) {
					return from + i + ((following == '\n') ? 2 : 1);
				}
				following = b;
			}
			end = from;
		}
		return 0;
	}

	/**
	 * Refuse a file that does not begin with the header of a journal in the format this store reads.
	 * @return where the records begin: after the header's line end
	 */
	private long checkHeader(FileChannel in, long recordsEnd) throws IOException {
		if (recordsEnd == 0) {
			throw new StoreFormatException("'" + this.journal + "' is not an offline-sync journal: it is empty");
		}
		// A header is a short line; whatever the file begins with, no more than this is read to find its end.
		ByteBuffer start = ByteBuffer.allocate((int) Math.min(recordsEnd, 4_096));
		readFully(in, start, 0);
		int headerEnd = JournalCodec.lineEnd(start.array(), 0, start.limit());
		int version;
		try {
			if (headerEnd == start.limit()) {
				throw new IllegalArgumentException((start.limit() == recordsEnd) ? "its header line is incomplete"
						: "its first line is longer than a journal header");
			}
			version = this.codec.readHeader(start.array(), headerEnd);
		}
		catch (IllegalArgumentException ex) {
			throw new StoreFormatException("'" + this.journal + "' is not an offline-sync journal: " + ex.getMessage());
		}
		if (version != JournalCodec.FORMAT_VERSION) {
			throw new StoreFormatException("'" + this.journal + "' has journal format version " + version
					+ "; this version of offline-sync reads version " + JournalCodec.FORMAT_VERSION + " only");
		}
		return headerEnd + 1;
	}

	/**
	 * New operations are encoded before the store's monitor is taken, so that concurrent enqueues encode in parallel
	 * and hold the monitor only to append.
	 */
	@Override
	public void insert(List<Operation> operations) {
		JournalCodec.Buffer bytes = this.insertBuffers.get();
		bytes.clear();
		long[] starts = new long[operations.size()];
		for (int i = 0; i < starts.length; i++) {
			starts[i] = bytes.length();
			this.codec.put(operations.get(i), bytes);
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
		JournalCodec.Buffer bytes;
		long[] inserted;
		boolean inserting = upserts instanceof EncodedInsert && removals.isEmpty();
		if (inserting) {
			EncodedInsert encoded = (EncodedInsert) upserts;
			bytes = encoded.bytes();
			inserted = encoded.starts();
		}
		else {
			bytes = this.writeBuffer;
			bytes.clear();
			// Every put record carries the whole operation, payload included, so that any intact one restores it.
			inserted = new long[upserts.size()];
			for (int i = 0; i < upserts.size(); i++) {
				Operation operation = upserts.get(i);
				inserted[i] = (index().get(operation.id()) == null) ? bytes.length() : -1;
				this.codec.put(materialized(operation), bytes);
			}
			for (String id : removals) {
				this.codec.delete(id, bytes);
			}
		}
		long offset = this.size;
		appendOrHold(bytes.asByteBuffer());
		long seq = 0;
		if (this.fsync) {
			// Only appends write writtenSeq, all under the store's monitor; the group-commit waiters are not
			// disturbed. A large write starts its force now, before the bookkeeping below: should that force fail,
			// its rollback needs the monitor, so it sees the undo entry made here.
			seq = this.writtenSeq + 1;
			this.writtenSeq = seq;
			if (!this.holding) {
				this.fileSeq = seq;
			}
			if (bytes.length() >= FORCE_AHEAD_FROM) {
				startForce(seq);
			}
		}
		for (int i = 0; i < inserted.length; i++) {
			if (inserted[i] >= 0) {
				this.positions.put(upserts.get(i).id(), offset + inserted[i]);
			}
		}
		if (this.writeBuffer.length() > (1 << 20)) {
			// Do not keep a huge buffer around after a large batch.
			this.writeBuffer = new JournalCodec.Buffer(1 << 16);
		}
		this.records += upserts.size() + removals.size();
		if (!this.fsync) {
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
		while (!this.undo.isEmpty() && this.undo.peekFirst().seq() <= this.durableSeq) {
			this.undo.pollFirst();
		}
		this.undo.addLast(new Undo(seq, ids, previous, offset));
		return seq;
	}

	/**
	 * Begin making a write durable on another thread. The writer still waits in {@link #awaitDurable}, where it
	 * finds this force running (or done) and shares it; a failure reaches it there too, through the rollback.
	 */
	private void startForce(long seq) {
		if (this.forceAhead == null) {
			this.forceAhead = Executors.newSingleThreadExecutor((task) -> {
				Thread thread = new Thread(task, "offline-sync-journal-force");
				thread.setDaemon(true);
				return thread;
			});
		}
		try {
			this.forceAhead.execute(() -> {
				try {
					awaitDurable(seq, false);
				}
				catch (StoreException ex) {
					// Rolled back: the writer's own wait reports it.
				}
			});
			this.forcedAheadSeq = seq;
		}
		catch (RejectedExecutionException ex) {
			// Closing: the writer forces for itself.
		}
	}

	/**
	 * Group commit. The first waiter to find no fsync running becomes the leader: it forces the file for every
	 * write made so far, outside the store's monitor, while others go on appending; the rest park until a leader
	 * covers their write. A leader that is done wakes exactly the writers it covered and, if some are left, one of
	 * them to lead the next force. If the force fails, everything not yet durable is cut off the file and undone in
	 * memory, and every call that wrote it fails.
	 */
	@Override
	protected void awaitDurable(long ticket) {
		awaitDurable(ticket, true);
	}

	/**
	 * @param gather whether a leader waits, briefly, for the writers of the last batch to join its force
	 */
	private void awaitDurable(long ticket, boolean gather) {
		Waiter waiter = null;
		long gatherUntil = 0;
		while (true) {
			long parkFor;
			// A released writer returns from here without taking a lock: many are released at once, and taking a
			// monitor one after another would make them queue behind each other's wake-ups. durableSeq is read
			// first: a range undone before it passed this ticket is then visible.
			boolean durable = this.durableSeq >= ticket;
			if (isRolledBack(ticket)) {
				throw this.rollbackCause;
			}
			if (durable) {
				return;
			}
			synchronized (this.syncState) {
				if (this.durableSeq >= ticket || isRolledBack(ticket)) {
					continue;
				}
				if (waiter != null && this.gatherer == waiter) {
					this.gatherer = null;
				}
				long gatherFor = 0;
				if (mayLead(ticket, gather)) {
					// The writers the last force released are about to write again; forcing before they have would
					// make each of them wait a whole extra force. So until as many writes are pending as the last
					// force covered, this writer parks, briefly, and the one whose write completes the batch leads
					// instead: a leader spinning for them would take one of the cores they need. A writer working
					// alone never waits (its batch is 1, and its own write is pending).
					if (gather && this.writtenSeq - this.durableSeq < this.lastBatch) {
						long now = System.nanoTime();
						if (gatherUntil == 0) {
							gatherUntil = now + gatherWindowNanos(this.lastBatch);
						}
						gatherFor = gatherUntil - now;
					}
					if (gatherFor <= 0) {
						this.syncing = true;
						if (waiter != null && waiter.parked) {
							this.waiters.remove(waiter);
							waiter.parked = false;
						}
						break;
					}
					// One gathering writer keeps a deadline, after which it leads; the others wait for a force
					// without one, instead of each waking when its own deadline passes, in the middle of that force.
					if (this.gatherer != null) {
						gatherFor = 0;
					}
				}
				if (waiter == null) {
					waiter = new Waiter(ticket, gather);
				}
				if (gatherFor > 0) {
					this.gatherer = waiter;
				}
				if (!waiter.parked) {
					this.waiters.add(waiter);
					waiter.parked = true;
				}
				parkFor = gatherFor;
			}
			if (parkFor > 0) {
				LockSupport.parkNanos(this, parkFor);
			}
			else {
				LockSupport.park(this);
			}
			if (Thread.interrupted()) {
				synchronized (this.syncState) {
					if (waiter.parked) {
						this.waiters.remove(waiter);
						waiter.parked = false;
					}
					if (this.gatherer == waiter) {
						// The writers waiting without a deadline need someone to lead.
						this.gatherer = null;
						releaseWaiters();
					}
				}
				Thread.currentThread().interrupt();
				throw new StoreException("Interrupted while waiting for the outbox journal to be forced to disk; "
						+ "the change may or may not be durable");
			}
		}
		if (this.holding) {
			synchronized (this) {
				try {
					writePending();
				}
				catch (IOException ex) {
					throw rollBack(ex, "write to the outbox journal '" + this.journal + "'");
				}
			}
		}
		// The force covers exactly the writes whose bytes are in the file by now. Not taking the store's monitor when
		// nothing is held lets a large write's force start while its writer still updates the index.
		long target = this.fileSeq;
		FileChannel toForce = this.channel;
		try {
			toForce.force(false);
		}
		catch (IOException ex) {
			throw rollBack(ex, "force the outbox journal '" + this.journal + "' to disk");
		}
		Thread[] released;
		synchronized (this.syncState) {
			if (target > this.durableSeq) {
				this.lastBatch = target - this.durableSeq;
				this.durableSeq = target;
			}
			this.syncing = false;
			released = takeReleased();
			this.syncState.notifyAll();
		}
		for (Thread thread : released) {
			LockSupport.unpark(thread);
		}
	}

	/**
	 * With {@code syncState} held: whether a writer may start a force now. None may while one runs, and a write that
	 * a force started ahead will cover waits for that force rather than lead one (unless it is that force's own).
	 */
	private boolean mayLead(long ticket, boolean gather) {
		return !this.syncing && (!gather || ticket > this.forcedAheadSeq);
	}

	/**
	 * How long a writer gathers others for a force that should cover {@code batch} writes: the configured wait for a
	 * batch of 16, up to twice as long for smaller ones (twice for 8 or fewer), and none for larger ones. A writer that
	 * the machine schedules late and that misses the force takes an eighth of the writes out of a batch of eight; with
	 * more than sixteen writers per force the cores are busy with those coming back, who join the next force anyway,
	 * and waiting for them only leaves the disk idle (measured in BENCHMARKS.md).
	 */
	private long gatherWindowNanos(long batch) {
		if (batch > MOST_TO_GATHER) {
			return 0;
		}
		return this.gatherWaitNanos * Math.max(8, Math.min(16, 128 / Math.max(1, batch))) / 8;
	}

	private boolean isRolledBack(long ticket) {
		for (long[] range : this.rolledBack) {
			if (ticket >= range[0] && ticket <= range[1]) {
				return true;
			}
		}
		return false;
	}

	/**
	 * With {@code syncState} held: take the parked writers whose write is now durable or undone, and, if no force
	 * runs, one more to lead the next force (first, so that it starts soonest). The caller unparks them.
	 */
	private Thread[] takeReleased() {
		if (this.waiters.isEmpty()) {
			return NO_THREADS;
		}
		List<Thread> released = new ArrayList<>(this.waiters.size());
		Waiter leader = null;
		for (Iterator<Waiter> each = this.waiters.iterator(); each.hasNext();) {
			Waiter waiter = each.next();
			if (this.durableSeq >= waiter.ticket || isRolledBack(waiter.ticket)) {
				each.remove();
				waiter.parked = false;
				released.add(waiter.thread);
				if (this.gatherer == waiter) {
					this.gatherer = null;
				}
			}
			else if (mayLead(waiter.ticket, waiter.gather)
					&& (leader == null || waiter.ticket < leader.ticket)) {
				leader = waiter;
			}
		}
		if (leader != null) {
			this.waiters.remove(leader);
			leader.parked = false;
			released.add(0, leader.thread);
		}
		return released.toArray(NO_THREADS);
	}

	/** With {@code syncState} held, for paths that are rare: release whom {@link #takeReleased} names, now. */
	private void releaseWaiters() {
		for (Thread thread : takeReleased()) {
			LockSupport.unpark(thread);
		}
		this.syncState.notifyAll();
	}

	/** A writer parked in {@link #awaitDurable}. */
	private static final class Waiter {

		private final Thread thread = Thread.currentThread();

		private final long ticket;

		private final boolean gather;

		/** In {@code waiters}; guarded by {@code syncState}. */
		private boolean parked;

		Waiter(long ticket, boolean gather) {
			this.ticket = ticket;
			this.gather = gather;
		}

	}

	/**
	 * Undo every change that is not durable: cut the file back to its durable length and restore the previous
	 * states in memory, newest first.
	 */
	private StoreException rollBack(IOException cause, String action) {
		synchronized (this) {
			synchronized (this.syncState) {
				long from = this.durableSeq + 1;
				long to = this.writtenSeq;
				StoreException failure = new StoreException("Could not " + action + " (" + cause
						+ "); the change was not stored: the changes since the last durable write were undone",
						cause);
				long cutTo = this.size;
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
				try {
					truncateTo(cutTo);
				}
				catch (IOException truncateFailure) {
					cause.addSuppressed(truncateFailure);
					this.tailDirty = true;
				}
				// Held records are never durable: all of them were just undone.
				this.pending.clear();
				this.holding = false;
				this.size = cutTo;
				this.rollbacks++;
				long[][] ranges = Arrays.copyOf(this.rolledBack, this.rolledBack.length + 1);
				ranges[ranges.length - 1] = new long[] { from, to };
				// The cause first: a writer that finds its range reads it next.
				this.rollbackCause = failure;
				this.rolledBack = ranges;
				this.syncing = false;
				releaseWaiters();
				return failure;
			}
		}
	}

	@Override
	protected Operation indexed(Operation operation) {
		if (operation.payload() == ON_DISK) {
			return operation;
		}
		this.recentPayloads.put(operation.id(), operation.payload());
		return withoutPayload(operation);
	}

	@Override
	protected Operation materialized(Operation indexed) {
		if (indexed.payload() != ON_DISK) {
			return indexed;
		}
		String payload = this.recentPayloads.get(indexed.id());
		if (payload == null) {
			try {
				long position = this.positions.get(indexed.id());
				long written = this.size - this.pending.length();
				payload = (position >= written) ? pendingPayload((int) (position - written), indexed.id())
						: readPayload(this.channel, position, indexed.id());
			}
			catch (IOException ex) {
				throw new StoreException("Could not read the payload of operation '" + indexed.id()
						+ "' from the outbox journal '" + this.journal + "' (" + ex + ")", ex);
			}
			this.recentPayloads.put(indexed.id(), payload);
		}
		return indexed.toBuilder().payload(payload).build();
	}

	private static Operation withoutPayload(Operation operation) {
		return operation.toBuilder().payload(ON_DISK).build();
	}

	/**
	 * Read an operation's payload from the record at a position of a journal.
	 */
	private String readPayload(FileChannel source, long position, String id) throws IOException {
		if (position < 0) {
			throw new IOException("no record of it is known");
		}
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
					throw new IOException("the record at offset " + position + " has no end");
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

	/** The payload of a record still held in {@code pending}, {@code start} bytes into it. */
	private String pendingPayload(int start, String id) throws IOException {
		byte[] held = this.pending.array();
		int end = start;
		while (end < this.pending.length() && held[end] != '\n') {
			end++;
		}
		if (end == this.pending.length()) {
			throw new IOException("the held record at " + start + " has no end");
		}
		return payloadOf(Arrays.copyOfRange(held, start, end + 1), end - start,
				this.size - this.pending.length() + start, id);
	}

	private String payloadOf(byte[] line, int lineEnd, long position, String id) throws IOException {
		Object record;
		try {
			record = this.codec.decode(line, lineEnd);
		}
		catch (IllegalArgumentException ex) {
			throw new IOException("the record at offset " + position + " is unreadable: " + ex.getMessage(), ex);
		}
		if (!(record instanceof Operation operation) || !operation.id().equals(id)) {
			throw new IOException("the record at offset " + position + " is not one of this operation");
		}
		return operation.payload();
	}

	@Override
	protected void afterChange() {
		// Here, not in persist: the snapshot must include the change that was just appended.
		if (this.compactor == null && !this.closing
				&& this.records > 2 * (long) index().size() + this.compactionSlack) {
			try {
				// The compaction reads the live records from the file.
				writePending();
			}
			catch (IOException ex) {
				logger.log(System.Logger.Level.DEBUG, "Compaction of " + this.journal + " postponed", ex);
				return;
			}
			// Only copies are made under the monitor; the payloads' positions are looked up on the compactor's thread.
			List<Operation> live = new ArrayList<>(index().all());
			Snapshot snapshot = new Snapshot(live, this.positions.entries(), this.channel, this.size, this.records,
					this.rollbacks);
			this.compactor = new Thread(() -> compactInBackground(snapshot), "offline-sync-compactor");
			this.compactor.setDaemon(true);
			this.compactor.start();
		}
	}

	/**
	 * Compaction that holds the store's monitor only for its last step. The live operations of a snapshot are written
	 * to a temporary file while changes go on, and so are the records appended meanwhile, until few are left; then,
	 * under the monitor, the last of them are copied, the file is forced again and moved over the journal. The file is
	 * forced every few megabytes on the way: forcing hundreds of them at once would keep the disk from the writers'
	 * own forces for as long.
	 */
	private void compactInBackground(Snapshot snapshot) {
		Path temporary = this.directory.resolve(JOURNAL + ".tmp");
		boolean switched = false;
		List<Operation> live = snapshot.live();
		long[] newPositions = new long[live.size()];
		try {
			long written;
			PayloadPositions moved;
			long copiedTo;
			try (FileChannel out = this.opener.open(temporary, StandardOpenOption.CREATE,
					StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
				written = writeLive(out, live, payloadPositions(live, snapshot.positions()), snapshot.source(),
						newPositions);
				if (written < 0) {
					return;
				}
				moved = positionsAt(live, newPositions);
				copiedTo = catchUp(out, written, snapshot);
				if (copiedTo < 0) {
					return;
				}
				out.force(true);
			}
			switched = switchTo(temporary, written, copiedTo, snapshot, moved);
		}
		catch (IOException | RuntimeException ex) {
			logger.log(System.Logger.Level.WARNING, "Compaction of " + this.journal
					+ " failed; the journal stays as it is and is still valid", ex);
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
			synchronized (this) {
				this.compactor = null;
			}
		}
	}

	/**
	 * Copy the records appended to the journal since the snapshot after the live ones, without the monitor, until
	 * fewer than {@link #COPY_UNDER_MONITOR} bytes are left: appends go on meanwhile, more slowly than a copy.
	 * @param written where the records appended since the snapshot begin in {@code out}
	 * @return up to where in the journal its records are copied, or -1 if the store began closing or undid changes
	 */
	private long catchUp(FileChannel out, long written, Snapshot snapshot) throws IOException {
		long copiedTo = snapshot.size();
		while (true) {
			long end;
			synchronized (this) {
				if (this.closing || this.rollbacks != snapshot.rollbacks()) {
					return -1;
				}
				// Held records are not in the file yet; everything before them is, whole.
				end = this.size - this.pending.length();
			}
			if (end - copiedTo < COPY_UNDER_MONITOR) {
				return copiedTo;
			}
			copy(snapshot.source(), copiedTo, end, out, written + copiedTo - snapshot.size());
			copiedTo = end;
		}
	}

	/** Copy a range of the journal into {@code out} at {@code at}, forcing {@code out} every few megabytes. */
	private static void copy(FileChannel source, long from, long to, FileChannel out, long at) throws IOException {
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
	 * Copy what was appended since {@code copiedTo} and put the compacted file in place, once no force runs (a force
	 * that fails needs the monitor to roll back, so it is never waited for while holding it).
	 * @param moved where the snapshot's operations are in the compacted file
	 * @return whether the journal was replaced; not if the store is closing or changes of the snapshot were undone
	 */
	private boolean switchTo(Path temporary, long written, long copiedTo, Snapshot snapshot, PayloadPositions moved)
			throws IOException {
		FileChannel replaced = null;
		try {
			while (true) {
				synchronized (this) {
					if (this.closing || isClosed() || this.rollbacks != snapshot.rollbacks()) {
						return false;
					}
					boolean exclusive;
					synchronized (this.syncState) {
						exclusive = !this.syncing;
						this.syncing = true;
					}
					if (exclusive) {
						try {
							writePending();
							long tail = this.size - snapshot.size();
							try (FileChannel out = this.opener.open(temporary, StandardOpenOption.WRITE)) {
								copy(this.channel, copiedTo, this.size, out, written + copiedTo - snapshot.size());
							}
							Files.move(temporary, this.journal, StandardCopyOption.ATOMIC_MOVE,
									StandardCopyOption.REPLACE_EXISTING);
							forceDirectory();
							replaced = this.channel;
							this.channel = this.opener.open(this.journal, StandardOpenOption.READ,
									StandardOpenOption.WRITE);
							this.records = snapshot.live().size() + (this.records - snapshot.records());
							// Operations added since the snapshot have their records in the tail, now after the live
							// ones.
							this.positions.forEach((id, position) -> {
								if (position >= snapshot.size()) {
									moved.put(id, written + position - snapshot.size());
								}
							});
							this.positions = moved;
							this.size = written + tail;
							this.allocated = this.size;
							this.preallocateAgainAt = 0;
							this.tailDirty = false;
							markAllDurable();
							return true;
						}
						finally {
							synchronized (this.syncState) {
								this.syncing = false;
								releaseWaiters();
							}
						}
					}
				}
				awaitNoForce();
			}
		}
		finally {
			if (replaced != null) {
				release(replaced);
			}
		}
	}

	/**
	 * Close the journal that compaction replaced, outside the store's monitor. Closing the last handle of a replaced
	 * file frees its blocks and drops its cached pages, which for a gigabyte took 865 ms, and the writers' forces
	 * meanwhile took 150 to 200 ms each; cutting it short a piece at a time first spreads that out.
	 */
	private void release(FileChannel replaced) {
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

	private void awaitNoForce() {
		synchronized (this.syncState) {
			while (this.syncing) {
				try {
					this.syncState.wait();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return;
				}
			}
		}
	}

	/** The whole journal was just forced: everything written so far is durable, and nothing is left to undo. */
	private void markAllDurable() {
		synchronized (this.syncState) {
			this.durableSeq = this.writtenSeq;
			this.undo.clear();
			releaseWaiters();
		}
	}

	/** Drop the cached payloads, so that the next reads go to the journal (or to the records held). For tests. */
	synchronized void forgetRecentPayloads() {
		this.recentPayloads.clear();
	}

	/**
	 * Wait until a background compaction in progress has ended. For tests.
	 */
	void awaitCompaction() throws InterruptedException {
		Thread running;
		synchronized (this) {
			running = this.compactor;
		}
		if (running != null) {
			running.join();
		}
	}

	/**
	 * Append a record, holding it in {@code pending} when the next force's leader will write it anyway: with fsync
	 * on, for writes small enough to copy. Others first write what is held, then themselves.
	 */
	private void appendOrHold(ByteBuffer data) {
		if (this.fsync && data.remaining() < FORCE_AHEAD_FROM && this.pending.length() < MAX_PENDING) {
			this.pending.append(data);
			this.holding = true;
			this.size += data.remaining();
			return;
		}
		try {
			writePending();
		}
		catch (IOException ex) {
			throw new StoreException("Could not write to the outbox journal '" + this.journal + "' (" + ex
					+ "); the change was not stored", ex);
		}
		append(data);
	}

	/**
	 * Write the held records to the file, with the store's monitor held. If that fails, what reached the file of them
	 * is cut off again and they stay held: the force's leader, which writes them too, undoes them.
	 */
	private void writePending() throws IOException {
		int length = this.pending.length();
		if (length == 0) {
			return;
		}
		long end = this.size;
		// append() writes at size and moves it on, back to end.
		this.size = end - length;
		try {
			append(this.pending.asByteBuffer());
		}
		catch (StoreException ex) {
			throw (ex.getCause() instanceof IOException cause) ? cause : new IOException(ex.getMessage(), ex);
		}
		finally {
			this.size = end;
		}
		this.pending.clear();
		this.holding = false;
		this.fileSeq = this.writtenSeq;
	}

	private void append(ByteBuffer data) {
		int length = data.remaining();
		try {
			if (this.tailDirty) {
				truncateTo(this.size);
				this.tailDirty = false;
			}
			long position = this.size;
			while (data.hasRemaining()) {
				position += this.channel.write(data, position);
			}
			this.size += length;
			this.allocated = Math.max(this.allocated, this.size);
		}
		catch (IOException ex) {
			// Cut off whatever part did reach the file, so that disk stays equal to memory.
			this.tailDirty = true;
			try {
				truncateTo(this.size);
				this.tailDirty = false;
			}
			catch (IOException truncateFailure) {
				ex.addSuppressed(truncateFailure);
			}
			throw new StoreException("Could not write to the outbox journal '" + this.journal + "' (" + ex
					+ "); the change was not stored", ex);
		}
		if (this.fsync && this.allocated == this.size && length < PREALLOCATE_BELOW
				&& this.size >= this.preallocateAgainAt) {
			preallocate();
		}
	}

	/**
	 * Extend the journal with padding, so that the forces of the next records do not change its length. Optional:
	 * if it fails (a full disk), what was written of it is cut off again and records are appended as they come.
	 */
	private void preallocate() {
		long position = this.allocated;
		long end = this.size + PREALLOCATION;
		try {
			while (position < end) {
				ByteBuffer padding = PADDING.duplicate();
				padding.limit((int) Math.min(padding.capacity(), end - position));
				position += this.channel.write(padding, position);
			}
			this.allocated = end;
		}
		catch (IOException ex) {
			logger.log(System.Logger.Level.DEBUG, "Could not extend " + this.journal + " ahead of its records", ex);
			// Space is short: do not try again with every record.
			this.preallocateAgainAt = this.size + PREALLOCATION;
			try {
				truncateTo(this.size);
			}
			catch (IOException truncateFailure) {
				// Whatever reached the file is padding too.
				this.allocated = position;
			}
		}
	}

	/** Cut the journal file to a length; whatever was allocated after it is gone. */
	private void truncateTo(long length) throws IOException {
		this.channel.truncate(length);
		this.allocated = length;
	}

	/**
	 * Create the journal of a new store: its header is written to a temporary file, which is forced and moved into
	 * place atomically before the directory is forced, so that a crash leaves either no journal or a whole header.
	 */
	private void createJournal() throws IOException {
		Path temporary = this.directory.resolve(JOURNAL + ".tmp");
		long written;
		try (FileChannel out = this.opener.open(temporary, StandardOpenOption.CREATE,
				StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
			written = writeFully(out, ByteBuffer.wrap(this.codec.header()));
			out.force(true);
		}
		catch (IOException ex) {
			Files.deleteIfExists(temporary);
			throw ex;
		}
		Files.move(temporary, this.journal, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
		forceDirectory();
		this.channel = this.opener.open(this.journal, StandardOpenOption.READ, StandardOpenOption.WRITE);
		this.size = written;
		this.allocated = written;
	}

	/**
	 * Write a header and the given operations, each with its payload read from {@code source}, and note where each
	 * record begins.
	 * @return the bytes written, or -1 if the store began closing meanwhile
	 */
	private long writeLive(FileChannel out, List<Operation> live, long[] payloadAt, FileChannel source,
			long[] newPositions) throws IOException {
		long written = writeFully(out, ByteBuffer.wrap(this.codec.header()));
		long forced = 0;
		JournalCodec.Buffer chunk = new JournalCodec.Buffer(1 << 20);
		for (int i = 0; i < live.size(); i++) {
			Operation operation = live.get(i);
			if (operation.payload() == ON_DISK) {
				operation = operation.toBuilder()
					.payload(readPayload(source, payloadAt[i], operation.id()))
					.build();
			}
			newPositions[i] = written + chunk.length();
			this.codec.put(operation, chunk);
			if (chunk.length() >= (1 << 20)) {
				if (this.closing) {
					return -1;
				}
				written += writeFully(out, chunk.asByteBuffer());
				chunk.clear();
				if (written - forced >= FORCE_EVERY) {
					out.force(false);
					forced = written;
				}
			}
		}
		return written + writeFully(out, chunk.asByteBuffer());
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

	/** Fill what remains of the buffer with the journal's bytes from {@code position} on. */
	static void readFully(FileChannel in, ByteBuffer target, long position) throws IOException {
		long at = position;
		while (target.hasRemaining()) {
			int read = in.read(target, at);
			if (read < 0) {
				throw new IOException("the journal got shorter while it was read");
			}
			at += read;
		}
	}

	private static long writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
		long length = buffer.remaining();
		while (buffer.hasRemaining()) {
			out.write(buffer);
		}
		return length;
	}

	private void forceDirectory() {
		try (FileChannel dir = FileChannel.open(this.directory, StandardOpenOption.READ)) {
			dir.force(true);
		}
		catch (IOException ex) {
			// Some platforms cannot open a directory; the rename itself is still atomic there.
			logger.log(System.Logger.Level.DEBUG, "Cannot force directory " + this.directory, ex);
		}
	}

	@Override
	public void close() {
		// A compaction in progress gives up (the journal it would replace stays valid) before the files go away.
		this.closing = true;
		try {
			awaitCompaction();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		ExecutorService forcer;
		synchronized (this) {
			forcer = this.forceAhead;
		}
		if (forcer != null) {
			// Forces already started run to their end; later large writes force for themselves.
			forcer.shutdown();
			try {
				forcer.awaitTermination(Long.MAX_VALUE, TimeUnit.NANOSECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
		// Let a running force finish before the channel goes away under it.
		awaitNoForce();
		super.close();
	}

	@Override
	protected void onClose() {
		try {
			if (this.channel != null) {
				// Records still held belong to calls that have not returned; with the file closed under them, those
				// calls fail, so the records are not written either.
				long written = this.size - this.pending.length();
				if (this.allocated > written && !this.tailDirty) {
					// Leave no padding behind: a closed journal ends with its last record.
					this.channel.truncate(written);
				}
				this.channel.close();
			}
		}
		catch (IOException ex) {
			logger.log(System.Logger.Level.WARNING, "Closing " + this.journal + " failed", ex);
		}
		try {
			this.lock.release();
			this.lockChannel.close();
		}
		catch (IOException ex) {
			logger.log(System.Logger.Level.WARNING, "Releasing " + this.directory.resolve(LOCK) + " failed", ex);
		}
	}

	@Override
	public String toString() {
		return "FileOutboxStore[" + this.directory + "]";
	}

	/** New operations with their records, encoded before the store's monitor was taken, and where each begins. */
	private static final class EncodedInsert extends AbstractList<Operation> implements RandomAccess {

		private final List<Operation> operations;

		private final JournalCodec.Buffer bytes;

		private final long[] starts;

		EncodedInsert(List<Operation> operations, JournalCodec.Buffer bytes, long[] starts) {
			this.operations = operations;
			this.bytes = bytes;
			this.starts = starts;
		}

		@Override
		public Operation get(int index) {
			return this.operations.get(index);
		}

		@Override
		public int size() {
			return this.operations.size();
		}

		JournalCodec.Buffer bytes() {
			return this.bytes;
		}

		long[] starts() {
			return this.starts;
		}

	}

	/**
	 * The previous state of each id a write changed ({@literal null}: it did not exist; a {@literal null} list: none
	 * did), and where the write began.
	 */
	private record Undo(long seq, List<String> ids, List<Operation> previous, long offset) {
	}

	/**
	 * What a background compaction writes: the live operations in id order, where payloads were then, and the
	 * journal's length and records.
	 */
	private record Snapshot(List<Operation> live, PayloadPositions.Entries positions, FileChannel source, long size,
			long records, long rollbacks) {
	}

	/** Opens the store's channels; tests pass one that fails on purpose. */
	@FunctionalInterface
	interface ChannelOpener {

		FileChannel open(Path path, OpenOption... options) throws IOException;

	}

	/**
	 * @param gatherWait how long a writer that could lead a force waits for others to join it (tests lengthen it to
	 * watch writers gather); see {@link FileOutboxStore#GATHER_WAIT}
	 */
	record Settings(boolean fsync, long compactionSlack, ChannelOpener opener, Duration gatherWait,
			int damagedCopiesToKeep) {

		Settings(boolean fsync, long compactionSlack, ChannelOpener opener) {
			this(fsync, compactionSlack, opener, GATHER_WAIT);
		}

		Settings(boolean fsync, long compactionSlack, ChannelOpener opener, Duration gatherWait) {
			this(fsync, compactionSlack, opener, gatherWait, DEFAULT_DAMAGED_COPIES_TO_KEEP);
		}

	}

}
