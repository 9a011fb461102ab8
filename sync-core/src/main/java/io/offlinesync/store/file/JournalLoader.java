package io.offlinesync.store.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

import io.offlinesync.Operation;
import io.offlinesync.StoreFormatException;

/**
 * Recovery: reads a journal into the live operations and where their payloads are, keeping every intact record and
 * saying what it dropped. A torn last record (a write a crash cut short) is cut off; a damaged record in the middle
 * is dropped and the records after it are kept, also when the damage merged two lines; a damaged header is rewritten
 * when intact records follow it. A copy of a journal in which anything was dropped is kept beside it, and then the
 * damage is cleared in place (damaged records become blank lines), so that nothing is ever appended after damage.
 */
final class JournalLoader {

	private static final System.Logger logger = System.getLogger(JournalLoader.class.getName());

	/** How the copies of damaged journals are named, before the time they were made in milliseconds. */
	static final String DAMAGED_PREFIX = FileOutboxStore.JOURNAL + ".damaged-";

	/** How much of the journal's start is searched for its first record when the header is damaged. */
	private static final int HEADER_SEARCH = 1 << 16;

	private final Path journal;

	private final FileStoreSettings settings;

	private final JournalFormat format;

	JournalLoader(Path journal, FileStoreSettings settings, JournalFormat format) {
		this.journal = journal;
		this.settings = settings;
		this.format = format;
	}

	/** What a journal held. */
	record Loaded(List<Operation> live, PayloadPositions positions, long records, long recordsEnd, int version,
			RecoveryReport report) {
	}

	Loaded load() throws IOException {
		List<RecoveryReport.DroppedRecord> dropped = new ArrayList<>();
		long read = 0;
		long recordsEnd;
		RecoveryReport.DroppedRecord torn = null;
		RecoveryReport.DroppedRecord damagedHeader;
		int version;
		PayloadPositions positions;
		LatestStates latest;
		try (FileChannel in = FileChannel.open(this.journal, StandardOpenOption.READ)) {
			recordsEnd = endOfRecords(in);
			Header header = readHeader(in, recordsEnd);
			damagedHeader = header.damage();
			version = header.version();
			if (damagedHeader != null) {
				dropped.add(damagedHeader);
			}
			// A record with a payload of a few hundred bytes takes about 550; sized so, the maps rarely grow.
			int expectedRecords = (int) Math.min(recordsEnd / 550, 1 << 24);
			positions = new PayloadPositions(expectedRecords);
			latest = new LatestStates(expectedRecords);
			long position = header.recordsStart();
			// Records are decoded in parallel, a run of lines at a time, and taken in journal order here.
			ParallelDecoder decoder = new ParallelDecoder(this.format, new SharedStrings());
			try {
				while (position < recordsEnd || decoder.hasInFlight()) {
					if (position < recordsEnd && decoder.hasRoom()) {
						LineBatch batch = LineBatch.read(in, position, recordsEnd);
						position = batch.end();
						decoder.submit(batch);
					}
					else {
						LineBatch batch = decoder.next();
						read += take(batch, positions, latest, dropped);
						if (batch.tornLine() != null) {
							torn = batch.tornLine();
						}
					}
				}
			}
			finally {
				decoder.close();
			}
			if (torn == null) {
				torn = tornBeforePadding(in, dropped, recordsEnd);
			}
			if (torn != null) {
				dropped.add(torn);
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
			HeaderLine replacement = (damagedHeader != null) ? headerFitting(damagedHeader.length()) : null;
			recordsEnd = clearDamage(dropped, torn, replacement, recordsEnd);
			if (replacement != null) {
				version = replacement.version();
			}
		}
		return new Loaded(latest.live(), positions, read, recordsEnd, version,
				new RecoveryReport(read, dropped, damagedCopy));
	}

	/**
	 * Take the records of a decoded batch in order: a {@code put} sets the operation's state and where its payload
	 * is, a {@code state} change applies to the state so far, a {@code del} removes it. A change of an operation
	 * whose {@code put} was lost to damage has nothing to apply to: it is dropped too.
	 * @return how many records were intact
	 */
	private static int take(LineBatch batch, PayloadPositions positions, LatestStates latest,
			List<RecoveryReport.DroppedRecord> dropped) {
		int intact = 0;
		for (int i = 0; i < batch.count(); i++) {
			JournalRecord record = batch.decoded(i);
			if (record instanceof JournalRecord.Put put) {
				latest.set(positions.put(put.operation().id(), batch.offset(i)), put.operation());
				intact++;
			}
			else if (record instanceof JournalRecord.StateChange change) {
				int entry = positions.entry(change.id());
				Operation previous = (entry >= 0) ? latest.get(entry) : null;
				if (previous == null) {
					dropped.add(new RecoveryReport.DroppedRecord(batch.offset(i), batch.length(i),
							"state change of operation '" + change.id() + "', whose put record was lost"));
					continue;
				}
				try {
					latest.set(entry, change.applyTo(previous));
					intact++;
				}
				catch (IllegalArgumentException ex) {
					dropped.add(new RecoveryReport.DroppedRecord(batch.offset(i), batch.length(i),
							"state change that cannot apply: " + ex.getMessage()));
				}
			}
			else if (record instanceof JournalRecord.Delete delete) {
				// Its position stays until the next compaction, as at run time; nothing reads it.
				int entry = positions.entry(delete.id());
				if (entry >= 0) {
					latest.set(entry, null);
				}
				intact++;
			}
			else if (record instanceof JournalRecord.Damaged damaged) {
				dropped.add(new RecoveryReport.DroppedRecord(batch.offset(i), batch.length(i), damaged.reason()));
			}
		}
		return intact;
	}

	/** Where the records begin, the version the header names, and the header's damage if it is damaged. */
	private record Header(long recordsStart, int version, RecoveryReport.@Nullable DroppedRecord damage) {
	}

	private record HeaderLine(byte[] bytes, int version) {
	}

	/**
	 * Read the header: refuse a file that is no journal, or one of a format version this store cannot read; take a
	 * damaged header as damage when intact records follow it.
	 */
	private Header readHeader(FileChannel in, long recordsEnd) throws IOException {
		if (recordsEnd == 0) {
			throw new StoreFormatException("'" + this.journal + "' is not an offline-sync journal: it is empty");
		}
		ByteBuffer start = ByteBuffer.allocate((int) Math.min(recordsEnd, HEADER_SEARCH));
		JournalWriter.readFully(in, start, 0);
		byte[] bytes = start.array();
		int headerEnd = JournalFormat.lineEnd(bytes, 0, start.limit());
		int version;
		try {
			if (headerEnd == start.limit()) {
				throw new IllegalArgumentException((start.limit() == recordsEnd) ? "its header line is incomplete"
						: "its first line is longer than a journal header");
			}
			version = this.format.readHeader(bytes, headerEnd);
		}
		catch (IllegalArgumentException ex) {
			int first = firstIntactRecord(bytes, start.limit());
			if (first < 0) {
				throw new StoreFormatException("'" + this.journal + "' is not an offline-sync journal: " + ex.getMessage());
			}
			return new Header(first, -1,
					new RecoveryReport.DroppedRecord(0, first, "damaged header: " + ex.getMessage()));
		}
		if (version < JournalFormat.OLDEST_READABLE || version > JournalFormat.VERSION) {
			throw new StoreFormatException("'" + this.journal + "' has journal format version " + version
					+ "; this version of offline-sync reads versions " + JournalFormat.OLDEST_READABLE + " to "
					+ JournalFormat.VERSION);
		}
		return new Header(headerEnd + 1, version, null);
	}

	/** @return where the first intact record begins after the start of the file, or -1 */
	private int firstIntactRecord(byte[] bytes, int length) {
		for (int at = 1; at < length; at++) {
			if (JournalFormat.looksLikeRecordStart(bytes, at, length)) {
				int end = JournalFormat.lineEnd(bytes, at, length);
				if (end < length && !(this.format.read(bytes, at, end - at) instanceof JournalRecord.Damaged)) {
					return at;
				}
			}
		}
		return -1;
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
			JournalWriter.readFully(in, block, from);
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
	 * A record that a crash cut short where the journal was padded ahead is followed by padding rather than by
	 * nothing, so it reads as a whole line that fails its checksum. It is told from damage by being the last line and
	 * not ending as every JSON record does; it is then taken out of {@code dropped} to be reported and cut off as torn.
	 * @return the torn record, or {@literal null} if the last line is not one
	 */
	private static RecoveryReport.@Nullable DroppedRecord tornBeforePadding(FileChannel in,
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
	 * Copy the journal as found to {@code outbox.journal.damaged-<millis>}, and delete the oldest such copies beyond
	 * the number to keep: a device that loses power often would otherwise fill its disk with them.
	 */
	private Path keepDamagedCopy() throws IOException {
		Path directory = Objects.requireNonNull(this.journal.getParent(), "a journal is a file in a directory");
		long millis = System.currentTimeMillis();
		Path copy;
		while (true) {
			copy = directory.resolve(DAMAGED_PREFIX + millis);
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
		try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, DAMAGED_PREFIX + "*")) {
			for (Path file : files) {
				// The new copy stays whatever the others are named, even if the clock went back since they were made.
				if (damagedCopyMillis(file) >= 0 && !file.equals(copy)) {
					copies.add(file);
				}
			}
			copies.sort(Comparator.comparingLong(JournalLoader::damagedCopyMillis).reversed());
			int keep = this.settings.damagedCopiesToKeep();
			for (Path old : copies.subList(Math.min(keep - 1, copies.size()), copies.size())) {
				Files.deleteIfExists(old);
				logger.log(System.Logger.Level.INFO,
						"Deleted " + old + ": only the newest " + keep + " copies of damaged journals are kept");
			}
		}
		catch (IOException ex) {
			// The new copy is made; old ones stay until the next recovery tries again.
			logger.log(System.Logger.Level.WARNING, "Could not delete old copies of damaged journals in " + directory,
					ex);
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
	 * intact record has to be written again: a torn last record is cut off, a damaged one becomes blank lines, a
	 * damaged header is written anew. Should this be cut short, what is left of the damage is dropped again.
	 * @return where the records now end
	 */
	private long clearDamage(List<RecoveryReport.DroppedRecord> dropped, RecoveryReport.@Nullable DroppedRecord torn,
			@Nullable HeaderLine replacement, long recordsEnd) throws IOException {
		try (FileChannel out = this.settings.opener().open(this.journal, StandardOpenOption.WRITE)) {
			ByteBuffer blank = ByteBuffer.allocate(1 << 16);
			Arrays.fill(blank.array(), (byte) '\n');
			long end = recordsEnd;
			for (RecoveryReport.DroppedRecord record : dropped) {
				if (record == torn) {
					continue;
				}
				for (long done = 0; done < record.length();) {
					blank.clear().limit((int) Math.min(blank.capacity(), record.length() - done));
					done += out.write(blank, record.offset() + done);
				}
				// A lost line end after the last record is written after it.
				end = Math.max(end, record.offset() + record.length());
			}
			if (replacement != null) {
				JournalWriter.writeFully(out.position(0), ByteBuffer.wrap(replacement.bytes()));
			}
			if (torn != null) {
				out.truncate(torn.offset());
				end = torn.offset();
			}
			out.force(true);
			return end;
		}
	}

	/** A header for the place of a damaged one: the current one if it fits, the version 1 one otherwise. */
	private HeaderLine headerFitting(int room) {
		byte[] current = JournalFormat.header();
		if (current.length <= room) {
			return new HeaderLine(current, JournalFormat.VERSION);
		}
		byte[] first = ("{\"format\":\"" + JournalFormat.FORMAT_NAME + "\",\"version\":1}\n")
			.getBytes(StandardCharsets.US_ASCII);
		if (first.length <= room) {
			return new HeaderLine(first, 1);
		}
		throw new StoreFormatException("'" + this.journal + "' has a damaged header that is too short to write a "
				+ "header in its place; the journal as found is kept beside it");
	}

	/** The latest state of each operation read so far, by its entry in the payload positions; null once deleted. */
	private static final class LatestStates {

		private @Nullable Operation[] states;

		private int size;

		LatestStates(int expected) {
			this.states = new Operation[Math.max(16, expected)];
		}

		@Nullable Operation get(int entry) {
			return (entry < this.size) ? this.states[entry] : null;
		}

		void set(int entry, @Nullable Operation state) {
			if (entry >= this.states.length) {
				this.states = Arrays.copyOf(this.states, Math.max(entry + 1, this.states.length * 2));
			}
			this.states[entry] = state;
			this.size = Math.max(this.size, entry + 1);
		}

		/** @return every operation not deleted, in the order they first appeared */
		List<Operation> live() {
			List<Operation> live = new ArrayList<>(this.size);
			for (int entry = 0; entry < this.size; entry++) {
				if (this.states[entry] != null) {
					live.add(this.states[entry]);
				}
			}
			this.states = new Operation[0];
			return live;
		}

	}

}
