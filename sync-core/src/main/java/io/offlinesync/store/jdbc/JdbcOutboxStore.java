package io.offlinesync.store.jdbc;

import java.io.IOException;
import java.net.InetAddress;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import javax.sql.DataSource;

import org.jspecify.annotations.Nullable;

import io.offlinesync.Operation;
import io.offlinesync.OperationFilter;
import io.offlinesync.OperationNotFoundException;
import io.offlinesync.OperationStatus;
import io.offlinesync.OutboxStats;
import io.offlinesync.StoreException;
import io.offlinesync.store.OldestShare;
import io.offlinesync.store.OutboxStore;
import io.offlinesync.store.Transitions;

/**
 * An {@link OutboxStore} in one table of a relational database, for several application instances that share one
 * outbox, and for applications that want an enqueue to commit with their own changes.
 *
 * <p>Instances coordinate through the database alone. Claiming selects due rows with {@code FOR UPDATE SKIP LOCKED},
 * so concurrent claimers pass over each other's rows instead of waiting or taking the same ones, and marks them
 * in flight with a fresh claim token and the claimer's {@linkplain Builder#owner owner name}. That claim is a lease:
 * only the holder of the token can complete, fail or release the operation (any other caller is refused), and once
 * it is older than the in-flight timeout any instance's {@link #requeueStale sweep} takes it back. An operation with
 * an ordering key is claimable only while no earlier operation of its key is active, whichever instance holds it.
 *
 * <p>Each call runs in a transaction from the store's {@link JdbcTransactions}: its own, or the caller's when those
 * transactions join one. Times are kept to the microsecond. The table is created by {@link Builder#createSchema}
 * or beforehand with the dialect's {@linkplain JdbcDialect#migrationLocation() migrations} (Flyway or Liquibase); on
 * opening, the store checks that the table has every column and index it needs.
 *
 * @since 0.1.0
 */
public final class JdbcOutboxStore implements OutboxStore {

	/** The table name used unless another is configured. */
	public static final String DEFAULT_TABLE_NAME = "offline_sync_outbox";

	private static final Pattern TABLE_NAME = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*\\.)?[A-Za-z_][A-Za-z0-9_]*");

	private static final int DEFAULT_PURGE_BATCH_SIZE = 1_000;

	private final JdbcTransactions transactions;

	private final JdbcDialect dialect;

	private final String table;

	private final String owner;

	private final int purgeBatchSize;

	private final OutboxSql sql;

	private final OldestShare oldestShare = new OldestShare();

	private volatile boolean closed;

	/** The order claims return operations in: the highest priority first, oldest first within it. */
	private static final Comparator<Operation> CLAIM_ORDER = Comparator.comparingInt(Operation::priority)
		.reversed()
		.thenComparing(Operation::id);

	private JdbcOutboxStore(Builder builder, JdbcDialect dialect) {
		this.transactions = builder.transactions;
		this.dialect = dialect;
		this.table = builder.tableName;
		this.owner = builder.owner;
		this.purgeBatchSize = builder.purgeBatchSize;
		this.sql = new OutboxSql(this.table, dialect);
	}

	/**
	 * Start building a store on a data source; each call then runs in a transaction of its own.
	 * @param dataSource where connections come from
	 * @return the builder
	 */
	public static Builder builder(DataSource dataSource) {
		return new Builder(JdbcTransactions.local(Objects.requireNonNull(dataSource, "'dataSource' must not be null")));
	}

	/**
	 * Start building a store whose calls run in the given transactions, for example ones that join the caller's.
	 * @param transactions how to run each call
	 * @return the builder
	 */
	public static Builder builder(JdbcTransactions transactions) {
		return new Builder(Objects.requireNonNull(transactions, "'transactions' must not be null"));
	}

	/** @return the database dialect in use */
	public JdbcDialect dialect() {
		return this.dialect;
	}

	/** @return the table the operations are kept in */
	public String tableName() {
		return this.table;
	}

	/** @return the name this store records on the operations it claims */
	public String owner() {
		return this.owner;
	}

	@Override
	public void insert(List<Operation> operations) {
		Set<String> ids = new HashSet<>();
		for (Operation operation : operations) {
			if (!ids.add(operation.id())) {
				throw new IllegalArgumentException("Operation id '" + operation.id() + "' is repeated");
			}
			OperationRows.requireStorableText(operation);
		}
		if (operations.isEmpty()) {
			return;
		}
		try {
			execute("insert operations", operations.size() == 1, (connection) -> {
				try (PreparedStatement insert = connection.prepareStatement(this.sql.insert)) {
					for (Operation operation : operations) {
						OperationRows.bindInsert(insert, operation, this.owner);
						insert.addBatch();
					}
					OperationRows.executeBatch(insert);
				}
				return operations;
			});
		}
		catch (StoreException ex) {
			if (OperationRows.isUniqueViolation(ex.getCause())) {
				String which = (operations.size() == 1) ? "'" + operations.get(0).id() + "'" : "one of " + ids;
				throw new IllegalArgumentException("Operation id " + which + " is already stored", ex.getCause());
			}
			throw ex;
		}
	}

	@Override
	public Optional<Operation> find(String id) {
		return execute("find an operation", (connection) -> Optional.ofNullable(selectOne(connection,
				this.sql.selectById, id)));
	}

	@Override
	public List<Operation> list(Set<OperationStatus> statuses, @Nullable String afterId, int limit) {
		requirePositive(limit);
		String sql = this.sql.list(statuses, afterId != null);
		return execute("list operations", (connection) -> {
			try (PreparedStatement select = connection.prepareStatement(sql)) {
				int i = 1;
				for (OperationStatus status : statuses) {
					select.setString(i++, status.name());
				}
				if (afterId != null) {
					select.setString(i++, afterId);
				}
				select.setInt(i, limit);
				return OperationRows.readAll(select);
			}
		});
	}

	@Override
	public List<Operation> claimReady(Instant now, int limit) {
		requirePositive(limit);
		Instant at = OperationRows.micros(now);
		// One claim in ten takes the oldest due operations instead: one statement either way.
		boolean oldestFirst = this.oldestShare.nextClaimTakesOldest();
		List<Operation> claimed = claimBy(oldestFirst, at, limit);
		return claimed;
	}

	/** One claim statement (or transaction): by priority, or oldest first. */
	private List<Operation> claimBy(boolean oldestFirst, Instant at, int limit) {
		if (this.dialect.updateReturning()) {
			List<Operation> claimed = execute("claim operations", true, (connection) -> {
				String statement = oldestFirst ? this.sql.claimOldestReturning : this.sql.claimReturning;
				try (PreparedStatement claim = connection.prepareStatement(statement)) {
					claim.setString(1, this.owner);
					claim.setObject(2, OperationRows.timestamp(at));
					claim.setObject(3, OperationRows.timestamp(at));
					claim.setObject(4, OperationRows.timestamp(at));
					claim.setInt(5, limit);
					return OperationRows.readAll(claim);
				}
			});
			claimed.sort(oldestFirst ? Comparator.comparing(Operation::id) : CLAIM_ORDER);
			return claimed;
		}
		return execute("claim operations", (connection) -> {
			List<Operation> candidates;
			String statement = oldestFirst ? this.sql.claimOldest : this.sql.claim;
			try (PreparedStatement select = connection.prepareStatement(statement)) {
				select.setObject(1, OperationRows.timestamp(at));
				select.setObject(2, OperationRows.timestamp(at));
				select.setInt(3, limit);
				candidates = OperationRows.readAll(select);
			}
			List<Operation> claimed = new ArrayList<>(candidates.size());
			for (Operation candidate : candidates) {
				claimed.add(Transitions.claim(candidate, null, Transitions.newClaimToken(), at));
			}
			OperationRows.update(connection, this.sql, this.owner, claimed);
			return claimed;
		});
	}

	@Override
	public List<Operation> expire(Instant now, int limit) {
		requirePositive(limit);
		Instant at = OperationRows.micros(now);
		return execute("expire operations", (connection) -> {
			List<Operation> candidates;
			try (PreparedStatement select = connection.prepareStatement(this.sql.expired)) {
				select.setObject(1, OperationRows.timestamp(at));
				select.setInt(2, limit);
				candidates = OperationRows.readAll(select);
			}
			List<Operation> expired = new ArrayList<>(candidates.size());
			for (Operation candidate : candidates) {
				expired.add(Transitions.expire(candidate, at));
			}
			OperationRows.update(connection, this.sql, this.owner, expired);
			return expired.stream().map((operation) -> operation.toBuilder().payload("").build()).toList();
		});
	}

	@Override
	public Operation claim(String id, Instant now) {
		Instant at = OperationRows.micros(now);
		return execute("claim an operation", (connection) -> {
			Operation operation = lock(connection, id);
			String earlier = null;
			if (operation.orderingKey() != null) {
				try (PreparedStatement select = connection.prepareStatement(this.sql.earlierWithSameKey)) {
					select.setString(1, operation.orderingKey());
					select.setString(2, operation.id());
					try (ResultSet rows = select.executeQuery()) {
						earlier = rows.next() ? rows.getString(1) : null;
					}
				}
			}
			Operation claimed = Transitions.claim(operation, earlier, Transitions.newClaimToken(), at);
			OperationRows.update(connection, this.sql, this.owner, List.of(claimed));
			return claimed;
		});
	}

	@Override
	public Operation complete(String id, @Nullable String claimToken, Instant now) {
		Instant at = OperationRows.micros(now);
		if (this.dialect.updateReturning()) {
			List<Operation> completed = execute("complete an operation", true, (connection) -> {
				try (PreparedStatement complete = connection.prepareStatement(this.sql.completeReturning)) {
					complete.setObject(1, OperationRows.timestamp(at));
					complete.setString(2, id);
					complete.setString(3, claimToken);
					return OperationRows.readAll(complete);
				}
			});
			if (!completed.isEmpty()) {
				return completed.get(0);
			}
			// Refused: the guarded path below says why, with the message every store gives.
		}
		return change("complete an operation", id, (operation) -> Transitions.complete(operation, claimToken, at));
	}

	/**
	 * One statement on PostgreSQL, one transaction elsewhere: either way one commit for all of them.
	 */
	@Override
	public List<Operation> completeAll(List<Operation> claimed, Instant now) {
		if (claimed.isEmpty()) {
			return List.of();
		}
		Instant at = OperationRows.micros(now);
		List<Operation> completed;
		if (this.dialect.updateReturning()) {
			completed = execute("complete operations", true, (connection) -> {
				try (PreparedStatement complete = connection.prepareStatement(this.sql.completeAllReturning)) {
					complete.setObject(1, OperationRows.timestamp(at));
					complete.setArray(2, connection.createArrayOf("varchar",
							claimed.stream().map(Operation::id).toArray()));
					complete.setArray(3, connection.createArrayOf("varchar",
							claimed.stream().map(Operation::claimToken).toArray()));
					return OperationRows.readAll(complete);
				}
			});
		}
		else {
			completed = execute("complete operations", (connection) -> {
				List<Operation> changed = new ArrayList<>(claimed.size());
				for (Operation operation : claimed) {
					Operation current = selectOne(connection, this.sql.lockById, operation.id());
					if (current != null && Transitions.holdsClaim(current, operation.claimToken())) {
						changed.add(Transitions.complete(current, operation.claimToken(), at));
					}
				}
				OperationRows.update(connection, this.sql, this.owner, changed);
				return changed;
			});
		}
		return OperationRows.inOrderOf(claimed, completed);
	}

	@Override
	public Operation fail(String id, @Nullable String claimToken, String error, @Nullable Instant retryAt,
			Instant now) {
		Instant at = OperationRows.micros(now);
		Instant retry = (retryAt != null) ? OperationRows.micros(retryAt) : null;
		String storable = OperationRows.storableText(error);
		return change("record a failed attempt", id,
				(operation) -> Transitions.fail(operation, claimToken, storable, retry, at));
	}

	@Override
	public Operation release(String id, @Nullable String claimToken, Instant now) {
		Instant at = OperationRows.micros(now);
		return change("release an operation", id, (operation) -> Transitions.release(operation, claimToken, at));
	}

	@Override
	public int requeueStale(Instant claimedBefore, int maxAttempts, Instant now) {
		Instant at = OperationRows.micros(now);
		return execute("requeue stale operations", (connection) -> {
			List<Operation> stale;
			try (PreparedStatement select = connection.prepareStatement(this.sql.stale)) {
				select.setObject(1, OperationRows.timestamp(OperationRows.micros(claimedBefore)));
				stale = OperationRows.readAll(select);
			}
			List<Operation> requeued = new ArrayList<>(stale.size());
			for (Operation operation : stale) {
				requeued.add(Transitions.requeueStale(operation, maxAttempts, at));
			}
			OperationRows.update(connection, this.sql, this.owner, requeued);
			return requeued.size();
		});
	}

	@Override
	public Operation retry(String id, Instant now) {
		Instant at = OperationRows.micros(now);
		return change("retry an operation", id, (operation) -> Transitions.retry(operation, at));
	}

	@Override
	public Operation discard(String id) {
		return execute("discard an operation", (connection) -> {
			Operation operation = lock(connection, id);
			Transitions.requireDiscardable(operation);
			try (PreparedStatement delete = connection.prepareStatement(this.sql.delete)) {
				delete.setString(1, id);
				delete.executeUpdate();
			}
			return operation;
		});
	}

	/** One statement: the rows the filter selects, made pending again. */
	@Override
	public int retryMatching(OperationFilter filter, Instant now) {
		return execute("retry operations", (connection) -> this.sql.retry(connection, filter, now));
	}

	/** One statement: the rows the filter selects, deleted unless in flight. */
	@Override
	public int discardMatching(OperationFilter filter) {
		return execute("discard operations", (connection) -> this.sql.discard(connection, filter));
	}

	@Override
	public int countMatching(OperationFilter filter) {
		return execute("count operations", (connection) -> this.sql.count(connection, filter));
	}

	/**
	 * Remove delivered operations in batches, each in a transaction of its own, so that a large purge neither
	 * holds many locks nor one long transaction.
	 */
	@Override
	public int purgeDone(Instant updatedBefore) {
		Instant before = OperationRows.micros(updatedBefore);
		int purged = 0;
		int batch;
		for (OperationStatus status : List.of(OperationStatus.DONE, OperationStatus.EXPIRED)) {
			do {
				batch = execute("purge " + status.name().toLowerCase(Locale.ROOT) + " operations",
						(connection) -> this.sql.purge(connection, status, before, this.purgeBatchSize));
				purged += batch;
			}
			while (batch == this.purgeBatchSize);
		}
		return purged;
	}

	@Override
	public OutboxStats stats() {
		return execute("count operations", this.sql::stats);
	}

	@Override
	public void afterCommit(Runnable action) {
		this.transactions.afterCommit(action);
	}

	/**
	 * Stop using the database. The data source is the application's and stays open.
	 */
	@Override
	public void close() {
		this.closed = true;
	}

	@Override
	public String toString() {
		return "JdbcOutboxStore[" + this.dialect + " table " + this.table + ", owner " + this.owner + "]";
	}

	private Operation change(String action, String id, UnaryOperator<Operation> transition) {
		return execute(action, (connection) -> {
			Operation changed = transition.apply(lock(connection, id));
			OperationRows.update(connection, this.sql, this.owner, List.of(changed));
			return changed;
		});
	}

	private Operation lock(Connection connection, String id) throws SQLException {
		Operation operation = selectOne(connection, this.sql.lockById, id);
		if (operation == null) {
			throw new OperationNotFoundException(id);
		}
		return operation;
	}

	private @Nullable Operation selectOne(Connection connection, String sql, String id) throws SQLException {
		try (PreparedStatement select = connection.prepareStatement(sql)) {
			select.setString(1, id);
			List<Operation> found = OperationRows.readAll(select);
			return found.isEmpty() ? null : found.get(0);
		}
	}

	private <T> T execute(String action, JdbcTransactions.SqlWork<T> work) {
		return execute(action, false, work);
	}

	private <T> T execute(String action, boolean singleStatement, JdbcTransactions.SqlWork<T> work) {
		if (this.closed) {
			throw new StoreException("The outbox store " + this + " is closed");
		}
		try {
			return singleStatement ? this.transactions.singleStatement(work) : this.transactions.inTransaction(work);
		}
		catch (SQLException ex) {
			throw new StoreException("Could not " + action + " in table '" + this.table + "': " + ex.getMessage(), ex);
		}
	}

	private static void requirePositive(int limit) {
		if (limit < 1) {
			throw new IllegalArgumentException("'limit' must be at least 1 but was " + limit);
		}
	}

	/**
	 * Builds a {@link JdbcOutboxStore}.
	 */
	public static final class Builder {

		private final JdbcTransactions transactions;

		private String tableName = DEFAULT_TABLE_NAME;

		private @Nullable JdbcDialect dialect;

		private String owner = defaultOwner();

		private boolean createSchema;

		private int purgeBatchSize = DEFAULT_PURGE_BATCH_SIZE;

		private Builder(JdbcTransactions transactions) {
			this.transactions = transactions;
		}

		/**
		 * @param tableName the table, optionally qualified by its schema; {@value #DEFAULT_TABLE_NAME} by default
		 * @return this builder
		 */
		public Builder tableName(String tableName) {
			if (tableName == null || !TABLE_NAME.matcher(tableName).matches()) {
				throw new IllegalArgumentException("'tableName' must be a plain SQL name, optionally qualified by a"
						+ " schema (letters, digits and underscores, not starting with a digit), but was '" + tableName
						+ "'");
			}
			this.tableName = tableName;
			return this;
		}

		/**
		 * @param dialect the database dialect; detected from the database by default
		 * @return this builder
		 */
		public Builder dialect(JdbcDialect dialect) {
			this.dialect = Objects.requireNonNull(dialect, "'dialect' must not be null");
			return this;
		}

		/**
		 * @param owner the name recorded on the operations this store claims, to tell instances apart; by default
		 * the host name, the process id and a random suffix
		 * @return this builder
		 */
		public Builder owner(String owner) {
			if (owner == null || owner.isBlank()) {
				throw new IllegalArgumentException("'owner' must not be blank");
			}
			this.owner = owner;
			return this;
		}

		/**
		 * @param createSchema whether to create the table and its indexes if they do not exist; off by default
		 * @return this builder
		 */
		public Builder createSchema(boolean createSchema) {
			this.createSchema = createSchema;
			return this;
		}

		/**
		 * @param purgeBatchSize how many done operations one purge transaction removes at most; 1,000 by default
		 * @return this builder
		 */
		public Builder purgeBatchSize(int purgeBatchSize) {
			if (purgeBatchSize < 1) {
				throw new IllegalArgumentException("'purgeBatchSize' must be at least 1 but was " + purgeBatchSize);
			}
			this.purgeBatchSize = purgeBatchSize;
			return this;
		}

		/**
		 * Connect, detect the dialect if none was given, create the schema if asked, and check that the table is
		 * there.
		 * @return the store
		 * @throws StoreException if the database cannot be reached, is not supported, or has no usable table
		 */
		public JdbcOutboxStore build() {
			try {
				JdbcDialect detected = JdbcSchema.prepare(this.transactions, this.dialect, this.tableName,
						this.createSchema);
				return new JdbcOutboxStore(this, detected);
			}
			catch (SQLException ex) {
				throw new StoreException("Could not open the JDBC outbox store on table '" + this.tableName + "': "
						+ ex.getMessage(), ex);
			}
		}

		private static String defaultOwner() {
			String host;
			try {
				host = InetAddress.getLocalHost().getHostName();
			}
			catch (IOException ex) {
				host = "unknown-host";
			}
			return host + "/" + ProcessHandle.current().pid() + "/" + UUID.randomUUID().toString().substring(0, 8);
		}

	}

}
