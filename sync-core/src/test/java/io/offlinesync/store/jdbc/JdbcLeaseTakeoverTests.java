package io.offlinesync.store.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.Test;

import io.offlinesync.EngineConfig;
import io.offlinesync.NetworkProbe;
import io.offlinesync.NewOperation;
import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.OutboxConfig;
import io.offlinesync.SyncEngine;
import io.offlinesync.test.Databases;
import io.offlinesync.test.LoopbackReceiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An instance killed with {@code kill -9} in the middle of a batch leaves its claims behind; another instance takes
 * them over once their lease (the in-flight timeout) has run out, and not before.
 */
class JdbcLeaseTakeoverTests {

	private static final Duration LEASE = Duration.ofSeconds(2);

	@Test
	void anotherInstanceFinishesTheBatchOfAKilledOneAfterItsLeaseExpires() throws Exception {
		String table = Databases.uniqueTableName();
		try (HikariDataSource pool = Databases.pool(Databases.postgresUrl(), 4);
				LoopbackReceiver receiver = new LoopbackReceiver()) {
			JdbcOutboxStore store = JdbcOutboxStore.builder(pool).tableName(table).createSchema(true).build();
			Outbox outbox = new Outbox(store, OutboxConfig.defaults(), Clock.systemUTC());
			List<NewOperation> operations = new ArrayList<>();
			for (int i = 0; i < 40; i++) {
				operations.add(NewOperation.of("http.post", "/notes", "note " + i));
			}
			outbox.enqueueAll(operations);

			Process child = childJvm(Databases.postgresUrl(), table, "doomed").start();
			try {
				await().atMost(Duration.ofSeconds(60)).until(() -> claimedBy(pool, table, "doomed").size() == 16);
			}
			finally {
				child.destroyForcibly();
			}
			assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
			assertThat(child.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);
			Map<String, Instant> orphaned = claimedBy(pool, table, "doomed");
			assertThat(orphaned).hasSize(16);

			Map<String, Instant> deliveredAt = new ConcurrentHashMap<>();
			SyncEngine survivor = new SyncEngine(outbox, receiver.transport(), NetworkProbe.alwaysOnline(),
					EngineConfig.builder().inFlightTimeout(LEASE).sendTimeout(Duration.ofSeconds(1)).build());
			survivor.addDeliveryListener((operation, result, latency, stored) -> deliveredAt.put(operation.id(),
					Instant.now()));
			survivor.start();
			try {
				await().atMost(Duration.ofSeconds(60)).until(() -> receiver.distinctKeys() == 40);
				await().atMost(Duration.ofSeconds(10))
					.until(() -> outbox.stats().count(OperationStatus.DONE) == 40);
			}
			finally {
				survivor.close();
			}
			assertThat(receiver.repeatedKeys()).isEmpty();
			orphaned.forEach((id, claimedAt) -> {
				Operation operation = outbox.find(id).orElseThrow();
				assertThat(operation.status()).isEqualTo(OperationStatus.DONE);
				assertThat(operation.attempt()).as("the dead instance's claim counts as an attempt").isEqualTo(2);
				assertThat(deliveredAt.get(id)).as("taken over only after the lease ran out")
					.isAfterOrEqualTo(claimedAt.plus(LEASE));
			});
		}
	}

	private static Map<String, Instant> claimedBy(HikariDataSource pool, String table, String owner)
			throws SQLException {
		Map<String, Instant> claims = new ConcurrentHashMap<>();
		try (Connection connection = pool.getConnection();
				PreparedStatement select = connection.prepareStatement("SELECT id, updated_at FROM " + table
						+ " WHERE status = 'IN_FLIGHT' AND claimed_by = ?")) {
			select.setString(1, owner);
			try (ResultSet rows = select.executeQuery()) {
				while (rows.next()) {
					claims.put(rows.getString(1), rows.getObject(2, java.time.OffsetDateTime.class).toInstant());
				}
			}
		}
		return claims;
	}

	private static ProcessBuilder childJvm(String... args) {
		String java = ProcessHandle.current().info().command().orElse("java");
		List<String> command = new ArrayList<>(List.of(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp",
				System.getProperty("java.class.path"), LeaseChild.class.getName()));
		command.addAll(List.of(args));
		return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
	}

}
