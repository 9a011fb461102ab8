package io.offlinesync.autoconfigure;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import io.micrometer.observation.ObservationRegistry;
import org.springframework.boot.http.client.HttpClientSettings;
import org.springframework.boot.http.client.reactive.ClientHttpConnectorBuilder;
import org.springframework.web.reactive.function.client.WebClient;

import io.offlinesync.EngineConfig;
import io.offlinesync.NetworkProbe;
import io.offlinesync.Outbox;
import io.offlinesync.SyncEngine;
import io.offlinesync.batch.BatchFormat;
import io.offlinesync.store.file.FileOutboxStore;

/**
 * The sender of {@link BatchSenderCrashTests}, run in a child JVM: it drains a file store in batches of
 * {@link #BATCH_SIZE} to a receiver until it is killed.
 */
final class BatchSenderChild {

	static final int BATCH_SIZE = 50;

	private BatchSenderChild() {
	}

	static SyncEngine engine(Outbox outbox, URI baseUrl) {
		WebClientSyncTransport transport = new WebClientSyncTransport(WebClient.builder(),
				ClientHttpConnectorBuilder.detect(), HttpClientSettings.defaults(),
				new HttpOperationRules(baseUrl, Set.of(), Set.of()), Map.of(),
				WebClientSyncTransport.Options.of(Duration.ofSeconds(2), Duration.ofSeconds(20), false)
					.withBatches(BATCH_SIZE, BatchFormat.DEFAULT_PATH, 1024),
				Clock.systemUTC(), ObservationRegistry.NOOP);
		return new SyncEngine(outbox, transport, NetworkProbe.alwaysOnline(),
				EngineConfig.builder().concurrency(2).build());
	}

	/**
	 * @param args the store's directory and the receiver's base URL
	 */
	public static void main(String[] args) throws InterruptedException {
		FileOutboxStore store = FileOutboxStore.open(Path.of(args[0]));
		SyncEngine engine = engine(new Outbox(store), URI.create(args[1]));
		engine.start();
		Thread.currentThread().join();
	}

}
