package io.offlinesync.store.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

import io.offlinesync.StoreException;
import io.offlinesync.StoreSchemaException;

/**
 * The outbox table's schema: the versioned migration scripts (one folder per dialect, the same scripts that Flyway
 * and Liquibase apply), creating it from them, and checking that a table has every column and index the store uses.
 */
final class JdbcSchema {

	/** The migrations in the order they apply; each file is in every dialect's folder. */
	static final List<String> MIGRATIONS = List.of("V0_1__offline_sync_outbox.sql", "V0_2__priority_expiry_trace.sql");

	static final String LIQUIBASE_CHANGELOG = "db/offline-sync/liquibase/changelog.xml";

	/** The columns the store reads and writes. */
	static final List<String> COLUMNS = List.of("id", "kind", "target", "payload", "headers", "idempotency_key",
			"ordering_key", "status", "attempt", "last_error", "claim_token", "claimed_by", "next_attempt_at",
			"created_at", "updated_at", "priority", "expires_at", "trace_context");

	private static final Pattern INDEX = Pattern.compile("(CREATE|DROP) INDEX IF (NOT )?EXISTS (\\w+)");

	private JdbcSchema() {
	}

	/**
	 * The scripts of a dialect, all versions in order, for a table name.
	 * @param dialect the dialect
	 * @param tableName the table, optionally qualified by its schema
	 * @return the statements
	 */
	static List<String> statements(JdbcDialect dialect, String tableName) {
		List<String> statements = new ArrayList<>();
		for (String migration : MIGRATIONS) {
			statements.addAll(statements(script(dialect, migration, tableName)));
		}
		return statements;
	}

	/**
	 * Create the table and its indexes where missing: every migration, in order (they are idempotent).
	 */
	/**
	 * Detect the dialect if none is given, create the schema if asked, and check the table.
	 * @return the dialect
	 */
	@SuppressWarnings("NullAway") // work without a result returns null
	static JdbcDialect prepare(JdbcTransactions transactions, @Nullable JdbcDialect dialect, String tableName,
			boolean createSchema) throws SQLException {
		JdbcDialect detected = (dialect != null) ? dialect : transactions.inTransaction(
				(connection) -> JdbcDialect.fromProductName(connection.getMetaData().getDatabaseProductName()));
		if (createSchema) {
			transactions.inTransaction((connection) -> {
				create(connection, detected, tableName);
				return null;
			});
		}
		transactions.inTransaction((connection) -> {
			check(connection, detected, tableName);
			return null;
		});
		return detected;
	}

	static void create(Connection connection, JdbcDialect dialect, String tableName) throws SQLException {
		try (Statement statement = connection.createStatement()) {
			for (String sql : statements(dialect, tableName)) {
				statement.execute(sql);
			}
		}
	}

	/**
	 * Check that the table has every column and index the store uses.
	 * @throws StoreSchemaException naming what is missing and how to create it
	 */
	static void check(Connection connection, JdbcDialect dialect, String tableName) throws SQLException {
		DatabaseMetaData metaData = connection.getMetaData();
		String schema = (tableName.indexOf('.') >= 0) ? tableName.substring(0, tableName.indexOf('.')) : null;
		String table = tableName.substring(tableName.indexOf('.') + 1);
		Set<String> columns = new TreeSet<>();
		Set<String> indexes = new TreeSet<>();
		// Unquoted names are kept in upper case by some databases (H2) and in lower case by others (PostgreSQL).
		for (String casing : List.of(table, table.toLowerCase(Locale.ROOT), table.toUpperCase(Locale.ROOT))) {
			String schemaCasing = (schema == null) ? null
					: casing.equals(table.toUpperCase(Locale.ROOT)) ? schema.toUpperCase(Locale.ROOT)
							: casing.equals(table.toLowerCase(Locale.ROOT)) ? schema.toLowerCase(Locale.ROOT) : schema;
			try (ResultSet rows = metaData.getColumns(null, schemaCasing, casing, null)) {
				while (rows.next()) {
					columns.add(rows.getString("COLUMN_NAME").toLowerCase(Locale.ROOT));
				}
			}
			if (!columns.isEmpty()) {
				try (ResultSet rows = metaData.getIndexInfo(null, schemaCasing, casing, false, true)) {
					while (rows.next()) {
						String name = rows.getString("INDEX_NAME");
						if (name != null) {
							indexes.add(name.toLowerCase(Locale.ROOT));
						}
					}
				}
				break;
			}
		}
		if (columns.isEmpty()) {
			throw new StoreSchemaException("The outbox table '" + tableName + "' does not exist. " + howToCreate(dialect));
		}
		Set<String> missingColumns = new LinkedHashSet<>(COLUMNS);
		missingColumns.removeAll(columns);
		if (!missingColumns.isEmpty()) {
			throw new StoreSchemaException("The outbox table '" + tableName + "' lacks the column"
					+ ((missingColumns.size() > 1) ? "s " : " ") + String.join(", ", missingColumns) + ". "
					+ howToCreate(dialect));
		}
		Set<String> missingIndexes = new LinkedHashSet<>(indexNames(dialect, table.toLowerCase(Locale.ROOT)));
		missingIndexes.removeAll(indexes);
		if (!missingIndexes.isEmpty()) {
			throw new StoreSchemaException("The outbox table '" + tableName + "' lacks the index"
					+ ((missingIndexes.size() > 1) ? "es " : " ") + String.join(", ", missingIndexes)
					+ ", without which claims scan the table. " + howToCreate(dialect));
		}
	}

	/** The indexes a dialect's migrations create for a table (unqualified), in lower case. */
	static List<String> indexNames(JdbcDialect dialect, String table) {
		List<String> names = new ArrayList<>();
		for (String migration : MIGRATIONS) {
			Matcher index = INDEX.matcher(script(dialect, migration, table));
			while (index.find()) {
				String name = index.group(3).toLowerCase(Locale.ROOT);
				if (index.group(1).equals("CREATE")) {
					names.add(name);
				}
				else {
					names.remove(name);
				}
			}
		}
		return names;
	}

	private static String howToCreate(JdbcDialect dialect) {
		return "Apply the migrations in classpath:" + dialect.migrationLocation() + " (Flyway: add it to "
				+ "spring.flyway.locations) or " + LIQUIBASE_CHANGELOG + " (Liquibase: include it), or let the store "
				+ "create the table (sync.store.jdbc.initialize-schema=always, or createSchema(true))";
	}

	/**
	 * A dialect's migration script with the table (and its index names) renamed.
	 */
	static String script(JdbcDialect dialect, String migration, String tableName) {
		String location = dialect.migrationLocation() + "/" + migration;
		String script;
		try (InputStream in = JdbcSchema.class.getClassLoader().getResourceAsStream(location)) {
			if (in == null) {
				throw new StoreException("The migration script " + location + " is missing from the class path");
			}
			script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			throw new StoreException("Could not read the migration script " + location, ex);
		}
		String unqualified = tableName.substring(tableName.indexOf('.') + 1);
		// Index names take the unqualified name: an index lives in its table's schema.
		return script.replace(JdbcOutboxStore.DEFAULT_TABLE_NAME + "_", unqualified + "_")
			.replaceAll("\\b" + JdbcOutboxStore.DEFAULT_TABLE_NAME + "\\b", tableName);
	}

	/**
	 * The statements of a script: separated by semicolons, comment lines dropped.
	 */
	static List<String> statements(String script) {
		StringBuilder text = new StringBuilder();
		for (String line : script.split("\n")) {
			if (!line.strip().startsWith("--")) {
				text.append(line).append('\n');
			}
		}
		List<String> statements = new ArrayList<>();
		for (String statement : text.toString().split(";")) {
			if (!statement.isBlank()) {
				statements.add(statement.strip());
			}
		}
		return statements;
	}

}
