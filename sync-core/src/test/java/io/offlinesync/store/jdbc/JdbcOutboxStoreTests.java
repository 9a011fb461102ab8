package io.offlinesync.store.jdbc;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import javax.sql.DataSource;

import org.junit.jupiter.api.Test;

import io.offlinesync.NewOperation;
import io.offlinesync.Operation;
import io.offlinesync.OperationStateException;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.OutboxConfig;
import io.offlinesync.StoreException;
import io.offlinesync.StoreSchemaException;
import io.offlinesync.test.Databases;
import io.offlinesync.test.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * What the JDBC store adds to the contract: dialects, schema, leases shared between instances, batched purges, and
 * clear failures.
 */
class JdbcOutboxStoreTests {

	private final MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");

	/**
	 * A table made by the 0.1 migration, holding an operation, is refused until the 0.2 migration is applied; then
	 * the operation it held is claimed with the default priority and no expiry.
	 */
	@Test
	void aTableOfTheFirstSchemaVersionIsRefusedUntilItsNextMigrationThenKeepsItsRows() throws SQLException {
		for (JdbcDialect dialect : JdbcDialect.values()) {
			DataSource database = (dialect == JdbcDialect.H2) ? Databases.h2("upgrade") : Databases.postgresPool();
			String table = Databases.uniqueTableName();
			try (Connection connection = database.getConnection(); Statement statement = connection.createStatement()) {
				for (String sql : JdbcSchema.statements(JdbcSchema.script(dialect, JdbcSchema.MIGRATIONS.get(0), table))) {
					statement.execute(sql);
				}
				try (PreparedStatement insert = connection.prepareStatement("INSERT INTO " + table + " (id, kind,"
						+ " target, payload, idempotency_key, status, attempt, next_attempt_at, created_at, updated_at)"
						+ " VALUES ('01a0', 'http.post', '/old', ?, '01a0', 'PENDING', 0, ?, ?, ?)")) {
					OffsetDateTime then = OffsetDateTime.parse("2025-12-31T00:00:00Z");
					insert.setBytes(1, "{}".getBytes(StandardCharsets.UTF_8));
					insert.setObject(2, then);
					insert.setObject(3, then);
					insert.setObject(4, then);
					insert.executeUpdate();
				}
			}
			assertThatExceptionOfType(StoreSchemaException.class).as(dialect.name())
				.isThrownBy(() -> JdbcOutboxStore.builder(database).tableName(table).build())
				.withMessageContaining("lacks the columns priority, expires_at, trace_context")
				.withMessageContaining(dialect.migrationLocation());
			try (Connection connection = database.getConnection(); Statement statement = connection.createStatement()) {
				for (String sql : JdbcSchema.statements(JdbcSchema.script(dialect, JdbcSchema.MIGRATIONS.get(1), table))) {
					statement.execute(sql);
				}
			}
			JdbcOutboxStore store = JdbcOutboxStore.builder(database).tableName(table).build();
			assertThat(store.claimReady(this.clock.instant(), 5)).singleElement().satisfies((operation) -> {
				assertThat(operation.target()).isEqualTo("/old");
				assertThat(operation.priority()).isEqualTo(NewOperation.DEFAULT_PRIORITY);
				assertThat(operation.expiresAt()).isNull();
				assertThat(operation.traceContext()).isEmpty();
			});
		}
	}

	@Test
	void detectsTheDialectOfTheDatabase() {
		assertThat(open(Databases.postgresPool(), Databases.uniqueTableName()).dialect())
			.isEqualTo(JdbcDialect.POSTGRESQL);
		assertThat(open(Databases.h2("dialect"), "outbox").dialect()).isEqualTo(JdbcDialect.H2);
	}

	@Test
	void refusesAMissingTableAndNamesTheMigrationsThatCreateIt() {
		assertThatExceptionOfType(StoreSchemaException.class)
			.isThrownBy(() -> JdbcOutboxStore.builder(Databases.h2("missing")).tableName("no_such_outbox").build())
			.withMessageContaining("The outbox table 'no_such_outbox' does not exist")
			.withMessageContaining("classpath:db/offline-sync/flyway/h2")
			.withMessageContaining("db/offline-sync/liquibase/changelog.xml");
	}

	@Test
	void refusesATableWithoutAColumnOrAnIndexTheStoreNeedsNamingIt() throws SQLException {
		for (JdbcDialect dialect : JdbcDialect.values()) {
			DataSource database = (dialect == JdbcDialect.H2) ? Databases.h2("shape") : Databases.postgresPool();
			String table = Databases.uniqueTableName();
			JdbcOutboxStore.builder(database).tableName(table).createSchema(true).build();
			try (Connection connection = database.getConnection(); Statement statement = connection.createStatement()) {
				statement.execute("DROP INDEX " + table + "_ordering_idx");
			}
			assertThatExceptionOfType(StoreSchemaException.class).as(dialect.name())
				.isThrownBy(() -> JdbcOutboxStore.builder(database).tableName(table).build())
				.withMessageContaining("lacks the index " + table + "_ordering_idx")
				.withMessageContaining(dialect.migrationLocation());
			try (Connection connection = database.getConnection(); Statement statement = connection.createStatement()) {
				statement.execute("ALTER TABLE " + table + " DROP COLUMN claimed_by");
			}
			assertThatExceptionOfType(StoreSchemaException.class).as(dialect.name())
				.isThrownBy(() -> JdbcOutboxStore.builder(database).tableName(table).build())
				.withMessageContaining("lacks the column claimed_by");
			// Creating the schema again adds what is missing; the rows stay.
			try (Connection connection = database.getConnection(); Statement statement = connection.createStatement()) {
				statement.execute("ALTER TABLE " + table + " ADD COLUMN claimed_by VARCHAR(200)");
			}
			JdbcOutboxStore.builder(database).tableName(table).createSchema(true).build();
		}
	}

	@Test
	void theMigrationScriptsInTheJarCreateAUsableTable() throws SQLException {
		for (JdbcDialect dialect : JdbcDialect.values()) {
			DataSource database = (dialect == JdbcDialect.H2) ? Databases.h2("script") : Databases.postgresPool();
			String schema = "script_" + Databases.uniqueTableName();
			try (Connection connection = database.getConnection(); Statement statement = connection.createStatement()) {
				statement.execute("CREATE SCHEMA " + schema);
				String use = (dialect == JdbcDialect.H2) ? "SET SCHEMA " : "SET search_path TO ";
				statement.execute(use + schema);
				for (String sql : JdbcSchema.statements(dialect, JdbcOutboxStore.DEFAULT_TABLE_NAME)) {
					statement.execute(sql);
				}
				statement.execute(use + "public");
			}
			JdbcOutboxStore store = JdbcOutboxStore.builder(database)
				.tableName(schema + "." + JdbcOutboxStore.DEFAULT_TABLE_NAME)
				.build();
			Outbox outbox = new Outbox(store, OutboxConfig.defaults(), this.clock);
			Operation enqueued = outbox.enqueue("http.post", "/notes", "from the script");
			assertThat(store.find(enqueued.id())).contains(enqueued);
		}
	}

	@Test
	void createsTheSchemaUnderAQualifiedTableNameWithIndexesNamedAfterIt() {
		String script = String.join(";\n", JdbcSchema.statements(JdbcDialect.POSTGRESQL, "app.outbox"));
		assertThat(script).contains("CREATE TABLE IF NOT EXISTS app.outbox (")
			.contains("outbox_claimable_idx")
			.contains("ON app.outbox (id)")
			.doesNotContain(JdbcOutboxStore.DEFAULT_TABLE_NAME);
	}

	@Test
	void refusesATableNameThatIsNotAPlainSqlName() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> JdbcOutboxStore.builder(Databases.h2("names")).tableName("outbox; DROP TABLE x"))
			.withMessageContaining("'tableName' must be a plain SQL name")
			.withMessageContaining("outbox; DROP TABLE x");
	}

	@Test
	void insertingAStoredIdAgainNamesItAndChangesNothing() {
		JdbcOutboxStore store = open(Databases.postgresPool(), Databases.uniqueTableName());
		Outbox outbox = new Outbox(store, OutboxConfig.defaults(), this.clock);
		Operation first = outbox.enqueue("http.post", "/notes", "first");
		Operation again = first.toBuilder().payload("second").build();
		assertThatIllegalArgumentException().isThrownBy(() -> store.insert(List.of(again)))
			.withMessage("Operation id '" + first.id() + "' is already stored");
		assertThat(store.find(first.id())).contains(first);
		assertThat(store.stats().total()).isOne();
	}

	@Test
	void refusesTextThatPostgresqlCannotHoldButKeepsSuchPayloads() {
		JdbcOutboxStore store = open(Databases.postgresPool(), Databases.uniqueTableName());
		Outbox outbox = new Outbox(store, OutboxConfig.defaults(), this.clock);
		assertThatIllegalArgumentException().isThrownBy(() -> outbox.enqueue("http.post", "/no\0tes", "x"))
			.withMessageContaining("target")
			.withMessageContaining("U+0000");
		Operation nul = outbox.enqueue("http.post", "/notes", "a\0b");
		assertThat(store.find(nul.id()).orElseThrow().payload()).isEqualTo("a\0b");
		assertThat(store.stats().total()).isOne();
	}

	@Test
	void onlyTheLeaseHolderCompletesAndAnExpiredLeaseIsTakenOverByAnotherInstance() {
		String table = Databases.uniqueTableName();
		JdbcOutboxStore first = open(Databases.postgresPool(), table, "first");
		JdbcOutboxStore second = open(Databases.postgresPool(), table, "second");
		Outbox firstOutbox = new Outbox(first, OutboxConfig.defaults(), this.clock);
		Outbox secondOutbox = new Outbox(second, OutboxConfig.defaults(), this.clock);
		Operation enqueued = firstOutbox.enqueue("http.post", "/notes", "leased");

		Operation claimedByFirst = firstOutbox.claimReady(10).get(0);
		assertThat(secondOutbox.claimReady(10)).as("claimed by the first instance").isEmpty();
		assertThatExceptionOfType(OperationStateException.class).isThrownBy(
				() -> second.complete(enqueued.id(), "not-the-token", this.clock.instant()));

		assertThat(secondOutbox.requeueStale(Duration.ofSeconds(30))).as("lease still running").isZero();
		this.clock.advance(Duration.ofSeconds(31));
		assertThat(secondOutbox.requeueStale(Duration.ofSeconds(30))).isOne();
		Operation claimedBySecond = secondOutbox.claimReady(10).get(0);
		assertThat(claimedBySecond.attempt()).isEqualTo(2);

		assertThatExceptionOfType(OperationStateException.class)
			.isThrownBy(() -> firstOutbox.markDone(claimedByFirst))
			.withMessageContaining("no longer current");
		assertThat(secondOutbox.markDone(claimedBySecond).status()).isEqualTo(OperationStatus.DONE);
	}

	@Test
	void anOrderingKeyHoldsAcrossInstances() {
		String table = Databases.uniqueTableName();
		Outbox first = new Outbox(open(Databases.postgresPool(), table, "first"), OutboxConfig.defaults(), this.clock);
		Outbox second = new Outbox(open(Databases.postgresPool(), table, "second"), OutboxConfig.defaults(),
				this.clock);
		Operation earlier = first.enqueue(NewOperation.of("http.post", "/notes", "1").withOrderingKey("note-7"));
		Operation later = first.enqueue(NewOperation.of("http.post", "/notes", "2").withOrderingKey("note-7"));

		assertThat(first.claimReady(10)).extracting(Operation::id).containsExactly(earlier.id());
		assertThat(second.claimReady(10)).as("waits behind the earlier one, held elsewhere").isEmpty();
		first.markDone(first.find(earlier.id()).orElseThrow());
		assertThat(second.claimReady(10)).extracting(Operation::id).containsExactly(later.id());
	}

	@Test
	void purgesDoneOperationsInBatches() {
		JdbcOutboxStore store = JdbcOutboxStore.builder(Databases.postgresPool())
			.tableName(Databases.uniqueTableName())
			.createSchema(true)
			.purgeBatchSize(3)
			.build();
		Outbox outbox = new Outbox(store, OutboxConfig.defaults(), this.clock);
		for (int i = 0; i < 10; i++) {
			outbox.enqueue("http.post", "/notes", "n" + i);
		}
		Operation kept = outbox.enqueue("http.post", "/notes", "still pending");
		outbox.claimReady(10).forEach(outbox::markDone);
		this.clock.advance(Duration.ofHours(2));

		assertThat(outbox.purgeDone(Duration.ofHours(1))).isEqualTo(10);
		assertThat(store.list(Set.of(), null, 100)).extracting(Operation::id).containsExactly(kept.id());
	}

	@Test
	void anUnreachableDatabaseFailsTheCallClearlyAndLosesNothing() {
		SwitchableDataSource database = new SwitchableDataSource(Databases.h2("unreachable"));
		JdbcOutboxStore store = open(database, "outbox");
		Outbox outbox = new Outbox(store, OutboxConfig.defaults(), this.clock);
		Operation stored = outbox.enqueue("http.post", "/notes", "before the outage");

		database.down.set(true);
		assertThatExceptionOfType(StoreException.class)
			.isThrownBy(() -> outbox.enqueue("http.post", "/notes", "during the outage"))
			.withMessageStartingWith("Could not insert operations in table 'outbox': ")
			.withMessageContaining("database is down");
		assertThatExceptionOfType(StoreException.class).isThrownBy(store::stats)
			.withMessageContaining("Could not count operations");

		database.down.set(false);
		assertThat(store.list(Set.of(), null, 10)).containsExactly(stored);
	}

	@Test
	void keepsTimesToTheMicrosecond() {
		JdbcOutboxStore store = open(Databases.postgresPool(), Databases.uniqueTableName());
		Outbox outbox = new Outbox(store, OutboxConfig.defaults(), this.clock);
		this.clock.set(Instant.parse("2026-03-01T10:00:00.123456789Z"));
		Operation enqueued = outbox.enqueue("http.post", "/notes", "precise");
		assertThat(enqueued.createdAt()).isEqualTo(Instant.parse("2026-03-01T10:00:00.123456Z"));
		Operation claimed = store.claim(enqueued.id(), Instant.parse("2026-03-01T10:00:01.000000999Z"));
		assertThat(claimed.updatedAt()).isEqualTo(Instant.parse("2026-03-01T10:00:01Z"));
		assertThat(store.find(enqueued.id())).contains(claimed);
	}

	private static JdbcOutboxStore open(DataSource dataSource, String table) {
		return JdbcOutboxStore.builder(dataSource).tableName(table).createSchema(true).build();
	}

	private static JdbcOutboxStore open(DataSource dataSource, String table, String owner) {
		return JdbcOutboxStore.builder(dataSource).tableName(table).createSchema(true).owner(owner).build();
	}

	/**
	 * A real database whose connections can be refused, standing for a network partition or a database restart.
	 */
	private static final class SwitchableDataSource implements DataSource {

		private final DataSource target;

		final AtomicBoolean down = new AtomicBoolean();

		SwitchableDataSource(DataSource target) {
			this.target = target;
		}

		@Override
		public Connection getConnection() throws SQLException {
			if (this.down.get()) {
				throw new SQLException("Connection refused: the database is down", "08001");
			}
			return this.target.getConnection();
		}

		@Override
		public Connection getConnection(String username, String password) throws SQLException {
			return getConnection();
		}

		@Override
		public PrintWriter getLogWriter() {
			return null;
		}

		@Override
		public void setLogWriter(PrintWriter out) {
		}

		@Override
		public void setLoginTimeout(int seconds) {
		}

		@Override
		public int getLoginTimeout() {
			return 0;
		}

		@Override
		public Logger getParentLogger() throws SQLFeatureNotSupportedException {
			throw new SQLFeatureNotSupportedException();
		}

		@Override
		public <T> T unwrap(Class<T> type) throws SQLException {
			throw new SQLException("not a wrapper");
		}

		@Override
		public boolean isWrapperFor(Class<?> type) {
			return false;
		}

	}

}
