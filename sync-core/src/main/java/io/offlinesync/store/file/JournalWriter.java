package io.offlinesync.store.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

import io.offlinesync.StoreException;

/**
 * The end of the journal that records are appended to: the file channel, the records held in memory for the next
 * force's leader to write, and the padding written ahead of the records. Every method runs with the store's monitor
 * held, and so does every read of its fields unless the field says otherwise.
 *
 * <p>Padding serves two purposes. With fsync on, a force that does not change the file's length spares the file
 * system a metadata update. And it is the reserve of a full disk: once the file system runs low on space, the store
 * keeps room ahead of its records for recording the delivery of every operation it holds ({@link #reserve}), so that
 * when the disk fills up, deliveries are still recorded in space already allocated, while enqueues that would eat
 * into it are refused. With room to spare the reserve is not written: it would cost as many bytes written as the
 * backlog's own records.
 */
final class JournalWriter {

	private static final System.Logger logger = System.getLogger(JournalWriter.class.getName());

	/** A write longer than this extends the journal by its own length only: padding it would double its bytes. */
	private static final int PAD_WRITES_BELOW = 1 << 16;

	/** Line feeds written as padding, shared read-only. */
	private static final ByteBuffer PADDING = ByteBuffer.allocateDirect(1 << 16);

	/** The most bytes held for the next force's leader to write; past it, writers write themselves. */
	static final int MAX_HELD = 1 << 18;

	/** How far beyond the reserve a journal without fsync is padded. */
	private static final int UNFORCED_SLACK = 1 << 16;

	/** Free space is looked at again after this many bytes of records: a statvfs per megabyte costs nothing. */
	private static final long SPACE_CHECK_BYTES = 1 << 20;

	/** Space is low, and the reserve written, when less than twice the reserve and this much more is free. */
	private static final long LOW_SPACE_MARGIN = 64L << 20;

	/** How often a store whose disk was full tries again to extend its journal. */
	private static final long RETRY_FULL_DISK_NANOS = TimeUnit.SECONDS.toNanos(1);

	static {
		while (PADDING.hasRemaining()) {
			PADDING.put((byte) '\n');
		}
		PADDING.flip();
	}

	private final Path journal;

	private final Path directory;

	private final FileStoreSettings settings;

	/** Replaced by compaction only while no force runs; read by force leaders without the monitor. Set by open. */
	@SuppressWarnings("NullAway.Init")
	private volatile FileChannel channel;

	/** Where the next record goes: the end of the last one, including those held. */
	private long size;

	/** The journal file's length: from {@code size} on, it holds padding only. */
	private long allocated;

	/** Records appended (with fsync on) but not written to the file yet: the next force's leader writes them. */
	private final RecordBuffer held = new RecordBuffer(1 << 16);

	/** Whether records are held; read by force leaders without the monitor. */
	private volatile boolean holding;

	/** Whether what follows {@code size} in the file may be a write cut short, to be cut off before the next one. */
	private boolean tailDirty;

	/** The padding to keep ahead of the records, for recording deliveries on a full disk, once space runs low. */
	private long reserve;

	/** Whether the file system was low on space when last looked at. */
	private boolean lowOnSpace;

	/** The record size at which free space was last looked at; -1 before it ever was. */
	private long spaceCheckedAt = -1;

	/** When the journal could not be extended (a full disk), in nanoseconds; 0 while it can. */
	private long fullSince;

	/** Why the journal could not be extended, while {@code fullSince} is set. */
	private @Nullable IOException fullCause;

	JournalWriter(Path journal, FileStoreSettings settings) {
		this.journal = journal;
		this.directory = Objects.requireNonNull(journal.getParent(), "a journal is a file in a directory");
		this.settings = settings;
	}

	/**
	 * Create the journal of a new store: its header is written to a temporary file, which is forced and moved into
	 * place atomically before the directory is forced, so that a crash leaves either no journal or a whole header.
	 */
	void create() throws IOException {
		Path temporary = this.journal.resolveSibling(this.journal.getFileName() + ".tmp");
		long written;
		try (FileChannel out = this.settings.opener()
			.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
			written = writeFully(out, ByteBuffer.wrap(JournalFormat.header()));
			out.force(true);
		}
		catch (IOException ex) {
			Files.deleteIfExists(temporary);
			throw ex;
		}
		Files.move(temporary, this.journal, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
		forceDirectory(this.directory);
		open(written);
	}

	/**
	 * Go on from an existing journal whose records end at {@code recordsEnd}.
	 */
	void open(long recordsEnd) throws IOException {
		this.channel = this.settings.opener().open(this.journal, StandardOpenOption.READ, StandardOpenOption.WRITE);
		this.size = recordsEnd;
		this.allocated = Math.max(recordsEnd, this.channel.size());
	}

	/**
	 * Take the journal that compaction wrote in place of the current one (which it returns, to be released).
	 */
	FileChannel replace(long recordsEnd) throws IOException {
		FileChannel replaced = this.channel;
		open(recordsEnd);
		this.tailDirty = false;
		this.fullSince = 0;
		return replaced;
	}

	FileChannel channel() {
		return this.channel;
	}

	/** @return where the next record goes */
	long size() {
		return this.size;
	}

	/** @return how many of the bytes before {@link #size()} are held, not yet in the file */
	int heldLength() {
		return this.held.length();
	}

	/** @return the held records; valid until the next change */
	byte[] heldBytes() {
		return this.held.array();
	}

	/** Read without the monitor by force leaders. */
	boolean isHolding() {
		return this.holding;
	}

	/**
	 * @param bytes the padding to keep ahead of the records from now on
	 */
	void reserve(long bytes) {
		this.reserve = bytes;
	}

	/**
	 * Whether an enqueue of this many bytes may be written: always while the journal can grow; on a full disk only
	 * if it leaves the reserve for recording deliveries.
	 * @throws StoreException if it may not, saying why
	 */
	void requireRoomForInsert(int bytes, long reserveAfter) {
		if (this.fullSince != 0 && System.nanoTime() - this.fullSince >= RETRY_FULL_DISK_NANOS) {
			// Some space may have been freed: try again, at most once a second.
			this.fullSince = 0;
			pad(reserveToWrite());
		}
		if (this.fullSince != 0 && this.allocated - this.size - bytes < reserveAfter) {
			throw new StoreException("The disk of the outbox journal '" + this.journal + "' is full (" + this.fullCause
					+ "): the enqueue was refused and not stored, to keep the " + (this.allocated - this.size)
					+ " bytes left for recording the delivery of the operations already stored. Free some space; "
					+ "deliveries go on meanwhile", this.fullCause);
		}
	}

	/**
	 * Append records, holding them for the next force's leader when it will write them anyway: with fsync on, for
	 * writes small enough to copy.
	 * @return whether they are held rather than in the file
	 */
	boolean appendOrHold(ByteBuffer data) {
		if (this.settings.fsync() && data.remaining() < PAD_WRITES_BELOW && this.held.length() < MAX_HELD) {
			this.held.append(data);
			this.holding = true;
			this.size += data.remaining();
			return true;
		}
		try {
			writeHeld();
		}
		catch (IOException ex) {
			throw notStored(ex);
		}
		append(data);
		return false;
	}

	/**
	 * Write the held records to the file. If that fails, what reached the file of them is cut off again and they stay
	 * held: the force's leader, which writes them too, undoes them.
	 */
	void writeHeld() throws IOException {
		int length = this.held.length();
		if (length == 0) {
			return;
		}
		long end = this.size;
		// append() writes at size and moves it on, back to end.
		this.size = end - length;
		try {
			append(this.held.asByteBuffer());
		}
		catch (StoreException ex) {
			throw (ex.getCause() instanceof IOException cause) ? cause : new IOException(ex.getMessage(), ex);
		}
		finally {
			this.size = end;
		}
		this.held.clear();
		this.holding = false;
	}

	/** Forget the held records: they were undone. */
	void dropHeld() {
		this.held.clear();
		this.holding = false;
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
			throw notStored(ex);
		}
		if (length < PAD_WRITES_BELOW && this.fullSince == 0) {
			pad(reserveToWrite());
		}
	}

	/**
	 * Extend the journal with padding when less than the reserve is left ahead of the records, or none with fsync
	 * on: to the reserve and the preallocation beyond it. If that fails (a full disk), what was written of it is cut
	 * off again and the store runs on the padding it has.
	 */
	private void pad(long reserve) {
		long ahead = this.allocated - this.size;
		boolean wanted = ahead < reserve || (this.settings.fsync() && ahead == 0 && this.settings.preallocation() > 0);
		if (!wanted) {
			return;
		}
		long position = this.allocated;
		// Without fsync, padding only keeps the reserve: a little beyond it, so that it is not topped up every write.
		long end = this.size + reserve + (this.settings.fsync() ? this.settings.preallocation() : UNFORCED_SLACK);
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
			this.fullSince = Math.max(1, System.nanoTime());
			this.fullCause = ex;
			this.lowOnSpace = true;
			// Whatever reached the file is padding too, and is kept as reserve.
			this.allocated = Math.max(this.allocated, position);
		}
	}

	/** @return the reserve while space is low, else none; free space is looked at once a megabyte of records */
	private long reserveToWrite() {
		if (this.reserve == 0) {
			return 0;
		}
		if (this.spaceCheckedAt < 0 || Math.abs(this.size - this.spaceCheckedAt) >= SPACE_CHECK_BYTES) {
			this.spaceCheckedAt = this.size;
			try {
				long usable = this.settings.usableSpace().usable(this.directory);
				this.lowOnSpace = usable < 2 * this.reserve + LOW_SPACE_MARGIN;
			}
			catch (IOException | RuntimeException ex) {
				// Not knowing is taken as low: the reserve is what keeps deliveries going on a full disk.
				this.lowOnSpace = true;
			}
		}
		return this.lowOnSpace ? this.reserve : 0;
	}

	/** Cut the journal file to a length; whatever was allocated after it is gone. */
	void truncateTo(long length) throws IOException {
		this.channel.truncate(length);
		this.allocated = length;
	}

	/** Cut the file back after a failed force: everything from {@code length} on is undone. */
	void cutBackTo(long length, IOException cause) {
		try {
			truncateTo(length);
		}
		catch (IOException truncateFailure) {
			cause.addSuppressed(truncateFailure);
			this.tailDirty = true;
		}
		dropHeld();
		this.size = length;
	}

	/**
	 * Close the channel, cutting the padding off: a closed journal ends with its last record. (The next open pads it
	 * again, reserve included, if the disk has room.)
	 */
	void close() {
		if (this.channel == null) {
			return;
		}
		try {
			// Held records belong to calls that have not returned; with the file closed under them, those calls fail.
			long written = this.size - this.held.length();
			if (this.allocated > written && !this.tailDirty) {
				this.channel.truncate(written);
			}
			this.channel.close();
		}
		catch (IOException ex) {
			logger.log(System.Logger.Level.WARNING, "Closing " + this.journal + " failed", ex);
		}
	}

	private StoreException notStored(IOException cause) {
		return new StoreException("Could not write to the outbox journal '" + this.journal + "' (" + cause
				+ "); the change was not stored", cause);
	}

	static long writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
		long length = buffer.remaining();
		while (buffer.hasRemaining()) {
			out.write(buffer);
		}
		return length;
	}

	/** Fill what remains of the buffer with a file's bytes from {@code position} on. */
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

	static void forceDirectory(Path directory) {
		try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
			dir.force(true);
		}
		catch (IOException ex) {
			// Some platforms cannot open a directory; the rename itself is still atomic there.
			logger.log(System.Logger.Level.DEBUG, "Cannot force directory " + directory, ex);
		}
	}

}
