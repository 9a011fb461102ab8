package io.offlinesync.store.file;

/**
 * What a {@link FileOutboxStore} has done since it was opened: for meters, and for tests that watch it work.
 *
 * @param records records in the journal now
 * @param compacting whether a compaction runs now
 * @param compactions how many compactions replaced the journal
 * @param failedCompactions how many compactions failed and left the journal as it was (a full disk, say)
 * @param payloadCacheHits payloads found on the heap
 * @param payloadReads payloads read back from the journal
 * @param quarantined operations set aside because their record could not be read back
 * @since 0.1.0
 */
public record FileStoreStatistics(long records, boolean compacting, long compactions, long failedCompactions, long payloadCacheHits,
		long payloadReads, int quarantined) {
}
