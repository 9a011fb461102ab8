package io.offlinesync.receiver;

import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Handled keys in a table of the application's database. The key is inserted in the same transaction as the
 * handling runs in, so a handler that writes through the same transaction manager commits its effect and the key
 * together: a repeat is dropped even after a crash, and a handling that fails leaves no key behind. A repeat that
 * arrives while the first is being handled waits for it on the key's unique index. Keys older than the time to live
 * are deleted now and then.
 *
 * @since 0.1.0
 */
public final class JdbcIdempotencyStore implements IdempotencyStore {

	/** The table used unless another is configured. */
	public static final String DEFAULT_TABLE_NAME = "offline_sync_received";

	private static final Pattern TABLE_NAME = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*\\.)?[A-Za-z_][A-Za-z0-9_]*");

	/** Expired keys are deleted once per this many handlings. */
	private static final int PURGE_EVERY = 1_000;

	private final JdbcTemplate jdbc;

	private final TransactionTemplate transactions;

	private final String insert;

	private final String purge;

	private final Duration timeToLive;

	private final Clock clock;

	private final AtomicLong handlings = new AtomicLong();

	/**
	 * @param jdbc the application's database
	 * @param transactions runs each handling with its key in one transaction
	 * @param tableName the table, optionally qualified by its schema
	 * @param timeToLive how long a key is kept; positive
	 * @param clock the clock
	 */
	public JdbcIdempotencyStore(JdbcTemplate jdbc, TransactionTemplate transactions, String tableName,
			Duration timeToLive, Clock clock) {
		this.jdbc = Objects.requireNonNull(jdbc, "'jdbc' must not be null");
		this.transactions = Objects.requireNonNull(transactions, "'transactions' must not be null");
		requireTableName(tableName);
		if (timeToLive == null || timeToLive.isNegative() || timeToLive.isZero()) {
			throw new IllegalArgumentException("'timeToLive' must be positive but was " + timeToLive);
		}
		this.insert = "INSERT INTO " + tableName + " (idempotency_key, received_at) VALUES (?, ?)";
		this.purge = "DELETE FROM " + tableName + " WHERE received_at < ?";
		this.timeToLive = timeToLive;
		this.clock = Objects.requireNonNull(clock, "'clock' must not be null");
	}

	/**
	 * Create the table if it does not exist.
	 * @param jdbc the database
	 * @param tableName the table, optionally qualified by its schema
	 */
	public static void createTable(JdbcTemplate jdbc, String tableName) {
		requireTableName(tableName);
		jdbc.execute("CREATE TABLE IF NOT EXISTS " + tableName + " (idempotency_key VARCHAR(512) NOT NULL PRIMARY KEY,"
				+ " received_at TIMESTAMP WITH TIME ZONE NOT NULL)");
	}

	private static void requireTableName(String tableName) {
		if (tableName == null || !TABLE_NAME.matcher(tableName).matches()) {
			throw new IllegalArgumentException("'tableName' must be a plain SQL name, optionally qualified by a schema,"
					+ " but was '" + tableName + "'");
		}
	}

	@Override
	public boolean handleOnce(String idempotencyKey, Runnable handling) {
		if (this.handlings.incrementAndGet() % PURGE_EVERY == 0) {
			this.jdbc.update(this.purge, now().minus(this.timeToLive));
		}
		Boolean ran = this.transactions.execute((status) -> {
			try {
				this.jdbc.update(this.insert, idempotencyKey, now());
			}
			catch (DuplicateKeyException ex) {
				// A repeat: some databases abort the transaction with the failed insert, so it ends here.
				status.setRollbackOnly();
				return false;
			}
			handling.run();
			return true;
		});
		return Boolean.TRUE.equals(ran);
	}

	private OffsetDateTime now() {
		return this.clock.instant().atOffset(ZoneOffset.UTC);
	}

}
