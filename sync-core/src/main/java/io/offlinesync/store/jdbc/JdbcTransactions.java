package io.offlinesync.store.jdbc;

import java.sql.Connection;
import java.sql.SQLException;

import javax.sql.DataSource;

/**
 * How {@link JdbcOutboxStore} gets a connection and a transaction for each of its calls. The {@link #local local}
 * implementation runs each call in its own transaction; an application framework supplies one that joins the
 * caller's transaction when there is one, so that an enqueue commits or rolls back with the caller's own changes
 * (the transactional outbox).
 *
 * @since 0.1.0
 */
public interface JdbcTransactions {

	/**
	 * Run work in a transaction: the caller's current one if the implementation joins it, else a new one that is
	 * committed when the work returns and rolled back when it throws.
	 * @param <T> the result type
	 * @param work the work, given the transaction's connection, which it must not close or commit
	 * @return what the work returned
	 * @throws SQLException if the database failed
	 */
	<T> T inTransaction(SqlWork<T> work) throws SQLException;

	/**
	 * Run work that is a single SQL statement, and so atomic by itself. Implementations that start a transaction for
	 * each call may run it without one (auto-commit), saving the round trip of a commit; this default runs it like
	 * any other work.
	 * @param <T> the result type
	 * @param work the work: one statement
	 * @return what the work returned
	 * @throws SQLException if the database failed
	 */
	default <T> T singleStatement(SqlWork<T> work) throws SQLException {
		return inTransaction(work);
	}

	/**
	 * Run an action once the calling thread's transaction has committed: at once when there is none left open, as
	 * this default does; never if it rolls back.
	 * @param action what to run
	 */
	default void afterCommit(Runnable action) {
		action.run();
	}

	/**
	 * Transactions of its own for each call, on connections from a data source.
	 * @param dataSource where connections come from
	 * @return the transactions
	 */
	static JdbcTransactions local(DataSource dataSource) {
		return new LocalJdbcTransactions(dataSource);
	}

	/**
	 * Work on a connection.
	 *
	 * @param <T> the result type
	 */
	@FunctionalInterface
	interface SqlWork<T> {

		/**
		 * @param connection the connection of the transaction
		 * @return the result
		 * @throws SQLException if the database failed
		 */
		T run(Connection connection) throws SQLException;

	}

}
