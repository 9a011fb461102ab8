package io.offlinesync.autoconfigure;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import io.micrometer.observation.ObservationRegistry;
import org.springframework.boot.http.client.HttpClientSettings;
import org.springframework.boot.http.client.reactive.ClientHttpConnectorBuilder;
import org.springframework.web.reactive.function.client.WebClient;

import io.offlinesync.SyncTransport;
import io.offlinesync.batch.BatchFormat;

/**
 * The starter's WebClient transport as the auto-configuration makes it, for benchmarks that drive the engine
 * without a Spring context. In this package because the transport is package-private.
 */
public final class BenchmarkTransports {

	private BenchmarkTransports() {
	}

	/**
	 * @param baseUrl where operation targets are resolved
	 * @return the transport, with the default timeouts
	 */
	public static SyncTransport webClient(URI baseUrl) {
		return webClient(baseUrl, SyncProperties.HttpVersion.HTTP1, 1);
	}

	/**
	 * @param baseUrl where operation targets are resolved
	 * @param version the HTTP version
	 * @param batchSize operations per request; 1 for none
	 * @return the transport, with the default timeouts, and the default batch path
	 */
	public static SyncTransport webClient(URI baseUrl, SyncProperties.HttpVersion version, int batchSize) {
		return new WebClientSyncTransport(WebClient.builder(), ClientHttpConnectorBuilder.detect(),
				HttpClientSettings.defaults(), new HttpOperationRules(baseUrl, Set.of(), Set.of()), Map.of(),
				WebClientSyncTransport.Options.of(Duration.ofSeconds(5), Duration.ofSeconds(30), false)
					.withHttpVersion(version)
					.withBatches(batchSize, BatchFormat.DEFAULT_PATH, 1024),
				Clock.systemUTC(), ObservationRegistry.NOOP);
	}

}
