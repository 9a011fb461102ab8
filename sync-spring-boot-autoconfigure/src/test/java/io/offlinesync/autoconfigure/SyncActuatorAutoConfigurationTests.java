package io.offlinesync.autoconfigure;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import io.offlinesync.NewOperation;
import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.SendResult;
import io.offlinesync.SyncEngine;
import io.offlinesync.SyncTransport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

class SyncActuatorAutoConfigurationTests {

	/** Delivers "/ok" targets, parks "/bad" ones, retries anything else. */
	private static final SyncTransport TRANSPORT = (operation) -> CompletableFuture
		.completedFuture(switch (operation.target()) {
			case "/ok" -> SendResult.ok();
			case "/bad" -> SendResult.permanent("HTTP 400 Bad Request");
			default -> SendResult.retryable("HTTP 503 Service Unavailable");
		});

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(SyncAutoConfiguration.class, SyncHealthAutoConfiguration.class,
				SyncMetricsAutoConfiguration.class, SyncEndpointAutoConfiguration.class, MetricsAutoConfiguration.class,
				SimpleMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class))
		.withBean(SyncTransport.class, () -> TRANSPORT)
		.withPropertyValues("sync.store.type=memory", "sync.retry.initial-delay=1h", "sync.retry.max-delay=1h",
				"management.endpoints.web.exposure.include=sync");

	private static void deliverSample(Outbox outbox) {
		outbox.enqueueAll(List.of(NewOperation.of("http.post", "/ok", "{\"n\":1}"),
				NewOperation.of("http.post", "/ok", "{\"n\":2}"), NewOperation.of("http.post", "/bad", "{\"n\":3}"),
				NewOperation.of("http.post", "/later", "{\"n\":4}")));
		await().atMost(Duration.ofSeconds(10))
			.until(() -> outbox.stats().count(OperationStatus.DONE) == 2
					&& outbox.stats().count(OperationStatus.PERMANENTLY_FAILED) == 1
					&& outbox.stats().count(OperationStatus.FAILED) == 1);
	}

	@Test
	void healthReportsTheBacklogAndTheLastDeliveries() {
		this.runner.run((context) -> {
			assertThat(context).hasBean("syncHealthIndicator");
			deliverSample(context.getBean(Outbox.class));
			Health health = context.getBean("syncHealthIndicator", HealthIndicator.class).health(true);
			assertThat(health.getStatus()).isEqualTo(Status.UP);
			assertThat(health.getDetails()).containsEntry("backlog", 1L)
				.containsEntry("online", true)
				.containsEntry("engineRunning", true)
				.containsKeys("lastSuccessAt", "lastErrorAt", "oldestPendingAge");
			assertThat(health.getDetails().get("lastError").toString()).contains("HTTP ");
			@SuppressWarnings("unchecked")
			Map<String, Long> counts = (Map<String, Long>) health.getDetails().get("counts");
			assertThat(counts).containsEntry("done", 2L).containsEntry("permanently_failed", 1L).containsEntry("failed", 1L);
		});
	}

	@Test
	void healthTurnsDownOnlyPastAConfiguredThreshold() {
		this.runner.withPropertyValues("sync.health.max-parked=0", "sync.health.max-backlog=5").run((context) -> {
			deliverSample(context.getBean(Outbox.class));
			Health health = context.getBean("syncHealthIndicator", HealthIndicator.class).health(true);
			assertThat(health.getStatus()).isEqualTo(Status.DOWN);
			assertThat(health.getDetails().get("problems"))
				.isEqualTo(List.of("1 parked operations, over sync.health.max-parked=0"));
		});
	}

	@Test
	void healthIndicatorCanBeDisabledAndBacksOffWithoutTheHealthModule() {
		this.runner.withPropertyValues("management.health.sync.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean("syncHealthIndicator"));
		this.runner.withClassLoader(new FilteredClassLoader(HealthIndicator.class))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean("syncHealthIndicator"));
	}

	@Test
	void metersCountQueueDeliveriesRetriesAndLatency() {
		this.runner.run((context) -> {
			deliverSample(context.getBean(Outbox.class));
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			assertThat(registry.get("sync.operations").tag("status", "done").gauge().value()).isEqualTo(2.0);
			assertThat(registry.get("sync.operations").tag("status", "failed").gauge().value()).isEqualTo(1.0);
			assertThat(registry.get("sync.operations").tag("status", "permanently_failed").gauge().value())
				.isEqualTo(1.0);
			assertThat(registry.get("sync.enqueued").functionCounter().count()).isEqualTo(4.0);
			assertThat(registry.get("sync.deliveries").tag("outcome", "delivered").counter().count()).isEqualTo(2.0);
			assertThat(registry.get("sync.deliveries").tag("outcome", "permanent").counter().count()).isEqualTo(1.0);
			assertThat(registry.get("sync.deliveries").tag("outcome", "retryable").counter().count()).isEqualTo(1.0);
			assertThat(registry.get("sync.retries").counter().count()).isEqualTo(1.0);
			assertThat(registry.get("sync.send.latency").tag("outcome", "delivered").timer().count()).isEqualTo(2);
			assertThat(registry.get("sync.online").gauge().value()).isEqualTo(1.0);
			assertThat(registry.get("sync.oldest.pending.age").gauge().value()).isGreaterThanOrEqualTo(0.0);
		});
	}

	@Test
	void endpointBacksOffWithoutActuator() {
		this.runner.withClassLoader(new FilteredClassLoader(Endpoint.class))
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(SyncEngine.class)
				.doesNotHaveBean(SyncEndpoint.class));
	}

	@Test
	void metricsBackOffWithoutMicrometer() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(SyncAutoConfiguration.class, SyncMetricsAutoConfiguration.class))
			.withClassLoader(new FilteredClassLoader(MeterRegistry.class))
			.withBean(SyncTransport.class, () -> TRANSPORT)
			.withPropertyValues("sync.store.type=memory")
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(SyncEngine.class)
				.doesNotHaveBean(SyncMetrics.class));
	}

	@Test
	void endpointListsHidesPayloadsAndActsOnParkedOperations() {
		this.runner.run((context) -> {
			Outbox outbox = context.getBean(Outbox.class);
			deliverSample(outbox);
			SyncEndpoint endpoint = context.getBean(SyncEndpoint.class);
			Map<String, Object> parked = endpoint.operations("permanently_failed", null, null);
			@SuppressWarnings("unchecked")
			List<Map<String, Object>> operations = (List<Map<String, Object>>) parked.get("operations");
			assertThat(operations).singleElement().satisfies((view) -> {
				assertThat(view).containsEntry("target", "/bad").containsEntry("lastError", "HTTP 400 Bad Request");
				assertThat(view).doesNotContainKey("payload").containsEntry("payloadLength", 7);
			});
			String id = (String) operations.get(0).get("id");
			assertThat(endpoint.retry(id)).containsEntry("status", "pending");
			await().atMost(Duration.ofSeconds(10))
				.until(() -> outbox.find(id).map(Operation::status).orElseThrow() == OperationStatus.PERMANENTLY_FAILED);
			assertThat(endpoint.discard(id)).containsEntry("id", id);
			assertThat(endpoint.operation(id)).isNull();
			assertThatExceptionOfType(InvalidEndpointRequestException.class)
				.isThrownBy(() -> endpoint.operations("lost", null, null))
				.withMessageContaining("Unknown status 'lost'");
			assertThatExceptionOfType(InvalidEndpointRequestException.class)
				.isThrownBy(() -> endpoint.operations(null, 0, null))
				.withMessageContaining("'limit' must be between 1 and 1000");
		});
	}

	@Test
	void endpointShowsPayloadsOnlyWhenAskedTo() {
		this.runner.withPropertyValues("sync.endpoint.show-payloads=true").run((context) -> {
			Operation operation = context.getBean(Outbox.class).enqueue("http.post", "/later", "{\"secret\":1}");
			assertThat(context.getBean(SyncEndpoint.class).operation(operation.id()))
				.containsEntry("payload", "{\"secret\":1}");
		});
	}

}
