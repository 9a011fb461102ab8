package io.offlinesync.store.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import javax.sql.DataSource;

import liquibase.Scope;
import liquibase.command.CommandScope;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.resource.ClassLoaderResourceAccessor;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import io.offlinesync.Operation;
import io.offlinesync.Outbox;
import io.offlinesync.OutboxConfig;
import io.offlinesync.store.AbstractOutboxStoreContractTests;
import io.offlinesync.store.OutboxStore;
import io.offlinesync.test.Databases;
import io.offlinesync.test.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The versioned migrations, applied by the real tools that applications use: the whole store contract on tables that
 * Flyway created (PostgreSQL and H2), Flyway next to an application's own migrations, and Liquibase.
 */
class JdbcMigrationsTests {

	/** A fresh PostgreSQL schema migrated by Flyway, with its own history table. */
	static String migrateWithFlyway(DataSource database, JdbcDialect dialect) throws SQLException {
		String schema = "flyway_" + Databases.uniqueTableName();
		if (dialect == JdbcDialect.POSTGRESQL) {
			try (Connection connection = database.getConnection(); Statement statement = connection.createStatement()) {
				statement.execute("CREATE SCHEMA " + schema);
			}
		}
		Flyway flyway = Flyway.configure()
			.dataSource(database)
			.schemas((dialect == JdbcDialect.POSTGRESQL) ? schema : "PUBLIC")
			.locations("classpath:" + dialect.migrationLocation())
			.load();
		MigrateResult result = flyway.migrate();
		assertThat(result.migrationsExecuted).isEqualTo(JdbcSchema.MIGRATIONS.size());
		return (dialect == JdbcDialect.POSTGRESQL) ? schema + "." + JdbcOutboxStore.DEFAULT_TABLE_NAME
				: JdbcOutboxStore.DEFAULT_TABLE_NAME;
	}

	static JdbcOutboxStore openWithoutCreating(DataSource database, String table) {
		return JdbcOutboxStore.builder(database).tableName(table).createSchema(false).build();
	}

	@Nested
	class FlywayOnPostgreSql extends AbstractOutboxStoreContractTests {

		private String table;

		@Override
		protected OutboxStore createStore() throws SQLException {
			this.table = migrateWithFlyway(Databases.postgresPool(), JdbcDialect.POSTGRESQL);
			return openWithoutCreating(Databases.postgresPool(), this.table);
		}

		@Override
		protected OutboxStore reopen(OutboxStore store) {
			store.close();
			return openWithoutCreating(Databases.postgresPool(), this.table);
		}

	}

	@Nested
	class FlywayOnH2 extends AbstractOutboxStoreContractTests {

		private final DataSource database = Databases.h2("flyway");

		@Override
		protected OutboxStore createStore() throws SQLException {
			return openWithoutCreating(this.database, migrateWithFlyway(this.database, JdbcDialect.H2));
		}

		@Override
		protected OutboxStore reopen(OutboxStore store) {
			store.close();
			return openWithoutCreating(this.database, JdbcOutboxStore.DEFAULT_TABLE_NAME);
		}

	}

	@Test
	void flywayAppliesTheMigrationsBesideAnApplicationsOwnOnesThatCameFirst() throws SQLException {
		DataSource database = Databases.h2("beside");
		Flyway.configure().dataSource(database).locations("classpath:db/test-app-migrations").load().migrate();
		// The application's migrations are at version 1 already; the outbox's (0.x) go in out of order.
		MigrateResult result = Flyway.configure()
			.dataSource(database)
			.locations("classpath:db/test-app-migrations", "classpath:" + JdbcDialect.H2.migrationLocation())
			.outOfOrder(true)
			.load()
			.migrate();
		assertThat(result.migrationsExecuted).isEqualTo(JdbcSchema.MIGRATIONS.size());
		usable(openWithoutCreating(database, JdbcOutboxStore.DEFAULT_TABLE_NAME));
	}

	@Test
	void liquibaseAppliesTheChangelogOnEitherDatabase() throws Exception {
		String schema = "liquibase_" + Databases.uniqueTableName();
		try (Connection connection = Databases.postgresPool().getConnection();
				Statement statement = connection.createStatement()) {
			statement.execute("CREATE SCHEMA " + schema);
		}
		applyChangelog(Databases.postgresPool(), schema);
		usable(openWithoutCreating(Databases.postgresPool(), schema + "." + JdbcOutboxStore.DEFAULT_TABLE_NAME));

		DataSource h2 = Databases.h2("liquibase");
		applyChangelog(h2, null);
		usable(openWithoutCreating(h2, JdbcOutboxStore.DEFAULT_TABLE_NAME));
	}

	private static void applyChangelog(DataSource dataSource, String schema) throws Exception {
		try (Connection connection = dataSource.getConnection()) {
			Database database = DatabaseFactory.getInstance()
				.findCorrectDatabaseImplementation(new JdbcConnection(connection));
			if (schema != null) {
				database.setDefaultSchemaName(schema);
			}
			Scope.child(Scope.Attr.resourceAccessor.name(), new ClassLoaderResourceAccessor(), () -> new CommandScope(
					"update")
				.addArgumentValue("changelogFile", JdbcSchema.LIQUIBASE_CHANGELOG)
				.addArgumentValue("database", database)
				.execute());
		}
	}

	private static void usable(JdbcOutboxStore store) {
		Outbox outbox = new Outbox(store, OutboxConfig.defaults(), MutableClock.startingAt("2026-01-01T00:00:00Z"));
		Operation enqueued = outbox.enqueue("http.post", "/notes", "{}");
		assertThat(outbox.claimReady(10)).extracting(Operation::id).containsExactly(enqueued.id());
		store.close();
	}

}
