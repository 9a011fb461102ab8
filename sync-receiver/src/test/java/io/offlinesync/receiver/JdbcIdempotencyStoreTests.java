package io.offlinesync.receiver;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.offlinesync.test.Databases;
import io.offlinesync.test.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * The key commits with the handler's own changes: on PostgreSQL and H2, a repeat is dropped, a failed handling
 * leaves neither its changes nor its key, and a repeat arriving during the first handling waits and is dropped.
 */
class JdbcIdempotencyStoreTests {

	private final MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");

	private DataSource database(String name) {
		return name.equals("postgresql") ? Databases.postgresPool() : Databases.h2("received");
	}

	private JdbcIdempotencyStore store(JdbcTemplate jdbc, DataSource database, String table) {
		JdbcIdempotencyStore.createTable(jdbc, table);
		return new JdbcIdempotencyStore(jdbc, new TransactionTemplate(new DataSourceTransactionManager(database)),
				table, Duration.ofDays(1), this.clock);
	}

	@ParameterizedTest
	@ValueSource(strings = { "postgresql", "h2" })
	void theKeyCommitsWithTheHandlersChanges(String name) {
		DataSource database = database(name);
		JdbcTemplate jdbc = new JdbcTemplate(database);
		String table = Databases.uniqueTableName();
		String notes = table + "_notes";
		jdbc.execute("CREATE TABLE " + notes + " (text VARCHAR(100))");
		JdbcIdempotencyStore store = store(jdbc, database, table);

		assertThat(store.handleOnce("k1", () -> jdbc.update("INSERT INTO " + notes + " VALUES ('first')"))).isTrue();
		assertThat(store.handleOnce("k1", () -> jdbc.update("INSERT INTO " + notes + " VALUES ('again')"))).isFalse();
		assertThatIllegalStateException().isThrownBy(() -> store.handleOnce("k2", () -> {
			jdbc.update("INSERT INTO " + notes + " VALUES ('half done')");
			throw new IllegalStateException("failed after writing");
		}));
		assertThat(jdbc.queryForList("SELECT text FROM " + notes, String.class)).containsExactly("first");
		assertThat(store.handleOnce("k2", () -> jdbc.update("INSERT INTO " + notes + " VALUES ('second')"))).isTrue();
		assertThat(jdbc.queryForList("SELECT text FROM " + notes + " ORDER BY text", String.class))
			.containsExactly("first", "second");
	}

	@ParameterizedTest
	@ValueSource(strings = { "postgresql", "h2" })
	void aRepeatDuringTheFirstHandlingWaitsAndIsDropped(String name) throws Exception {
		DataSource database = database(name);
		JdbcTemplate jdbc = new JdbcTemplate(database);
		JdbcIdempotencyStore store = store(jdbc, database, Databases.uniqueTableName());
		AtomicInteger runs = new AtomicInteger();
		CountDownLatch inside = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		ExecutorService threads = Executors.newFixedThreadPool(2);
		try {
			Future<Boolean> first = threads.submit(() -> store.handleOnce("k", () -> {
				runs.incrementAndGet();
				inside.countDown();
				try {
					release.await(10, TimeUnit.SECONDS);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			}));
			assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
			Future<Boolean> repeat = threads.submit(() -> store.handleOnce("k", runs::incrementAndGet));
			release.countDown();
			assertThat(first.get(20, TimeUnit.SECONDS)).isTrue();
			assertThat(repeat.get(20, TimeUnit.SECONDS)).isFalse();
			assertThat(runs).hasValue(1);
		}
		finally {
			threads.shutdownNow();
		}
	}

}
