package io.offlinesync.store.file;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Every tuning value of a {@link FileOutboxStore}, each with its default and why. Immutable; the {@code with…}
 * methods return copies. Tests set values here, never through hooks of the store.
 *
 * @param fsync whether each change is forced to disk before the call returns (default on: a power loss keeps every
 * acknowledged change)
 * @param compactionSlack compact once the journal holds more than twice the live operations plus this many records
 * (default 10,000: a small journal is not worth rewriting)
 * @param preallocation how far the journal is extended ahead of its records with fsync on (default 1 MiB: a force
 * that does not change the file's length spares ext4 a metadata update, nearly halving its cost)
 * @param reservePerOperation bytes kept free in the journal's preallocated space for every operation still to be
 * delivered (default 512: one claim and one completion record), so that a full disk still records the delivery of
 * everything stored; an enqueue that would eat into it is refused
 * @param payloadCache how many payloads read or written lately stay on the heap (default 512: a claimed operation is
 * completed soon after, and its payload is needed once more only if it fails)
 * @param gatherWait how long a writer that could lead a force waits for the writers of the last force to join it,
 * when that force covered 16 (default 200 µs; longer after fewer, none after more; measured in BENCHMARKS.md)
 * @param damagedCopiesToKeep how many copies of journals in which recovery found damage are kept (default 3:
 * enough to compare, bounded on disk)
 * @param opener opens the store's channels (tests pass one that fails, or fills up, on purpose)
 * @param usableSpace tells how many bytes the journal's file system has free for it (default: the file store's
 * usable space); the reserve is written ahead of the records only once that runs low, so that a store with room to
 * spare does not write it
 */
record FileStoreSettings(boolean fsync, long compactionSlack, int preallocation, int reservePerOperation,
		int payloadCache, Duration gatherWait, int damagedCopiesToKeep, ChannelOpener opener, SpaceProbe usableSpace) {

	/** The default settings. */
	static final FileStoreSettings DEFAULTS = new FileStoreSettings(true, 10_000, 1 << 20, 512, 512,
			Duration.ofNanos(200_000), FileOutboxStore.DEFAULT_DAMAGED_COPIES_TO_KEEP, FileChannel::open,
			(directory) -> Files.getFileStore(directory).getUsableSpace());

	FileStoreSettings {
		requireNotNegative("compactionSlack", compactionSlack);
		requireNotNegative("preallocation", preallocation);
		requireNotNegative("reservePerOperation", reservePerOperation);
		requireNotNegative("payloadCache", payloadCache);
		Objects.requireNonNull(gatherWait, "'gatherWait' must not be null");
		if (damagedCopiesToKeep < 1) {
			throw new IllegalArgumentException("'damagedCopiesToKeep' must be at least 1 (the copy recovery has just "
					+ "made), was " + damagedCopiesToKeep);
		}
		Objects.requireNonNull(opener, "'opener' must not be null");
		Objects.requireNonNull(usableSpace, "'usableSpace' must not be null");
	}

	private static void requireNotNegative(String name, long value) {
		if (value < 0) {
			throw new IllegalArgumentException("'" + name + "' must not be negative but was " + value);
		}
	}

	FileStoreSettings withFsync(boolean fsync) {
		return new FileStoreSettings(fsync, this.compactionSlack, this.preallocation, this.reservePerOperation,
				this.payloadCache, this.gatherWait, this.damagedCopiesToKeep, this.opener,
				this.usableSpace);
	}

	FileStoreSettings withCompactionSlack(long compactionSlack) {
		return new FileStoreSettings(this.fsync, compactionSlack, this.preallocation, this.reservePerOperation,
				this.payloadCache, this.gatherWait, this.damagedCopiesToKeep, this.opener,
				this.usableSpace);
	}

	FileStoreSettings withReservePerOperation(int reservePerOperation) {
		return new FileStoreSettings(this.fsync, this.compactionSlack, this.preallocation, reservePerOperation,
				this.payloadCache, this.gatherWait, this.damagedCopiesToKeep, this.opener,
				this.usableSpace);
	}

	FileStoreSettings withPayloadCache(int payloadCache) {
		return new FileStoreSettings(this.fsync, this.compactionSlack, this.preallocation, this.reservePerOperation,
				payloadCache, this.gatherWait, this.damagedCopiesToKeep, this.opener,
				this.usableSpace);
	}

	FileStoreSettings withGatherWait(Duration gatherWait) {
		return new FileStoreSettings(this.fsync, this.compactionSlack, this.preallocation, this.reservePerOperation,
				this.payloadCache, gatherWait, this.damagedCopiesToKeep, this.opener,
				this.usableSpace);
	}

	FileStoreSettings withDamagedCopiesToKeep(int damagedCopiesToKeep) {
		return new FileStoreSettings(this.fsync, this.compactionSlack, this.preallocation, this.reservePerOperation,
				this.payloadCache, this.gatherWait, damagedCopiesToKeep, this.opener,
				this.usableSpace);
	}

	FileStoreSettings withOpener(ChannelOpener opener) {
		return new FileStoreSettings(this.fsync, this.compactionSlack, this.preallocation, this.reservePerOperation,
				this.payloadCache, this.gatherWait, this.damagedCopiesToKeep, opener,
				this.usableSpace);
	}

	FileStoreSettings withUsableSpace(SpaceProbe usableSpace) {
		return new FileStoreSettings(this.fsync, this.compactionSlack, this.preallocation, this.reservePerOperation,
				this.payloadCache, this.gatherWait, this.damagedCopiesToKeep, this.opener, usableSpace);
	}

	/** Tells the bytes free for the store on the file system of a directory. */
	@FunctionalInterface
	interface SpaceProbe {

		long usable(Path directory) throws IOException;

	}

	/** Opens the store's channels. */
	@FunctionalInterface
	interface ChannelOpener {

		FileChannel open(Path path, OpenOption... options) throws IOException;

	}

}
