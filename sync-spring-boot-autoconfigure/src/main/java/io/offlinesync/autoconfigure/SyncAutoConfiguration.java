package io.offlinesync.autoconfigure;

import java.time.Clock;

import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.http.client.HttpClientSettings;
import org.springframework.boot.http.client.reactive.ClientHttpConnectorBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.client.WebClient;

import io.offlinesync.DeliveryListener;
import io.offlinesync.EngineConfig;
import io.offlinesync.NetworkProbe;
import io.offlinesync.OperationValidator;
import io.offlinesync.Outbox;
import io.offlinesync.OutboxConfig;
import io.offlinesync.RetryPolicy;
import io.offlinesync.SyncEngine;
import io.offlinesync.SyncTransport;
import io.offlinesync.TraceContextCapture;
import io.offlinesync.store.InMemoryOutboxStore;
import io.offlinesync.store.OutboxStore;
import io.offlinesync.store.file.FileOutboxStore;

/**
 * Auto-configuration of the offline-sync outbox: store, {@link Outbox}, {@link NetworkProbe}, WebClient
 * {@link SyncTransport} and a {@link SyncEngine} that runs with the application context. Every bean backs off when
 * the application defines its own; {@code sync.enabled=false} turns it all off.
 *
 * @since 0.1.0
 */
@AutoConfiguration(afterName = "org.springframework.boot.webclient.autoconfigure.WebClientAutoConfiguration")
@ConditionalOnBooleanProperty(name = "sync.enabled", matchIfMissing = true)
@EnableConfigurationProperties(SyncProperties.class)
public final class SyncAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	RetryPolicy syncRetryPolicy(SyncProperties properties) {
		return SyncSettings.retryPolicy(properties.getRetry());
	}

	@Bean
	@ConditionalOnMissingBean
	OutboxConfig syncOutboxConfig(SyncProperties properties, RetryPolicy retryPolicy,
			ObjectProvider<OperationValidator> validators, ObjectProvider<TraceContextCapture> traceContextCapture) {
		return SyncSettings.outboxConfig(properties, retryPolicy, validators.orderedStream().toList(),
				traceContextCapture.getIfAvailable(() -> TraceContextCapture.NONE));
	}

	@Bean
	@ConditionalOnMissingBean
	EngineConfig syncEngineConfig(SyncProperties properties) {
		return SyncSettings.engineConfig(properties.getEngine(), properties.getTransport().getBatch().getLinger());
	}

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	OutboxStore syncOutboxStore(SyncProperties properties) {
		SyncProperties.Store store = properties.getStore();
		return switch (store.getType()) {
			case FILE -> SyncSettings.validated(() -> FileOutboxStore.open(store.getFile().getDirectory(),
					store.getFile().isFsync(), store.getFile().getDamagedCopiesToKeep()));
			case MEMORY -> new InMemoryOutboxStore();
			// Reached only when SyncJdbcStoreAutoConfiguration did not apply.
			case JDBC -> throw new InvalidSyncPropertyException("sync.store.type",
					"sync.store.type=jdbc needs spring-jdbc on the class path and exactly one DataSource bean"
							+ " (add spring-boot-starter-jdbc and configure spring.datasource.*)");
		};
	}

	@Bean
	@ConditionalOnMissingBean
	Outbox syncOutbox(OutboxStore store, OutboxConfig config, ObjectProvider<Clock> clock) {
		return new Outbox(store, config, syncClock(clock));
	}

	@Bean
	@ConditionalOnMissingBean
	NetworkProbe syncNetworkProbe(SyncProperties properties, ObjectProvider<Clock> clock) {
		return SyncSettings.networkProbe(properties.getProbe(), syncClock(clock));
	}

	@Bean
	@ConditionalOnMissingBean
	DeliveryTracker syncDeliveryTracker(ObjectProvider<Clock> clock) {
		return new DeliveryTracker(syncClock(clock));
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBean(SyncTransport.class)
	SyncEngine syncEngine(Outbox outbox, SyncTransport transport, NetworkProbe probe, EngineConfig config,
			ObjectProvider<DeliveryListener> listeners, ObjectProvider<ObservationRegistry> observations) {
		ObservationRegistry registry = observations.getIfAvailable(() -> ObservationRegistry.NOOP);
		// Each attempt observed, continuing the trace its operation was enqueued in.
		SyncTransport observed = registry.isNoop() ? transport : new ObservedSyncTransport(transport, registry);
		SyncEngine engine = new SyncEngine(outbox, observed, probe, config);
		listeners.orderedStream().forEach(engine::addDeliveryListener);
		return engine;
	}

	@Bean
	@ConditionalOnBean(SyncEngine.class)
	SyncEngineLifecycle syncEngineLifecycle(SyncEngine engine, SyncProperties properties) {
		return new SyncEngineLifecycle(engine, properties.getEngine().isAutoStartup());
	}

	static Clock syncClock(ObjectProvider<Clock> clock) {
		return clock.getIfUnique(Clock::systemUTC);
	}

	/**
	 * The rules of the HTTP transport, checked at enqueue whenever a base URL is configured: also when a test stands a
	 * fake transport in for the real one, so that tests refuse what production would.
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(WebClient.class)
	@ConditionalOnProperty("sync.transport.base-url")
	static class HttpRulesConfiguration {

		@Bean
		@ConditionalOnMissingBean
		HttpOperationRules syncHttpOperationRules(SyncProperties properties) {
			return httpRules(properties.getTransport());
		}

	}

	/**
	 * The HTTP transport; it backs off when the application defines a transport of its own.
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass({ WebClient.class, ClientHttpConnectorBuilder.class })
	@ConditionalOnMissingBean(SyncTransport.class)
	static class WebClientTransportConfiguration {

		@Bean
		SyncTransport syncTransport(SyncProperties properties, ObjectProvider<HttpOperationRules> rules,
				ObjectProvider<WebClient.Builder> webClientBuilder,
				ObjectProvider<ClientHttpConnectorBuilder<?>> connectorBuilder,
				ObjectProvider<HttpClientSettings> clientSettings, ObjectProvider<Clock> clock,
				ObjectProvider<ObservationRegistry> observations) {
			SyncProperties.Transport transport = properties.getTransport();
			// Without a base URL there are no rules, and making them says what is missing.
			SyncProperties.Batch batch = transport.getBatch();
			WebClientSyncTransport.Options options = WebClientSyncTransport.Options
				.of(transport.effectiveConnectTimeout(), transport.getTimeout(),
						transport.getRedirects() == SyncProperties.Redirects.WITHIN_BASE_URL)
				.withHttpVersion(transport.getHttpVersion())
				.withBatches(batch.isEnabled() ? batch.getSize() : 1, batch.getPath(), batch.getCompressAbove().toBytes());
			return new WebClientSyncTransport(webClientBuilder.getIfAvailable(WebClient::builder),
					connectorBuilder.getIfAvailable(ClientHttpConnectorBuilder::detect),
					clientSettings.getIfAvailable(HttpClientSettings::defaults),
					rules.getIfAvailable(() -> httpRules(transport)), transport.getHeaders(), options, syncClock(clock),
					observations.getIfAvailable(() -> ObservationRegistry.NOOP));
		}

	}

	static HttpOperationRules httpRules(SyncProperties.Transport transport) {
		return new HttpOperationRules(transport.getBaseUrl(), transport.getHeaders().keySet(),
				transport.getOverridableHeaders());
	}

	/**
	 * With Micrometer Tracing on the class path, an enqueue keeps the trace it is made in, as the tracer's
	 * propagation fields, for its deliveries to continue. Looked up at each enqueue: no tracer, no fields.
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "io.micrometer.tracing.Tracer")
	static class TraceContextCaptureConfiguration {

		@Bean
		@ConditionalOnMissingBean
		TraceContextCapture syncTraceContextCapture(ObjectProvider<Tracer> tracer,
				ObjectProvider<Propagator> propagator) {
			return new TracerContextCapture(tracer, propagator);
		}

	}

}
