package io.offlinesync.store.jdbc;

import javax.sql.DataSource;

import org.junit.jupiter.api.Nested;

import io.offlinesync.store.AbstractOutboxStoreContractTests;
import io.offlinesync.store.OutboxStore;
import io.offlinesync.test.Databases;

/**
 * The store contract against a real PostgreSQL and against H2, each test on a fresh table. Reopening opens a new
 * store on the same table, as a restarted instance would.
 */
class JdbcOutboxStoreContractTests {

	@Nested
	class PostgreSql extends AbstractOutboxStoreContractTests {

		private final String table = Databases.uniqueTableName();

		@Override
		protected OutboxStore createStore() {
			return open(Databases.postgresPool(), this.table);
		}

		@Override
		protected OutboxStore reopen(OutboxStore store) {
			store.close();
			return open(Databases.postgresPool(), this.table);
		}

	}

	@Nested
	class H2 extends AbstractOutboxStoreContractTests {

		private final DataSource database = Databases.h2("contract");

		@Override
		protected OutboxStore createStore() {
			return open(this.database, JdbcOutboxStore.DEFAULT_TABLE_NAME);
		}

		@Override
		protected OutboxStore reopen(OutboxStore store) {
			store.close();
			return open(this.database, JdbcOutboxStore.DEFAULT_TABLE_NAME);
		}

	}

	static JdbcOutboxStore open(DataSource dataSource, String table) {
		return JdbcOutboxStore.builder(dataSource).tableName(table).createSchema(true).build();
	}

}
