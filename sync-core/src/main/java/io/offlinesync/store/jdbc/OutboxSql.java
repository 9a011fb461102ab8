package io.offlinesync.store.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.offlinesync.OperationFilter;
import io.offlinesync.OperationStatus;
import io.offlinesync.OutboxStats;

/**
 * The statements of a {@link JdbcOutboxStore} on one table and dialect, built once, and the set-based ones run on
 * a connection the store gives. Columns are read and bound in the order {@link OperationRows} expects.
 */
final class OutboxSql {

	private static final String ACTIVE = "('PENDING', 'IN_FLIGHT', 'FAILED')";

	private static final String COLUMNS = "o.id, o.kind, o.target, o.payload, o.headers, o.idempotency_key, "
			+ "o.ordering_key, o.status, o.attempt, o.last_error, o.claim_token, o.next_attempt_at, o.created_at, "
			+ "o.updated_at, o.priority, o.expires_at, o.trace_context";

	/** {@link #COLUMNS} without the alias, for {@code RETURNING}. */
	private static final String RETURNED_COLUMNS = COLUMNS.replace("o.", "");

	private final String table;

	final String insert;

	final String update;

	final String selectById;

	final String lockById;

	/** Claims the highest priority first; bound: now (due), now (not expired), limit. */
	final String claim;

	/** Claims the oldest first, whatever their priority; bound as {@link #claim}. */
	final String claimOldest;

	/** Locks claimable operations whose expiry has passed, soonest first; bound: now, limit. */
	final String expired;

	final String earlierWithSameKey;

	final String stale;

	final String delete;

	final String purge;

	final String count;

	final String oldestActive;

	final String claimReturning;

	final String claimOldestReturning;

	final String completeReturning;

	final String completeAllReturning;

	OutboxSql(String table, JdbcDialect dialect) {
		String t = table;
		this.table = table;
		this.insert = "INSERT INTO " + t + " (id, kind, target, payload, headers, idempotency_key, ordering_key,"
				+ " status, attempt, last_error, claim_token, claimed_by, next_attempt_at, created_at, updated_at,"
				+ " priority, expires_at, trace_context) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
		this.update = "UPDATE " + t + " SET status = ?, attempt = ?, last_error = ?, claim_token = ?,"
				+ " claimed_by = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?";
		this.selectById = "SELECT " + COLUMNS + " FROM " + t + " o WHERE o.id = ?";
		this.lockById = this.selectById + " FOR UPDATE";
		// Due, not expired, claimable, and not waiting behind an earlier active operation of its ordering key.
		String claimable = " o WHERE o.status IN ('PENDING', 'FAILED') AND o.next_attempt_at <= ?"
				+ " AND (o.expires_at IS NULL OR o.expires_at > ?)"
				+ " AND (o.ordering_key IS NULL OR NOT EXISTS (SELECT 1 FROM " + t + " e WHERE"
				+ " e.ordering_key = o.ordering_key AND e.id < o.id AND e.status IN " + ACTIVE + "))";
		String byPriority = claimable + " ORDER BY o.priority DESC, o.id LIMIT ? " + dialect.lockSkippingLocked();
		// By creation time, which only the oldest-first index gives: the primary key would pass over every delivered
		// operation kept for its retention.
		String oldestFirst = claimable + " ORDER BY o.created_at, o.id LIMIT ? " + dialect.lockSkippingLocked();
		this.claim = "SELECT " + COLUMNS + " FROM " + t + byPriority;
		this.claimOldest = "SELECT " + COLUMNS + " FROM " + t + oldestFirst;
		this.expired = "SELECT " + COLUMNS + " FROM " + t + " o WHERE o.expires_at <= ? AND o.status IN"
				+ " ('PENDING', 'FAILED') ORDER BY o.expires_at, o.id LIMIT ? " + dialect.lockSkippingLocked();
		this.earlierWithSameKey = "SELECT e.id FROM " + t + " e WHERE e.ordering_key = ? AND e.id < ?"
				+ " AND e.status IN " + ACTIVE + " ORDER BY e.id LIMIT 1";
		this.stale = "SELECT " + COLUMNS + " FROM " + t + " o WHERE o.status = 'IN_FLIGHT' AND o.updated_at <= ?"
				+ " ORDER BY o.id " + dialect.lockSkippingLocked();
		this.delete = "DELETE FROM " + t + " WHERE id = ?";
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
		this.count = count.toString();
		// Ids grow with time, so the oldest claimable operation is the first in the claim index; the ones in flight
		// are few.
		this.oldestActive = "SELECT MIN(created_at) FROM (SELECT created_at FROM (SELECT created_at FROM " + t
				+ " WHERE status IN ('PENDING', 'FAILED') ORDER BY created_at LIMIT 1) c UNION ALL"
				+ " SELECT MIN(created_at) FROM " + t + " WHERE status = 'IN_FLIGHT') a";
		// Bound: status (DONE or EXPIRED, each on its own index), cutoff, limit.
		this.purge = "DELETE FROM " + t + " WHERE id IN (SELECT d.id FROM " + t
				+ " d WHERE d.status = ? AND d.updated_at <= ? LIMIT ?)";
		// The same changes as Transitions.claim and Transitions.complete, each in one statement, where the dialect can.
		String claimSet = "UPDATE " + t + " SET status = 'IN_FLIGHT', claim_token = gen_random_uuid()::text,"
				+ " claimed_by = ?, attempt = attempt + 1, updated_at = ? WHERE id IN (SELECT o.id FROM " + t;
		this.claimReturning = claimSet + byPriority + ") RETURNING " + RETURNED_COLUMNS;
		this.claimOldestReturning = claimSet + oldestFirst + ") RETURNING " + RETURNED_COLUMNS;
		this.completeReturning = "UPDATE " + t + " SET status = 'DONE', claim_token = NULL, claimed_by = NULL,"
				+ " last_error = NULL, updated_at = ? WHERE id = ? AND claim_token = ? AND status = 'IN_FLIGHT'"
				+ " RETURNING " + RETURNED_COLUMNS;
		this.completeAllReturning = "UPDATE " + t + " SET status = 'DONE', claim_token = NULL, claimed_by = NULL,"
				+ " last_error = NULL, updated_at = ? WHERE status = 'IN_FLIGHT' AND (id, claim_token) IN"
				+ " (SELECT * FROM unnest(?::varchar[], ?::varchar[])) RETURNING " + RETURNED_COLUMNS;
	}

	/** Operations with one of the statuses (any, if none), after an id, in id order; the limit is the last parameter. */
	String list(Set<OperationStatus> statuses, boolean afterId) {
		StringBuilder sql = new StringBuilder("SELECT ").append(COLUMNS)
			.append(" FROM ")
			.append(this.table)
			.append(" o WHERE 1 = 1");
		if (!statuses.isEmpty()) {
			sql.append(" AND o.status IN (").append("?, ".repeat(statuses.size() - 1)).append("?)");
		}
		if (afterId) {
			sql.append(" AND o.id > ?");
		}
		return sql.append(" ORDER BY o.id LIMIT ?").toString();
	}

	/** One statement: the rows the filter selects that can be retried, made pending again. */
	int retry(Connection connection, OperationFilter filter, Instant now) throws SQLException {
		Selection selected = select(filter);
		String sql = "UPDATE " + this.table + " SET status = 'PENDING', attempt = 0, last_error = NULL,"
				+ " next_attempt_at = ?, updated_at = ? WHERE id IN (" + selected.sql()
				+ ") AND status IN ('PERMANENTLY_FAILED', 'FAILED')";
		try (PreparedStatement update = connection.prepareStatement(sql)) {
			update.setObject(1, OperationRows.timestamp(OperationRows.micros(now)));
			update.setObject(2, OperationRows.timestamp(OperationRows.micros(now)));
			selected.bind(update, 3);
			return update.executeUpdate();
		}
	}

	/** One statement: the rows the filter selects, deleted unless in flight. */
	int discard(Connection connection, OperationFilter filter) throws SQLException {
		Selection selected = select(filter);
		String sql = "DELETE FROM " + this.table + " WHERE id IN (" + selected.sql() + ") AND status <> 'IN_FLIGHT'";
		try (PreparedStatement delete = connection.prepareStatement(sql)) {
			selected.bind(delete, 1);
			return delete.executeUpdate();
		}
	}

	int count(Connection connection, OperationFilter filter) throws SQLException {
		Selection selected = select(filter);
		try (PreparedStatement count = connection.prepareStatement("SELECT COUNT(*) FROM (" + selected.sql() + ") s")) {
			selected.bind(count, 1);
			try (ResultSet rows = count.executeQuery()) {
				rows.next();
				return rows.getInt(1);
			}
		}
	}

	/** Delete one batch of operations of a final status last updated at or before a cutoff. */
	int purge(Connection connection, OperationStatus status, Instant updatedBefore, int batchSize)
			throws SQLException {
		try (PreparedStatement delete = connection.prepareStatement(this.purge)) {
			delete.setString(1, status.name());
			delete.setObject(2, OperationRows.timestamp(updatedBefore));
			delete.setInt(3, batchSize);
			return delete.executeUpdate();
		}
	}

	/** The counts by status, each from its status's index, and the oldest active operation. */
	OutboxStats stats(Connection connection) throws SQLException {
		Map<OperationStatus, Long> counts = new EnumMap<>(OperationStatus.class);
		Instant oldest = null;
		try (Statement statement = connection.createStatement()) {
			try (ResultSet rows = statement.executeQuery(this.count)) {
				while (rows.next()) {
					counts.put(OperationStatus.valueOf(rows.getString(1)), rows.getLong(2));
				}
			}
			try (ResultSet rows = statement.executeQuery(this.oldestActive)) {
				if (rows.next()) {
					oldest = OperationRows.instant(rows, 1);
				}
			}
		}
		return new OutboxStats(counts, oldest);
	}

	/** The ids a filter selects, oldest first, up to its limit: a sub-select and its parameters. */
	Selection select(OperationFilter filter) {
		StringBuilder sql = new StringBuilder("SELECT o.id FROM ").append(this.table)
			.append(" o WHERE o.status IN (")
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
			parameters.add(OperationRows.timestamp(OperationRows.micros(filter.createdBefore())));
		}
		sql.append(" ORDER BY o.id LIMIT ?");
		parameters.add(filter.limit());
		return new Selection(sql.toString(), parameters);
	}

	private static String likeLiteral(String text) {
		return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
	}

	/** A sub-select of ids and its parameters. */
	record Selection(String sql, List<Object> parameters) {

		void bind(PreparedStatement statement, int first) throws SQLException {
			for (int i = 0; i < this.parameters.size(); i++) {
				statement.setObject(first + i, this.parameters.get(i));
			}
		}

	}

}
