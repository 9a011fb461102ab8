package io.offlinesync.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

import io.offlinesync.StoreException;
import io.offlinesync.StoreFormatException;
import io.offlinesync.StoreLockedException;

/**
 * Explains the start-up failures of offline-sync that a user can fix: a bad {@code sync.*} value, a store directory
 * held by another process, a journal of an unknown format.
 */
class SyncFailureAnalyzer extends AbstractFailureAnalyzer<io.offlinesync.SyncException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, io.offlinesync.SyncException cause) {
		if (cause instanceof InvalidSyncPropertyException invalid) {
			return new FailureAnalysis("Invalid offline-sync configuration: " + invalid.getMessage(),
					"Update '" + invalid.getProperty() + "' in your application configuration.", cause);
		}
		if (cause instanceof StoreLockedException) {
			return new FailureAnalysis(cause.getMessage(),
					"Stop the other application that uses this outbox directory, or give this one its own with "
							+ "'sync.store.file.directory'.",
					cause);
		}
		if (cause instanceof StoreFormatException) {
			return new FailureAnalysis(cause.getMessage(),
					"Point 'sync.store.file.directory' at an offline-sync outbox directory, or run the version of "
							+ "offline-sync that wrote it. The file was left untouched.",
					cause);
		}
		if (cause instanceof StoreException) {
			return new FailureAnalysis("The offline-sync outbox store could not be opened: " + cause.getMessage(),
					"Check that 'sync.store.file.directory' is a writable directory with free space.", cause);
		}
		return null;
	}

}
