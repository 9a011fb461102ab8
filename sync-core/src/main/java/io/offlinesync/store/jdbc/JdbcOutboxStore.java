package io.offlinesync.store.jdbc;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import tools.jackson.core.JacksonException;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

import io.offlinesync.Operation;
import io.offlinesync.OperationFilter;
import io.offlinesync.OperationNotFoundException;
import io.offlinesync.OperationStatus;
import io.offlinesync.OutboxStats;
import io.offlinesync.StoreException;
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

	private static final String ACTIVE = "('PENDING', 'IN_FLIGHT', 'FAILED')";

	private static final String COLUMNS = "o.id, o.kind, o.target, o.payload, o.headers, o.idempotency_key, "
			+ "o.ordering_key, o.status, o.attempt, o.last_error, o.claim_token, o.next_attempt_at, o.created_at, "
			+ "o.updated_at";

	/** {@link #COLUMNS} without the alias, for {@code RETURNING}. */
	private static final String RETURNED_COLUMNS = COLUMNS.replace("o.", "");

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final TypeReference<LinkedHashMap<String, String>> HEADERS = new TypeReference<>() {
	};

	private final JdbcTransactions transactions;

	private final JdbcDialect dialect;

	private final String table;

	private final String owner;

	private final int purgeBatchSize;

	private final String insertSql;

	private final String updateSql;

	private final String selectByIdSql;

	private final String lockByIdSql;

	private final String claimSql;

	private final String earlierWithSameKeySql;

	private final String staleSql;

	private final String deleteSql;

	private final String purgeSql;

	private final String claimReturningSql;

	private final String countSql;

	private final String completeReturningSql;

	private final String completeAllReturningSql;

	private volatile boolean closed;

	private JdbcOutboxStore(Builder builder, JdbcDialect dialect) {
		this.transactions = builder.transactions;
		this.dialect = dialect;
		this.table = builder.tableName;
		this.owner = builder.owner;
		this.purgeBatchSize = builder.purgeBatchSize;
		String t = this.table;
		this.insertSql = "INSERT INTO " + t + " (id, kind, target, payload, headers, idempotency_key, ordering_key,"
				+ " status, attempt, last_error, claim_token, claimed_by, next_attempt_at, created_at, updated_at)"
				+ " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
		this.updateSql = "UPDATE " + t + " SET status = ?, attempt = ?, last_error = ?, claim_token = ?,"
				+ " claimed_by = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?";
		this.selectByIdSql = "SELECT " + COLUMNS + " FROM " + t + " o WHERE o.id = ?";
		this.lockByIdSql = this.selectByIdSql + " FOR UPDATE";
		// Due, claimable, and not waiting behind an earlier active operation of its ordering key.
		String claimable = " o WHERE o.status IN ('PENDING', 'FAILED') AND o.next_attempt_at <= ?"
				+ " AND (o.ordering_key IS NULL OR NOT EXISTS (SELECT 1 FROM " + t + " e WHERE"
				+ " e.ordering_key = o.ordering_key AND e.id < o.id AND e.status IN " + ACTIVE + "))"
				+ " ORDER BY o.id LIMIT ? " + dialect.lockSkippingLocked();
		this.claimSql = "SELECT " + COLUMNS + " FROM " + t + claimable;
		this.earlierWithSameKeySql = "SELECT e.id FROM " + t + " e WHERE e.ordering_key = ? AND e.id < ?"
				+ " AND e.status IN " + ACTIVE + " ORDER BY e.id LIMIT 1";
		this.staleSql = "SELECT " + COLUMNS + " FROM " + t + " o WHERE o.status = 'IN_FLIGHT' AND o.updated_at <= ?"
				+ " ORDER BY o.id " + dialect.lockSkippingLocked();
		this.deleteSql = "DELETE FROM " + t + " WHERE id = ?";
		// A count per status, each of which the status's partial index can answer without reading the table.
		StringBuilder count = new StringBuilder();
		for (OperationStatus status : OperationStatus.values()) {
			count.append((count.length() > 0) ? " UNION ALL " : "")
				.append("SELECT '")
				.append(status.name())
				.append("', COUNT(*) FROM ")
				.append(t)
				.append(" WHERE status = '")
				.append(status.name())
				.append("'");
		}
		this.countSql = count.toString();
		this.purgeSql = "DELETE FROM " + t + " WHERE id IN (SELECT d.id FROM " + t
				+ " d WHERE d.status = 'DONE' AND d.updated_at <= ? LIMIT ?)";
		// The same changes as Transitions.claim and Transitions.complete, each in one statement, where the dialect can.
		this.claimReturningSql = "UPDATE " + t + " SET status = 'IN_FLIGHT', claim_token = gen_random_uuid()::text,"
				+ " claimed_by = ?, attempt = attempt + 1, updated_at = ? WHERE id IN (SELECT o.id FROM " + t + claimable
				+ ") RETURNING " + RETURNED_COLUMNS;
		this.completeReturningSql = "UPDATE " + t + " SET status = 'DONE', claim_token = NULL, claimed_by = NULL,"
				+ " last_error = NULL, updated_at = ? WHERE id = ? AND claim_token = ? AND status = 'IN_FLIGHT'"
				+ " RETURNING " + RETURNED_COLUMNS;
		this.completeAllReturningSql = "UPDATE " + t + " SET status = 'DONE', claim_token = NULL, claimed_by = NULL,"
				+ " last_error = NULL, updated_at = ? WHERE status = 'IN_FLIGHT' AND (id, claim_token) IN"
				+ " (SELECT * FROM unnest(?::varchar[], ?::varchar[])) RETURNING " + RETURNED_COLUMNS;
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
			requireStorableText(operation, "kind", operation.kind());
			requireStorableText(operation, "target", operation.target());
			requireStorableText(operation, "idempotencyKey", operation.idempotencyKey());
			requireStorableText(operation, "orderingKey", operation.orderingKey());
		}
		if (operations.isEmpty()) {
			return;
		}
		try {
			execute("insert operations", operations.size() == 1, (connection) -> {
				try (PreparedStatement insert = connection.prepareStatement(this.insertSql)) {
					for (Operation operation : operations) {
						bindInsert(insert, operation);
						insert.addBatch();
					}
					executeBatch(insert);
				}
				return null;
			});
		}
		catch (StoreException ex) {
			if (isUniqueViolation(ex.getCause())) {
				String which = (operations.size() == 1) ? "'" + operations.get(0).id() + "'" : "one of " + ids;
				throw new IllegalArgumentException("Operation id " + which + " is already stored", ex.getCause());
			}
			throw ex;
		}
	}

	@Override
	public Optional<Operation> find(String id) {
		return execute("find an operation", (connection) -> Optional.ofNullable(selectOne(connection,
				this.selectByIdSql, id)));
	}

	@Override
	public List<Operation> list(Set<OperationStatus> statuses, String afterId, int limit) {
		requirePositive(limit);
		StringBuilder sql = new StringBuilder("SELECT ").append(COLUMNS).append(" FROM ").append(this.table)
			.append(" o WHERE 1 = 1");
		if (!statuses.isEmpty()) {
			sql.append(" AND o.status IN (").append("?, ".repeat(statuses.size() - 1)).append("?)");
		}
		if (afterId != null) {
			sql.append(" AND o.id > ?");
		}
		sql.append(" ORDER BY o.id LIMIT ?");
		return execute("list operations", (connection) -> {
			try (PreparedStatement select = connection.prepareStatement(sql.toString())) {
				int i = 1;
				for (OperationStatus status : statuses) {
					select.setString(i++, status.name());
				}
				if (afterId != null) {
					select.setString(i++, afterId);
				}
				select.setInt(i, limit);
				return readAll(select);
			}
		});
	}

	@Override
	public List<Operation> claimReady(Instant now, int limit) {
		requirePositive(limit);
		Instant at = micros(now);
		if (this.dialect.updateReturning()) {
			List<Operation> claimed = execute("claim operations", true, (connection) -> {
				try (PreparedStatement claim = connection.prepareStatement(this.claimReturningSql)) {
					claim.setString(1, this.owner);
					claim.setObject(2, timestamp(at));
					claim.setObject(3, timestamp(at));
					claim.setInt(4, limit);
					return readAll(claim);
				}
			});
			claimed.sort(Comparator.comparing(Operation::id));
			return claimed;
		}
		return execute("claim operations", (connection) -> {
			List<Operation> candidates;
			try (PreparedStatement select = connection.prepareStatement(this.claimSql)) {
				select.setObject(1, timestamp(at));
				select.setInt(2, limit);
				candidates = readAll(select);
			}
			List<Operation> claimed = new ArrayList<>(candidates.size());
			for (Operation candidate : candidates) {
				claimed.add(Transitions.claim(candidate, null, Transitions.newClaimToken(), at));
			}
			update(connection, claimed);
			return claimed;
		});
	}

	@Override
	public Operation claim(String id, Instant now) {
		Instant at = micros(now);
		return execute("claim an operation", (connection) -> {
			Operation operation = lock(connection, id);
			String earlier = null;
			if (operation.orderingKey() != null) {
				try (PreparedStatement select = connection.prepareStatement(this.earlierWithSameKeySql)) {
					select.setString(1, operation.orderingKey());
					select.setString(2, operation.id());
					try (ResultSet rows = select.executeQuery()) {
						earlier = rows.next() ? rows.getString(1) : null;
					}
				}
			}
			Operation claimed = Transitions.claim(operation, earlier, Transitions.newClaimToken(), at);
			update(connection, List.of(claimed));
			return claimed;
		});
	}

	@Override
	public Operation complete(String id, String claimToken, Instant now) {
		Instant at = micros(now);
		if (this.dialect.updateReturning()) {
			Operation completed = execute("complete an operation", true, (connection) -> {
				try (PreparedStatement complete = connection.prepareStatement(this.completeReturningSql)) {
					complete.setObject(1, timestamp(at));
					complete.setString(2, id);
					complete.setString(3, claimToken);
					List<Operation> changed = readAll(complete);
					return changed.isEmpty() ? null : changed.get(0);
				}
			});
			if (completed != null) {
				return completed;
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
		Instant at = micros(now);
		List<Operation> completed;
		if (this.dialect.updateReturning()) {
			completed = execute("complete operations", true, (connection) -> {
				try (PreparedStatement complete = connection.prepareStatement(this.completeAllReturningSql)) {
					complete.setObject(1, timestamp(at));
					complete.setArray(2, connection.createArrayOf("varchar",
							claimed.stream().map(Operation::id).toArray()));
					complete.setArray(3, connection.createArrayOf("varchar",
							claimed.stream().map(Operation::claimToken).toArray()));
					return readAll(complete);
				}
			});
		}
		else {
			completed = execute("complete operations", (connection) -> {
				List<Operation> changed = new ArrayList<>(claimed.size());
				for (Operation operation : claimed) {
					Operation current = selectOne(connection, this.lockByIdSql, operation.id());
					if (Transitions.holdsClaim(current, operation.claimToken())) {
						changed.add(Transitions.complete(current, operation.claimToken(), at));
					}
				}
				update(connection, changed);
				return changed;
			});
		}
		Map<String, Operation> byId = new HashMap<>();
		completed.forEach((operation) -> byId.put(operation.id(), operation));
		List<Operation> inOrder = new ArrayList<>(completed.size());
		for (Operation operation : claimed) {
			Operation done = byId.remove(operation.id());
			if (done != null) {
				inOrder.add(done);
			}
		}
		return inOrder;
	}

	@Override
	public Operation fail(String id, String claimToken, String error, Instant retryAt, Instant now) {
		Instant at = micros(now);
		Instant retry = (retryAt != null) ? micros(retryAt) : null;
		String storable = storableText(error);
		return change("record a failed attempt", id,
				(operation) -> Transitions.fail(operation, claimToken, storable, retry, at));
	}

	@Override
	public Operation release(String id, String claimToken, Instant now) {
		Instant at = micros(now);
		return change("release an operation", id, (operation) -> Transitions.release(operation, claimToken, at));
	}

	@Override
	public int requeueStale(Instant claimedBefore, int maxAttempts, Instant now) {
		Instant at = micros(now);
		return execute("requeue stale operations", (connection) -> {
			List<Operation> stale;
			try (PreparedStatement select = connection.prepareStatement(this.staleSql)) {
				select.setObject(1, timestamp(micros(claimedBefore)));
				stale = readAll(select);
			}
			List<Operation> requeued = new ArrayList<>(stale.size());
			for (Operation operation : stale) {
				requeued.add(Transitions.requeueStale(operation, maxAttempts, at));
			}
			update(connection, requeued);
			return requeued.size();
		});
	}

	@Override
	public Operation retry(String id, Instant now) {
		Instant at = micros(now);
		return change("retry an operation", id, (operation) -> Transitions.retry(operation, at));
	}

	@Override
	public Operation discard(String id) {
		return execute("discard an operation", (connection) -> {
			Operation operation = lock(connection, id);
			Transitions.requireDiscardable(operation);
			try (PreparedStatement delete = connection.prepareStatement(this.deleteSql)) {
				delete.setString(1, id);
				delete.executeUpdate();
			}
			return operation;
		});
	}

	/** One statement: the rows the filter selects, made pending again. */
	@Override
	public int retryMatching(OperationFilter filter, Instant now) {
		Instant at = micros(now);
		Selected selected = selected(filter);
		String retryable = " AND status IN ('PERMANENTLY_FAILED', 'FAILED')";
		String sql = "UPDATE " + this.table + " SET status = 'PENDING', attempt = 0, last_error = NULL,"
				+ " next_attempt_at = ?, updated_at = ? WHERE id IN (" + selected.sql() + ")" + retryable;
		return execute("retry operations", (connection) -> {
			try (PreparedStatement update = connection.prepareStatement(sql)) {
				update.setObject(1, timestamp(at));
				update.setObject(2, timestamp(at));
				selected.bind(update, 3);
				return update.executeUpdate();
			}
		});
	}

	/** One statement: the rows the filter selects, deleted unless in flight. */
	@Override
	public int discardMatching(OperationFilter filter) {
		Selected selected = selected(filter);
		String sql = "DELETE FROM " + this.table + " WHERE id IN (" + selected.sql() + ") AND status <> 'IN_FLIGHT'";
		return execute("discard operations", (connection) -> {
			try (PreparedStatement delete = connection.prepareStatement(sql)) {
				selected.bind(delete, 1);
				return delete.executeUpdate();
			}
		});
	}

	@Override
	public int countMatching(OperationFilter filter) {
		Selected selected = selected(filter);
		return execute("count operations", (connection) -> {
			try (PreparedStatement count = connection
				.prepareStatement("SELECT COUNT(*) FROM (" + selected.sql() + ") s")) {
				selected.bind(count, 1);
				try (ResultSet rows = count.executeQuery()) {
					rows.next();
					return rows.getInt(1);
				}
			}
		});
	}

	/** The ids a filter selects, oldest first, up to its limit: a sub-select and its parameters. */
	private Selected selected(OperationFilter filter) {
		StringBuilder sql = new StringBuilder("SELECT o.id FROM ").append(this.table).append(" o WHERE o.status IN (")
			.append("?, ".repeat(filter.statuses().size() - 1))
			.append("?)");
		List<Object> parameters = new ArrayList<>();
		filter.statuses().forEach((status) -> parameters.add(status.name()));
		if (filter.kind() != null) {
			sql.append(" AND o.kind = ?");
			parameters.add(filter.kind());
		}
		if (filter.targetPrefix() != null) {
			sql.append(" AND o.target LIKE ? ESCAPE '\\'");
			parameters.add(likeLiteral(filter.targetPrefix()) + "%");
		}
		if (filter.errorContaining() != null) {
			sql.append(" AND o.last_error LIKE ? ESCAPE '\\'");
			parameters.add("%" + likeLiteral(filter.errorContaining()) + "%");
		}
		if (filter.createdBefore() != null) {
			sql.append(" AND o.created_at < ?");
			parameters.add(timestamp(micros(filter.createdBefore())));
		}
		sql.append(" ORDER BY o.id LIMIT ?");
		parameters.add(filter.limit());
		return new Selected(sql.toString(), parameters);
	}

	private static String likeLiteral(String text) {
		return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
	}

	private record Selected(String sql, List<Object> parameters) {

		void bind(PreparedStatement statement, int first) throws SQLException {
			for (int i = 0; i < this.parameters.size(); i++) {
				statement.setObject(first + i, this.parameters.get(i));
			}
		}

	}

	/**
	 * Remove delivered operations in batches, each in a transaction of its own, so that a large purge neither
	 * holds many locks nor one long transaction.
	 */
	@Override
	public int purgeDone(Instant updatedBefore) {
		Instant before = micros(updatedBefore);
		int purged = 0;
		int batch;
		do {
			batch = execute("purge done operations", (connection) -> {
				try (PreparedStatement delete = connection.prepareStatement(this.purgeSql)) {
					delete.setObject(1, timestamp(before));
					delete.setInt(2, this.purgeBatchSize);
					return delete.executeUpdate();
				}
			});
			purged += batch;
		}
		while (batch == this.purgeBatchSize);
		return purged;
	}

	@Override
	public OutboxStats stats() {
		return execute("count operations", (connection) -> {
			Map<OperationStatus, Long> counts = new EnumMap<>(OperationStatus.class);
			Instant oldest = null;
			try (Statement statement = connection.createStatement()) {
				try (ResultSet rows = statement.executeQuery(this.countSql)) {
					while (rows.next()) {
						counts.put(OperationStatus.valueOf(rows.getString(1)), rows.getLong(2));
					}
				}
				// Ids grow with time, so the oldest claimable operation is the first in the claim index; the ones in
				// flight are few.
				try (ResultSet rows = statement.executeQuery("SELECT MIN(created_at) FROM (SELECT created_at FROM ("
						+ "SELECT created_at FROM " + this.table + " WHERE status IN ('PENDING', 'FAILED') ORDER BY id"
						+ " LIMIT 1) c UNION ALL SELECT MIN(created_at) FROM " + this.table
						+ " WHERE status = 'IN_FLIGHT') a")) {
					if (rows.next()) {
						oldest = instant(rows, 1);
					}
				}
			}
			return new OutboxStats(counts, oldest);
		});
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
			update(connection, List.of(changed));
			return changed;
		});
	}

	private Operation lock(Connection connection, String id) throws SQLException {
		Operation operation = selectOne(connection, this.lockByIdSql, id);
		if (operation == null) {
			throw new OperationNotFoundException(id);
		}
		return operation;
	}

	private Operation selectOne(Connection connection, String sql, String id) throws SQLException {
		try (PreparedStatement select = connection.prepareStatement(sql)) {
			select.setString(1, id);
			List<Operation> found = readAll(select);
			return found.isEmpty() ? null : found.get(0);
		}
	}

	private void update(Connection connection, List<Operation> operations) throws SQLException {
		if (operations.isEmpty()) {
			return;
		}
		try (PreparedStatement update = connection.prepareStatement(this.updateSql)) {
			for (Operation operation : operations) {
				update.setString(1, operation.status().name());
				update.setInt(2, operation.attempt());
				update.setString(3, operation.lastError());
				update.setString(4, operation.claimToken());
				update.setString(5, (operation.claimToken() != null) ? this.owner : null);
				update.setObject(6, timestamp(operation.nextAttemptAt()));
				update.setObject(7, timestamp(operation.updatedAt()));
				update.setString(8, operation.id());
				update.addBatch();
			}
			executeBatch(update);
		}
	}

	private void bindInsert(PreparedStatement insert, Operation operation) throws SQLException {
		insert.setString(1, operation.id());
		insert.setString(2, operation.kind());
		insert.setString(3, operation.target());
		insert.setBytes(4, operation.payload().getBytes(StandardCharsets.UTF_8));
		insert.setString(5, operation.headers().isEmpty() ? null : JSON.writeValueAsString(operation.headers()));
		insert.setString(6, operation.idempotencyKey());
		insert.setString(7, operation.orderingKey());
		insert.setString(8, operation.status().name());
		insert.setInt(9, operation.attempt());
		insert.setString(10, operation.lastError());
		insert.setString(11, operation.claimToken());
		insert.setString(12, (operation.claimToken() != null) ? this.owner : null);
		insert.setObject(13, timestamp(micros(operation.nextAttemptAt())));
		insert.setObject(14, timestamp(micros(operation.createdAt())));
		insert.setObject(15, timestamp(micros(operation.updatedAt())));
	}

	private static void executeBatch(PreparedStatement statement) throws SQLException {
		for (int count : statement.executeBatch()) {
			if (count == 0) {
				throw new SQLException("A row the outbox store had just read was gone when it was written");
			}
		}
	}

	private static List<Operation> readAll(PreparedStatement select) throws SQLException {
		List<Operation> operations = new ArrayList<>();
		try (ResultSet rows = select.executeQuery()) {
			while (rows.next()) {
				operations.add(read(rows));
			}
		}
		return operations;
	}

	private static Operation read(ResultSet rows) throws SQLException {
		Operation.Builder builder = Operation.builder()
			.id(rows.getString(1))
			.kind(rows.getString(2))
			.target(rows.getString(3))
			.payload(new String(rows.getBytes(4), StandardCharsets.UTF_8))
			.idempotencyKey(rows.getString(6))
			.orderingKey(rows.getString(7))
			.status(OperationStatus.valueOf(rows.getString(8)))
			.attempt(rows.getInt(9))
			.lastError(rows.getString(10))
			.claimToken(rows.getString(11))
			.nextAttemptAt(instant(rows, 12))
			.createdAt(instant(rows, 13))
			.updatedAt(instant(rows, 14));
		String headers = rows.getString(5);
		if (headers != null) {
			try {
				builder.headers(JSON.readValue(headers, HEADERS));
			}
			catch (JacksonException ex) {
				throw new SQLException("The headers of operation '" + rows.getString(1) + "' are not a JSON object"
						+ " of strings: " + ex.getOriginalMessage(), ex);
			}
		}
		return builder.build();
	}

	private static Instant instant(ResultSet rows, int column) throws SQLException {
		OffsetDateTime value = rows.getObject(column, OffsetDateTime.class);
		return (value != null) ? value.toInstant() : null;
	}

	private static OffsetDateTime timestamp(Instant instant) {
		return instant.atOffset(ZoneOffset.UTC);
	}

	private static Instant micros(Instant instant) {
		return instant.truncatedTo(ChronoUnit.MICROS);
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

	private static boolean isUniqueViolation(Throwable ex) {
		for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
			if (cause instanceof SQLException sql && "23505".equals(sql.getSQLState())) {
				return true;
			}
			if (cause instanceof SQLException sql && sql.getNextException() != null
					&& "23505".equals(sql.getNextException().getSQLState())) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Text columns cannot hold U+0000 in PostgreSQL; payloads are bytes and headers JSON, so only these fields can
	 * meet it.
	 */
	private static void requireStorableText(Operation operation, String field, String value) {
		if (value != null && value.indexOf('\0') >= 0) {
			throw new IllegalArgumentException("The " + field + " of operation '" + operation.id()
					+ "' contains the character U+0000, which the JDBC outbox store cannot keep");
		}
	}

	/** An error message with any U+0000 spelled out, so that recording the failure cannot fail on it. */
	private static String storableText(String text) {
		return (text != null && text.indexOf('\0') >= 0) ? text.replace("\0", "\\u0000") : text;
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

		private JdbcDialect dialect;

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
				JdbcDialect detected = (this.dialect != null) ? this.dialect : this.transactions
					.inTransaction((connection) -> JdbcDialect
						.fromProductName(connection.getMetaData().getDatabaseProductName()));
				if (this.createSchema) {
					this.transactions.inTransaction((connection) -> {
						JdbcSchema.create(connection, detected, this.tableName);
						return null;
					});
				}
				this.transactions.inTransaction((connection) -> {
					JdbcSchema.check(connection, detected, this.tableName);
					return null;
				});
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
