package io.offlinesync.store.file;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

/**
 * What opening a {@link FileOutboxStore} found: how many records it read and which it had to drop.
 *
 * @since 0.1.0
 */
public final class RecoveryReport {

	private final long recordsRead;

	private final List<DroppedRecord> dropped;

	private final @Nullable Path damagedCopy;

	private final int requeuedClaims;

	RecoveryReport(long recordsRead, List<DroppedRecord> dropped, @Nullable Path damagedCopy) {
		this(recordsRead, dropped, damagedCopy, 0);
	}

	private RecoveryReport(long recordsRead, List<DroppedRecord> dropped, @Nullable Path damagedCopy,
			int requeuedClaims) {
		this.recordsRead = recordsRead;
		this.dropped = List.copyOf(dropped);
		this.damagedCopy = damagedCopy;
		this.requeuedClaims = requeuedClaims;
	}

	RecoveryReport withRequeuedClaims(int requeued) {
		return new RecoveryReport(this.recordsRead, this.dropped, this.damagedCopy, requeued);
	}

	/**
	 * @return how many operations the previous process left in flight: since the store's exclusive lock proves their
	 * claimer gone, the first stale-claim sweep requeues them instead of waiting for the in-flight timeout
	 */
	public int requeuedClaims() {
		return this.requeuedClaims;
	}

	/** @return how many intact records were read */
	public long recordsRead() {
		return this.recordsRead;
	}

	/** @return the records that were damaged or torn and so dropped, in file order */
	public List<DroppedRecord> dropped() {
		return this.dropped;
	}

	/** @return whether everything on disk was intact */
	public boolean isClean() {
		return this.dropped.isEmpty();
	}

	/** @return the copy of the journal as found, kept when anything was dropped */
	public Optional<Path> damagedCopy() {
		return Optional.ofNullable(this.damagedCopy);
	}

	@Override
	public String toString() {
		return "RecoveryReport[recordsRead=" + this.recordsRead + ", dropped=" + this.dropped + ", damagedCopy="
				+ this.damagedCopy + ", requeuedClaims=" + this.requeuedClaims + "]";
	}

	/**
	 * A record that recovery dropped.
	 *
	 * @param offset the byte offset of the record in the journal as found
	 * @param length its length in bytes
	 * @param reason why it was dropped
	 * @since 0.1.0
	 */
	public record DroppedRecord(long offset, int length, String reason) {
	}

}
