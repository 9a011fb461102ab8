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
		return new WebClientSyncTransport(WebClient.builder(), ClientHttpConnectorBuilder.detect(),
				HttpClientSettings.defaults(), new HttpOperationRules(baseUrl, Set.of(), Set.of()), Map.of(),
				Duration.ofSeconds(2), Duration.ofSeconds(5), false, Clock.systemUTC(), ObservationRegistry.NOOP);
	}

}
