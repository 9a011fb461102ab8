package io.offlinesync.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import io.offlinesync.NewOperation;
import io.offlinesync.Operation;
import io.offlinesync.Outbox;
import io.offlinesync.OutboxConfig;
import io.offlinesync.store.InMemoryOutboxStore;
import io.offlinesync.store.OutboxStore;
import io.offlinesync.store.file.FileOutboxStore;
import io.offlinesync.store.jdbc.JdbcOutboxStore;

/**
 * What a claim costs each store: a backlog is drained by claims of 32, each batch then marked done, and the time per
 * claimed operation is printed. Durability is off where it can be (file store fsync, PostgreSQL
 * synchronous_commit), so that the figure is the claim's own work; the PostgreSQL table is analysed once filled. Uses the public API only, so that it runs as it
 * is against earlier versions, side by side. Arguments: [operations for memory and file, default 200000]
 * [operations for PostgreSQL, default 20000].
 */
public final class ClaimBenchmark {

	private static final int CLAIM = 32;

	private static final int ROUNDS = 3;

	private ClaimBenchmark() {
	}

	public static void main(String[] args) throws Exception {
		int count = (args.length > 0) ? Integer.parseInt(args[0]) : 200_000;
		int databaseCount = (args.length > 1) ? Integer.parseInt(args[1]) : 20_000;
		Path root = Files.createDirectories(Path.of("benchmarks", "target", "bench-data"));
		row("memory", count, InMemoryOutboxStore::new);
		row("file, fsync off", count,
				() -> FileOutboxStore.open(BenchmarkSupport.temporaryDirectory(root, "claims"), false));
		try (EmbeddedPostgres postgres = EmbeddedPostgres.builder()
			.setServerConfig("synchronous_commit", "off")
			.start(); HikariDataSource pool = BenchmarkSupport.pool(postgres, 4)) {
			int[] table = { 0 };
			row("PostgreSQL, synchronous_commit off", databaseCount, () -> JdbcOutboxStore.builder(pool)
				.tableName("claims_" + (++table[0]))
				.createSchema(true)
				.build(), () -> analyze(pool, "claims_" + table[0]));
		}
	}

	private static void row(String store, int count, Supplier<OutboxStore> stores) {
		row(store, count, stores, () -> {
		});
	}

	/**
	 * The best of a few rounds, each on a new store.
	 * @param filled runs after the store is filled, before the claims are timed
	 */
	private static void row(String store, int count, Supplier<OutboxStore> stores, Runnable filled) {
		double best = Double.MAX_VALUE;
		for (int round = 0; round < ROUNDS; round++) {
			try (OutboxStore opened = stores.get()) {
				best = Math.min(best, microsPerClaimed(opened, count, filled));
			}
		}
		System.out.printf("%-40s %8.2f us per operation claimed and done (claims of %d, %,d queued, best of %d)%n",
				store, best, CLAIM, count, ROUNDS);
	}

	private static double microsPerClaimed(OutboxStore store, int count, Runnable filled) {
		Outbox outbox = new Outbox(store, OutboxConfig.defaults(), Clock.systemUTC());
		List<NewOperation> batch = new ArrayList<>();
		for (int i = 0; i < 1_000; i++) {
			batch.add(NewOperation.of("http.post", "/notes", "{\"n\":" + i + "}"));
		}
		for (int enqueued = 0; enqueued < count; enqueued += batch.size()) {
			outbox.enqueueAll(batch.subList(0, Math.min(batch.size(), count - enqueued)));
		}
		filled.run();
		long started = System.nanoTime();
		int claimed = 0;
		List<Operation> claim;
		while (!(claim = outbox.claimReady(CLAIM)).isEmpty()) {
			outbox.markAllDone(claim);
			claimed += claim.size();
		}
		if (claimed != count) {
			throw new IllegalStateException("claimed " + claimed + " of " + count);
		}
		return (System.nanoTime() - started) / 1e3 / claimed;
	}

	/** As autovacuum does a minute after a table filled: the claims are timed on a table the planner knows. */
	private static void analyze(HikariDataSource pool, String table) {
		try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement()) {
			statement.execute("ANALYZE " + table);
		}
		catch (SQLException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
