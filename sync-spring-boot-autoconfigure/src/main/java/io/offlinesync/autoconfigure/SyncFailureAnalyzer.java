package io.offlinesync.autoconfigure;

import java.util.Locale;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.env.Environment;

import io.offlinesync.StoreException;
import io.offlinesync.StoreFormatException;
import io.offlinesync.StoreLockedException;
import io.offlinesync.StoreSchemaException;

/**
 * Explains the start-up failures of offline-sync that a user can fix: a bad {@code sync.*} value, a store directory
 * held by another process, a journal of an unknown format, a database table that is missing or incomplete, a store
 * that cannot be opened (with advice for the configured store type).
 */
class SyncFailureAnalyzer extends AbstractFailureAnalyzer<io.offlinesync.SyncException> {

	private final Environment environment;

	SyncFailureAnalyzer(Environment environment) {
		this.environment = environment;
	}

	@Override
	protected @Nullable FailureAnalysis analyze(Throwable rootFailure, io.offlinesync.SyncException cause) {
		if (cause instanceof InvalidSyncPropertyException invalid) {
			return new FailureAnalysis("Invalid offline-sync configuration: " + invalid.getMessage(),
					"Update '" + invalid.getProperty() + "' in your application configuration.", cause);
		}
		if (cause instanceof StoreLockedException locked) {
			String action = locked.isHeldInThisProcess()
					? "Another application context in this JVM has the store open; in tests, Spring's context cache "
							+ "keeps it. Add @AutoConfigureOfflineSync (from io.offlinesync:sync-test) to the test "
							+ "classes, which gives each context a store of its own, or give each context its own "
							+ "'sync.store.file.directory'."
					: "Stop the other application that uses this outbox directory, or give this one its own with "
							+ "'sync.store.file.directory'.";
			return new FailureAnalysis(cause.getMessage(), action, cause);
		}
		if (cause instanceof StoreFormatException) {
			return new FailureAnalysis(cause.getMessage(),
					"Point 'sync.store.file.directory' at an offline-sync outbox directory, or run the version of "
							+ "offline-sync that wrote it. The file was left untouched.",
					cause);
		}
		if (cause instanceof StoreSchemaException) {
			return new FailureAnalysis(cause.getMessage(), "Apply the offline-sync migrations with Flyway "
					+ "(spring.flyway.locations=classpath:db/migration,classpath:db/offline-sync/flyway/{vendor}) or "
					+ "Liquibase (include db/offline-sync/liquibase/changelog.xml), or let the store create its table "
					+ "with 'sync.store.jdbc.initialize-schema=always'.", cause);
		}
		if (cause instanceof StoreException) {
			String type = this.environment.getProperty("sync.store.type", "file").trim().toLowerCase(Locale.ROOT);
			String action = switch (type) {
				case "jdbc" -> "Check that the application's DataSource (spring.datasource.*) reaches a PostgreSQL or "
						+ "H2 database and that its user may read and write 'sync.store.jdbc.table-name'.";
				case "memory" -> "The memory store cannot fail to open; check the cause below.";
				default -> "Check that 'sync.store.file.directory' is a writable directory with free space.";
			};
			return new FailureAnalysis("The offline-sync outbox store could not be opened: " + cause.getMessage(),
					action, cause);
		}
		return null;
	}

}
