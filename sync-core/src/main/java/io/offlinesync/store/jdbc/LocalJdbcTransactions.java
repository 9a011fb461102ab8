package io.offlinesync.store.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;

import javax.sql.DataSource;

/**
 * A transaction of its own for each call, committed on return and rolled back on any exception.
 */
final class LocalJdbcTransactions implements JdbcTransactions {

	private final DataSource dataSource;

	LocalJdbcTransactions(DataSource dataSource) {
		this.dataSource = Objects.requireNonNull(dataSource, "'dataSource' must not be null");
	}

	@Override
	public <T> T inTransaction(SqlWork<T> work) throws SQLException {
		try (Connection connection = this.dataSource.getConnection()) {
			boolean autoCommit = connection.getAutoCommit();
			if (autoCommit) {
				connection.setAutoCommit(false);
			}
			try {
				T result = work.run(connection);
				connection.commit();
				return result;
			}
			catch (SQLException | RuntimeException | Error ex) {
				rollback(connection, ex);
				throw ex;
			}
			finally {
				if (autoCommit) {
					// A pooled connection goes back as it came.
					connection.setAutoCommit(true);
				}
			}
		}
	}

	@Override
	public <T> T singleStatement(SqlWork<T> work) throws SQLException {
		try (Connection connection = this.dataSource.getConnection()) {
			if (!connection.getAutoCommit()) {
				connection.setAutoCommit(true);
			}
			return work.run(connection);
		}
	}

	private static void rollback(Connection connection, Throwable cause) {
		try {
			connection.rollback();
		}
		catch (SQLException ex) {
			cause.addSuppressed(ex);
		}
	}

	@Override
	public String toString() {
		return "LocalJdbcTransactions[" + this.dataSource + "]";
	}

}
