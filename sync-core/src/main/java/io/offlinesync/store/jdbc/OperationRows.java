package io.offlinesync.store.jdbc;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;

/**
 * Operations to and from rows of the outbox table: binding, reading, and what the table's types cannot hold.
 */
final class OperationRows {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final TypeReference<LinkedHashMap<String, String>> HEADERS = new TypeReference<>() {
	};

	private OperationRows() {
	}


	/** Write the mutable fields of operations read before, in one batch. */
	static void update(Connection connection, OutboxSql sql, String owner, List<Operation> operations)
			throws SQLException {
		if (operations.isEmpty()) {
			return;
		}
		try (PreparedStatement update = connection.prepareStatement(sql.update)) {
			for (Operation operation : operations) {
				update.setString(1, operation.status().name());
				update.setInt(2, operation.attempt());
				update.setString(3, operation.lastError());
				update.setString(4, operation.claimToken());
				update.setString(5, (operation.claimToken() != null) ? owner : null);
				update.setObject(6, timestamp(operation.nextAttemptAt()));
				update.setObject(7, timestamp(operation.updatedAt()));
				update.setString(8, operation.id());
				update.addBatch();
			}
			executeBatch(update);
		}
	}

	static void bindInsert(PreparedStatement insert, Operation operation, String owner) throws SQLException {
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
		insert.setString(12, (operation.claimToken() != null) ? owner : null);
		insert.setObject(13, timestamp(micros(operation.nextAttemptAt())));
		insert.setObject(14, timestamp(micros(operation.createdAt())));
		insert.setObject(15, timestamp(micros(operation.updatedAt())));
		insert.setInt(16, operation.priority());
		insert.setObject(17, (operation.expiresAt() != null) ? timestamp(micros(operation.expiresAt())) : null);
		insert.setString(18, operation.traceContext().isEmpty() ? null
				: JSON.writeValueAsString(operation.traceContext()));
	}

	static void executeBatch(PreparedStatement statement) throws SQLException {
		for (int count : statement.executeBatch()) {
			if (count == 0) {
				throw new SQLException("A row the outbox store had just read was gone when it was written");
			}
		}
	}

	static List<Operation> readAll(PreparedStatement select) throws SQLException {
		List<Operation> operations = new ArrayList<>();
		try (ResultSet rows = select.executeQuery()) {
			while (rows.next()) {
				operations.add(read(rows));
			}
		}
		return operations;
	}

	static Operation read(ResultSet rows) throws SQLException {
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
			.createdAt(Objects.requireNonNull(instant(rows, 13), "created_at"))
			.updatedAt(instant(rows, 14))
			.priority(rows.getInt(15))
			.expiresAt(instant(rows, 16));
		String headers = rows.getString(5);
		if (headers != null) {
			builder.headers(stringMap(rows, headers, "headers"));
		}
		String trace = rows.getString(17);
		if (trace != null) {
			builder.traceContext(stringMap(rows, trace, "trace context"));
		}
		return builder.build();
	}

	private static Map<String, String> stringMap(ResultSet rows, String json, String what) throws SQLException {
		try {
			return JSON.readValue(json, HEADERS);
		}
		catch (JacksonException ex) {
			throw new SQLException("The " + what + " of operation '" + rows.getString(1) + "' is not a JSON object"
					+ " of strings: " + ex.getOriginalMessage(), ex);
		}
	}

	static @Nullable Instant instant(ResultSet rows, int column) throws SQLException {
		OffsetDateTime value = rows.getObject(column, OffsetDateTime.class);
		return (value != null) ? value.toInstant() : null;
	}

	static OffsetDateTime timestamp(Instant instant) {
		return instant.atOffset(ZoneOffset.UTC);
	}

	static Instant micros(Instant instant) {
		return instant.truncatedTo(ChronoUnit.MICROS);
	}


	static boolean isUniqueViolation(@Nullable Throwable ex) {
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
	static void requireStorableText(Operation operation) {
		requireStorableText(operation, "kind", operation.kind());
		requireStorableText(operation, "target", operation.target());
		requireStorableText(operation, "idempotencyKey", operation.idempotencyKey());
		requireStorableText(operation, "orderingKey", operation.orderingKey());
	}

	private static void requireStorableText(Operation operation, String field, @Nullable String value) {
		if (value != null && value.indexOf('\0') >= 0) {
			throw new IllegalArgumentException("The " + field + " of operation '" + operation.id()
					+ "' contains the character U+0000, which the JDBC outbox store cannot keep");
		}
	}

	/** An error message with any U+0000 spelled out, so that recording the failure cannot fail on it. */
	static String storableText(String text) {
		return (text != null && text.indexOf('\0') >= 0) ? text.replace("\0", "\\u0000") : text;
	}

	/** @return the changed operations in the order of the ones asked for, those not changed left out */
	static List<Operation> inOrderOf(List<Operation> asked, List<Operation> changed) {
		Map<String, Operation> byId = new HashMap<>();
		changed.forEach((operation) -> byId.put(operation.id(), operation));
		List<Operation> inOrder = new ArrayList<>(changed.size());
		for (Operation operation : asked) {
			Operation done = byId.remove(operation.id());
			if (done != null) {
				inOrder.add(done);
			}
		}
		return inOrder;
	}

}
