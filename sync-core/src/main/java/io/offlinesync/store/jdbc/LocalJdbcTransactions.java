package io.offlinesync.store.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import javax.sql.DataSource;

import org.jspecify.annotations.Nullable;

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
			T result;
			try {
				result = work.run(connection);
				connection.commit();
			}
			catch (SQLException | RuntimeException | Error ex) {
				rollback(connection, ex);
				restoreAutoCommit(connection, autoCommit, ex);
				throw ex;
			}
			restoreAutoCommit(connection, autoCommit, null);
			return result;
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

	/**
	 * A pooled connection goes back as it came. After a failure, a failure to restore it must not hide the first one.
	 */
	private static void restoreAutoCommit(Connection connection, boolean autoCommit, @Nullable Throwable failure)
			throws SQLException {
		if (!autoCommit) {
			return;
		}
		try {
			connection.setAutoCommit(true);
		}
		catch (SQLException ex) {
			if (failure == null) {
				throw ex;
			}
			failure.addSuppressed(ex);
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
