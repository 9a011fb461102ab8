package io.offlinesync.store.jdbc;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.Test;

import io.offlinesync.EngineConfig;
import io.offlinesync.NetworkProbe;
import io.offlinesync.NewOperation;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.OutboxConfig;
import io.offlinesync.SyncEngine;
import io.offlinesync.test.Databases;
import io.offlinesync.test.LoopbackReceiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Several application instances sharing one outbox table: four engines, each with its own store and connection
 * pool on the same PostgreSQL database, drain one queue to a real HTTP receiver on 127.0.0.1.
 */
class JdbcMultiInstanceTests {

	private static final int OPERATIONS = 20_000;

	private static final int ENGINES = 4;

	@Test
	void fourEnginesDeliverEveryOperationExactlyOnceAndShareTheWork() throws Exception {
		String table = Databases.uniqueTableName();
		List<HikariDataSource> pools = new ArrayList<>();
		List<SyncEngine> engines = new ArrayList<>();
		List<AtomicInteger> deliveredBy = new ArrayList<>();
		try (LoopbackReceiver receiver = new LoopbackReceiver()) {
			for (int i = 0; i < ENGINES; i++) {
				HikariDataSource pool = Databases.pool(Databases.postgresUrl(), 6);
				pools.add(pool);
				JdbcOutboxStore store = JdbcOutboxStore.builder(pool)
					.tableName(table)
					.createSchema(i == 0)
					.owner("instance-" + i)
					.build();
				Outbox outbox = new Outbox(store, OutboxConfig.defaults(), Clock.systemUTC());
				if (i == 0) {
					enqueue(outbox);
				}
				SyncEngine engine = new SyncEngine(outbox, receiver.transport(), NetworkProbe.alwaysOnline(),
						EngineConfig.builder().concurrency(8).batchLimit(16).build());
				AtomicInteger delivered = new AtomicInteger();
				engine.addDeliveryListener((operation, result, latency, stored) -> {
					if (stored != null && stored.status() == OperationStatus.DONE) {
						delivered.incrementAndGet();
					}
				});
				deliveredBy.add(delivered);
				engines.add(engine);
			}
			engines.forEach(SyncEngine::start);
			await().atMost(Duration.ofMinutes(3)).until(() -> receiver.distinctKeys() == OPERATIONS);
			await().atMost(Duration.ofSeconds(30))
				.until(() -> deliveredBy.stream().mapToInt(AtomicInteger::get).sum() == OPERATIONS);

			assertThat(receiver.repeatedKeys()).as("operations delivered more than once").isEmpty();
			assertThat(receiver.requests()).isEqualTo(OPERATIONS);
			for (int i = 0; i < ENGINES; i++) {
				assertThat(deliveredBy.get(i).get()).as("deliveries by engine %d of %s", i, deliveredBy)
					.isGreaterThan(OPERATIONS / ENGINES / 4);
			}
		}
		finally {
			engines.forEach(SyncEngine::close);
			pools.forEach(HikariDataSource::close);
		}
	}

	private static void enqueue(Outbox outbox) {
		List<NewOperation> batch = new ArrayList<>();
		for (int i = 0; i < OPERATIONS; i++) {
			batch.add(NewOperation.of("http.post", "/notes", "{\"n\":" + i + "}"));
			if (batch.size() == 1_000) {
				outbox.enqueueAll(batch);
				batch.clear();
			}
		}
		assertThat(outbox.stats().count(OperationStatus.PENDING)).isEqualTo(OPERATIONS);
	}

}
