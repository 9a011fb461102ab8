package io.offlinesync.autoconfigure;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import javax.sql.DataSource;

import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.offlinesync.store.jdbc.JdbcTransactions;

/**
 * Runs the JDBC store's calls in Spring transactions: a call made inside the application's transaction joins it
 * (an enqueue commits or rolls back with the application's own changes); any other call gets a transaction of its
 * own.
 */
final class SpringJdbcTransactions implements JdbcTransactions {

	private final DataSource dataSource;

	private final TransactionTemplate transactions;

	SpringJdbcTransactions(DataSource dataSource, PlatformTransactionManager transactionManager) {
		this.dataSource = dataSource;
		// PROPAGATION_REQUIRED, the default: join the current transaction or start one.
		this.transactions = new TransactionTemplate(transactionManager);
	}

	@Override
	public <T> T inTransaction(SqlWork<T> work) throws SQLException {
		try {
			return this.transactions.execute((status) -> {
				Connection connection = DataSourceUtils.getConnection(this.dataSource);
				try {
					return work.run(connection);
				}
				catch (SQLException ex) {
					throw new SqlFailure(ex);
				}
				finally {
					DataSourceUtils.releaseConnection(connection, this.dataSource);
				}
			});
		}
		catch (SqlFailure failure) {
			throw failure.getCause();
		}
	}

	/**
	 * Joins the current transaction if there is one; otherwise runs the statement on its own in auto-commit, without
	 * the round trips of a transaction around it.
	 */
	@Override
	public <T> T singleStatement(SqlWork<T> work) throws SQLException {
		if (TransactionSynchronizationManager.isActualTransactionActive()) {
			return inTransaction(work);
		}
		try (Connection connection = this.dataSource.getConnection()) {
			if (!connection.getAutoCommit()) {
				connection.setAutoCommit(true);
			}
			return work.run(connection);
		}
	}

	/**
	 * After the surrounding transaction commits, if there is one; otherwise the work is committed already.
	 */
	@Override
	public void afterCommit(Runnable action) {
		if (TransactionSynchronizationManager.isSynchronizationActive()
				&& TransactionSynchronizationManager.isActualTransactionActive()) {
			TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
				@Override
				public void afterCommit() {
					action.run();
				}
			});
		}
		else {
			action.run();
		}
	}

	@Override
	public String toString() {
		return "SpringJdbcTransactions[" + this.dataSource + "]";
	}

	/** Carries a checked {@link SQLException} out of the transaction callback, which rolls the transaction back. */
	private static final class SqlFailure extends RuntimeException {

		private static final long serialVersionUID = 1L;

		SqlFailure(SQLException cause) {
			super(cause);
		}

		@Override
		public synchronized SQLException getCause() {
			// Made with one, and never another.
			return (SQLException) Objects.requireNonNull(super.getCause());
		}

	}

}
