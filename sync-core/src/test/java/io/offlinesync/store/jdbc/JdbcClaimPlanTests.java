package io.offlinesync.store.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;

import javax.sql.DataSource;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.offlinesync.test.Databases;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The claim, oldest-first claim and expiry queries stay on their indexes on PostgreSQL with 100,000 pending rows of
 * every priority behind 100,000 delivered ones, whether the table's statistics are fresh or stale (as they are in
 * the minute after a queue filled faster than autovacuum analyses it): never a scan of the table, nor of the
 * delivered rows. With fresh statistics the claim walks its index in claim order and stops at its limit; with stale
 * ones PostgreSQL may read a partial index of the claimable rows as a bitmap and sort them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JdbcClaimPlanTests {

	private static final int PENDING = 100_000;

	private static final int DELIVERED = 100_000;

	private final DataSource database = Databases.postgresPool();

	private final String table = Databases.uniqueTableName();

	private OutboxSql sql;

	@BeforeAll
	void fill() throws SQLException {
		JdbcOutboxStore.builder(this.database).tableName(this.table).createSchema(true).build();
		this.sql = new OutboxSql(this.table, JdbcDialect.POSTGRESQL);
		try (Connection connection = this.database.getConnection(); Statement statement = connection.createStatement()) {
			// Delivered ones first, kept for their retention, as a queue that has drained before holds them; then
			// pending ones of every priority: one in ten expires, one in twenty has an ordering key.
			statement.execute("INSERT INTO " + this.table + " (id, kind, target, payload, idempotency_key, ordering_key,"
					+ " status, attempt, next_attempt_at, created_at, updated_at, priority, expires_at)"
					+ " SELECT lpad(g::text, 20, '0'), 'http.post', '/t', '\\x7b7d'::bytea, lpad(g::text, 20, '0'),"
					+ " CASE WHEN g % 20 = 0 THEN 'key-' || (g % 7) END, CASE WHEN g <= " + DELIVERED
					+ " THEN 'DONE' ELSE 'PENDING' END, 0, now() - interval '1 minute', now(), now(), 1 + g % 9,"
					+ " CASE WHEN g % 10 = 0 THEN now() + (g % 100) * interval '1 minute' END"
					+ " FROM generate_series(1, " + (DELIVERED + PENDING) + ") g");
		}
	}

	@ParameterizedTest(name = "statistics {0}")
	@ValueSource(strings = { "stale", "fresh" })
	void claimsAndExpiryWalkTheirIndexes(String statistics) throws SQLException {
		if (statistics.equals("fresh")) {
			try (Connection connection = this.database.getConnection();
					Statement statement = connection.createStatement()) {
				statement.execute("ANALYZE " + this.table);
			}
		}
		String byPriority = plan(this.sql.claim, 3);
		// Only claimable rows: a partial index of them, never the table or its primary key.
		assertThat(byPriority).doesNotContain(this.table + "_pkey").doesNotContain("Seq Scan on " + this.table + " o");
		if (statistics.equals("fresh")) {
			assertThat(byPriority).contains("Index Scan using " + this.table + "_claim_order_idx")
				.doesNotContain("Sort");
		}
		String oldest = plan(this.sql.claimOldest, 3);
		assertThat(oldest).contains(this.table + "_oldest_idx").doesNotContain(this.table + "_pkey")
			.doesNotContain("Seq Scan on " + this.table + " o");
		String expiry = plan(this.sql.expired, 2);
		assertThat(expiry).contains(this.table + "_expiry_idx").doesNotContain("Seq Scan");
	}

	/** The plan of a statement whose parameters are times (now) but for the last, a limit of 32. */
	private String plan(String statement, int parameters) throws SQLException {
		try (Connection connection = this.database.getConnection();
				PreparedStatement explain = connection.prepareStatement("EXPLAIN " + statement)) {
			for (int i = 1; i < parameters; i++) {
				explain.setTimestamp(i, Timestamp.from(Instant.now()));
			}
			explain.setInt(parameters, 32);
			StringBuilder plan = new StringBuilder();
			try (ResultSet rows = explain.executeQuery()) {
				while (rows.next()) {
					plan.append(rows.getString(1)).append('\n');
				}
			}
			return plan.toString();
		}
	}

}
