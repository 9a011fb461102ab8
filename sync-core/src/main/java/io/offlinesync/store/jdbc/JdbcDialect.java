package io.offlinesync.store.jdbc;

import io.offlinesync.StoreException;

/**
 * The databases {@link JdbcOutboxStore} supports, with what differs between them.
 *
 * @since 0.1.0
 */
public enum JdbcDialect {

	/** PostgreSQL: the database for several application instances sharing one outbox. */
	POSTGRESQL("PostgreSQL", "postgresql", "FOR UPDATE OF o SKIP LOCKED", true),

	/** H2, for embedded use and tests. */
	H2("H2", "h2", "FOR UPDATE SKIP LOCKED", false);

	private final String productName;

	private final String vendor;

	private final String lockSkippingLocked;

	private final boolean updateReturning;

	JdbcDialect(String productName, String vendor, String lockSkippingLocked, boolean updateReturning) {
		this.updateReturning = updateReturning;
		this.productName = productName;
		this.vendor = vendor;
		this.lockSkippingLocked = lockSkippingLocked;
	}

	/**
	 * The dialect of a database, from the product name its JDBC driver reports.
	 * @param databaseProductName {@link java.sql.DatabaseMetaData#getDatabaseProductName()}
	 * @return the dialect
	 * @throws StoreException if the database is not supported
	 */
	public static JdbcDialect fromProductName(String databaseProductName) {
		for (JdbcDialect dialect : values()) {
			if (dialect.productName.equalsIgnoreCase(databaseProductName.trim())) {
				return dialect;
			}
		}
		throw new StoreException("The database '" + databaseProductName + "' is not supported by the JDBC outbox store;"
				+ " supported are " + supportedNames());
	}

	/**
	 * The class-path folder of this dialect's versioned migration scripts, which create the table under its default
	 * name {@value JdbcOutboxStore#DEFAULT_TABLE_NAME}: what Flyway applies with
	 * {@code spring.flyway.locations=classpath:db/offline-sync/flyway/{vendor}}.
	 * @return the folder, for example {@code db/offline-sync/flyway/postgresql}
	 */
	public String migrationLocation() {
		return "db/offline-sync/flyway/" + this.vendor;
	}

	/** The clause that locks the selected rows of alias {@code o}, passing over rows other transactions hold. */
	String lockSkippingLocked() {
		return this.lockSkippingLocked;
	}

	/**
	 * Whether {@code UPDATE … RETURNING} and {@code gen_random_uuid()} let a claim or a completion be one statement:
	 * one round trip instead of a read, a write and a commit.
	 */
	boolean updateReturning() {
		return this.updateReturning;
	}

	private static String supportedNames() {
		StringBuilder names = new StringBuilder();
		for (JdbcDialect dialect : values()) {
			names.append((names.length() > 0) ? ", " : "").append(dialect.productName);
		}
		return names.toString();
	}

}
