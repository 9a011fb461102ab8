package io.offlinesync.store.jdbc;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import io.offlinesync.EngineConfig;
import io.offlinesync.NetworkProbe;
import io.offlinesync.Outbox;
import io.offlinesync.OutboxConfig;
import io.offlinesync.SyncEngine;
import io.offlinesync.test.Databases;

/**
 * An application instance that claims a batch and is then killed in the middle of sending it: its transport never
 * answers. Arguments: JDBC URL, table, owner name.
 */
public final class LeaseChild {

	private LeaseChild() {
	}

	public static void main(String[] args) throws InterruptedException {
		JdbcOutboxStore store = JdbcOutboxStore.builder(Databases.pool(args[0], 4))
			.tableName(args[1])
			.owner(args[2])
			.build();
		Outbox outbox = new Outbox(store, OutboxConfig.defaults(), Clock.systemUTC());
		EngineConfig config = EngineConfig.builder()
			.concurrency(16)
			.batchLimit(16)
			.sendTimeout(Duration.ofMinutes(9))
			.inFlightTimeout(Duration.ofMinutes(10))
			.build();
		new SyncEngine(outbox, (operation) -> new CompletableFuture<>(), NetworkProbe.alwaysOnline(), config).start();
		Thread.currentThread().join();
	}

}
