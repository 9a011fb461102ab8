package io.offlinesync.autoconfigure;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
import io.offlinesync.test.FakeTransport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

class SyncActuatorAutoConfigurationTests {

	/** Delivers "/ok" targets, parks "/bad" ones, retries anything else. */
	private final FakeTransport transport = new FakeTransport().whenTarget("/ok")
		.thenAnswer(SendResult.ok())
		.whenTarget("/bad")
		.thenAnswer(SendResult.permanent("HTTP 400 Bad Request"))
		.answerByDefault(SendResult.retryable("HTTP 503 Service Unavailable"));

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(SyncAutoConfiguration.class, SyncHealthAutoConfiguration.class,
				SyncMetricsAutoConfiguration.class, SyncEndpointAutoConfiguration.class, MetricsAutoConfiguration.class,
				SimpleMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class))
		.withBean(SyncTransport.class, () -> this.transport)
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
			.withBean(SyncTransport.class, () -> this.transport)
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

	@Test
	void everyMeterExistsWithEveryTagValueBeforeAnyEvent() {
		this.runner.run((context) -> {
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			for (SendResult.Outcome outcome : SendResult.Outcome.values()) {
				String tag = outcome.name().toLowerCase(java.util.Locale.ROOT);
				assertThat(registry.get("sync.deliveries").tag("outcome", tag).counter().count()).isZero();
				assertThat(registry.get("sync.send.latency").tag("outcome", tag).timer().count()).isZero();
			}
			for (OperationStatus status : OperationStatus.values()) {
				assertThat(registry.get("sync.operations")
					.tag("status", status.name().toLowerCase(java.util.Locale.ROOT))
					.gauge()
					.value()).isZero();
			}
			assertThat(registry.get("sync.retries").counter().count()).isZero();
			assertThat(registry.get("sync.parked").counter().count()).isZero();
			assertThat(registry.get("sync.expired").counter().count()).isZero();
			assertThat(registry.get("sync.quarantined").gauge().value()).isZero();
			assertThat(registry.get("sync.paused").gauge().value()).isZero();
			assertThat(registry.get("sync.store.failing").gauge().value()).isZero();
			assertThat(registry.get("sync.outage.duration").gauge().value()).isZero();
			assertThat(registry.get("sync.enqueued").functionCounter().count()).isZero();
		});
	}

	@Test
	void pauseAndBulkRepairThroughTheEndpointShowInHealthAndMeters() {
		this.runner.withPropertyValues("sync.retry.max-attempts=1").run((context) -> {
			Outbox outbox = context.getBean(Outbox.class);
			SyncEndpoint endpoint = context.getBean(SyncEndpoint.class);
			HealthIndicator health = context.getBean("syncHealthIndicator", HealthIndicator.class);
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			for (int i = 0; i < 5; i++) {
				outbox.enqueue("http.post", (i < 3) ? "/bad" : "/later", "{}");
			}
			await().atMost(Duration.ofSeconds(10))
				.until(() -> outbox.stats().count(OperationStatus.PERMANENTLY_FAILED) == 5);
			assertThat(registry.get("sync.parked").counter().count()).isEqualTo(5.0);

			assertThat(endpoint.act("pause", null, null, null, null, null, null, null)).containsEntry("paused", true);
			assertThat(health.health(true).getDetails()).containsEntry("paused", true);
			assertThat(health.health(true).getStatus()).isEqualTo(Status.UP);
			assertThat(registry.get("sync.paused").gauge().value()).isEqualTo(1.0);

			assertThat(endpoint.act("retry", null, null, "/later", "503", null, null, true))
				.containsEntry("dryRun", true)
				.containsEntry("matched", 2);
			assertThat(outbox.stats().count(OperationStatus.PERMANENTLY_FAILED)).isEqualTo(5);
			assertThat(endpoint.act("retry", "permanently_failed", "http.post", "/later", null, null, 1, false))
				.containsEntry("retried", 1);
			assertThat(endpoint.act("discard", null, null, "/bad", null, "0s", null, null))
				.containsEntry("discarded", 3);
			// Paused: the retried operation waits.
			assertThat(outbox.stats().count(OperationStatus.PENDING)).isOne();
			assertThat(endpoint.act("resume", null, null, null, null, null, null, null)).containsEntry("paused", false);
			await().atMost(Duration.ofSeconds(10)).until(() -> outbox.stats().count(OperationStatus.PENDING) == 0);

			assertThatExceptionOfType(InvalidEndpointRequestException.class)
				.isThrownBy(() -> endpoint.act("reboot", null, null, null, null, null, null, null))
				.withMessageContaining("Unknown action 'reboot'");
			assertThatExceptionOfType(InvalidEndpointRequestException.class)
				.isThrownBy(() -> endpoint.act("retry", null, null, null, null, "soon", null, null))
				.withMessageContaining("'olderThan' must be a duration");
			assertThatExceptionOfType(InvalidEndpointRequestException.class)
				.isThrownBy(() -> endpoint.act("discard", null, null, null, null, null, 0, null))
				.withMessageContaining("'limit' must be between 1 and 100000");
		});
	}

	@Test
	void aStoreThatCannotWriteTurnsHealthDownWithTheReasonUntilItWritesAgain() {
		java.util.concurrent.atomic.AtomicBoolean diskFull = new java.util.concurrent.atomic.AtomicBoolean();
		io.offlinesync.store.OutboxStore failing = new io.offlinesync.store.IndexedOutboxStore() {
			@Override
			protected long persist(List<Operation> upserts, List<String> removals) {
				if (diskFull.get()) {
					throw new io.offlinesync.StoreException("No space left on device");
				}
				return 0;
			}
		};
		this.runner.withBean(io.offlinesync.store.OutboxStore.class, () -> failing).run((context) -> {
			Outbox outbox = context.getBean(Outbox.class);
			HealthIndicator health = context.getBean("syncHealthIndicator", HealthIndicator.class);
			diskFull.set(true);
			assertThatExceptionOfType(io.offlinesync.StoreException.class)
				.isThrownBy(() -> outbox.enqueue("http.post", "/ok", "{}"));
			Health down = health.health(true);
			assertThat(down.getStatus()).isEqualTo(Status.DOWN);
			assertThat(down.getDetails().get("problems").toString()).contains("No space left on device");
			assertThat(context.getBean(MeterRegistry.class).get("sync.store.failing").gauge().value()).isEqualTo(1.0);
			diskFull.set(false);
			outbox.enqueue("http.post", "/ok", "{}");
			assertThat(health.health(true).getStatus()).isEqualTo(Status.UP);
		});
	}

	@Test
	void anOperationTheStoreCannotReadBackIsQuarantinedAndShownInHealthTheEndpointAndAMeter() {
		io.offlinesync.store.OutboxStore damaging = new io.offlinesync.store.IndexedOutboxStore() {
			@Override
			protected long persist(List<Operation> upserts, List<String> removals) {
				return 0;
			}

			@Override
			protected Operation materialized(Operation indexed) {
				if (indexed.target().equals("/damaged")) {
					throw new io.offlinesync.store.UnreadableOperationException(indexed.id(),
							"The record of operation '" + indexed.id() + "' at offset 1234 cannot be read");
				}
				return indexed;
			}
		};
		this.runner.withBean(io.offlinesync.store.OutboxStore.class, () -> damaging).run((context) -> {
			Outbox outbox = context.getBean(Outbox.class);
			Operation damaged = outbox.enqueue("http.post", "/damaged", "{}");
			outbox.enqueue("http.post", "/ok", "{}");
			await().atMost(Duration.ofSeconds(10)).until(() -> outbox.stats().count(OperationStatus.DONE) == 1);
			assertThat(outbox.quarantined()).singleElement()
				.satisfies((quarantined) -> assertThat(quarantined.id()).isEqualTo(damaged.id()));

			Health health = context.getBean("syncHealthIndicator", HealthIndicator.class).health(true);
			assertThat(health.getStatus()).isEqualTo(Status.UP);
			assertThat(health.getDetails().get("quarantined").toString()).contains(damaged.id()).contains("offset 1234");
			assertThat(context.getBean(SyncEndpoint.class).operations(null, null, null).get("quarantined").toString())
				.contains(damaged.id());
			assertThat(context.getBean(MeterRegistry.class).get("sync.quarantined").gauge().value()).isEqualTo(1.0);
		});
	}

	@Test
	void theFileStoreHasMetersOfItsOwn(@TempDir Path directory) {
		this.runner.withPropertyValues("sync.store.type=file", "sync.store.file.directory=" + directory)
			.run((context) -> {
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				assertThat(registry.get("sync.store.file.compactions").tag("outcome", "done").functionCounter().count())
					.isZero();
				assertThat(registry.get("sync.store.file.compacting").gauge().value()).isZero();
				Outbox outbox = context.getBean(Outbox.class);
				outbox.enqueue("http.post", "/ok", "{}");
				await().atMost(Duration.ofSeconds(10)).until(() -> outbox.stats().count(OperationStatus.DONE) == 1);
				// A put, a claim and a delivery.
				assertThat(registry.get("sync.store.file.records").gauge().value()).isEqualTo(3.0);
				assertThat(registry.get("sync.store.file.payload.reads").tag("source", "cache").functionCounter().count())
					.isPositive();
			});
		this.runner.run((context) -> assertThat(context.getBean(MeterRegistry.class).find("sync.store.file.records")
			.gauge()).as("a memory store has none").isNull());
	}

	@Test
	void expiredOperationsAreCountedShownInHealthAndListedByTheEndpoint() {
		this.runner.withPropertyValues("sync.defaults[eta.notice].time-to-live=1ms").run((context) -> {
			Outbox outbox = context.getBean(Outbox.class);
			for (int i = 0; i < 3; i++) {
				outbox.enqueue(NewOperation.of("eta.notice", "/later", "{}"));
			}
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			await().atMost(Duration.ofSeconds(10)).until(() -> registry.get("sync.expired").counter().count() == 3);
			@SuppressWarnings("unchecked")
			Map<String, Long> counts = (Map<String, Long>) context.getBean("syncHealthIndicator", HealthIndicator.class)
				.health(true)
				.getDetails()
				.get("counts");
			assertThat(counts).containsEntry("expired", 3L);
			assertThat(registry.get("sync.operations").tag("status", "expired").gauge().value()).isEqualTo(3.0);
			assertThat((List<?>) context.getBean(SyncEndpoint.class).operations("expired", null, null).get("operations"))
				.hasSize(3);
		});
	}

	@Test
	void aNegativeHealthThresholdFailsStartupNamingTheProperty() {
		this.runner.withPropertyValues("sync.health.max-backlog=-5").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(InvalidSyncPropertyException.class)
				.hasMessageContaining("'sync.health.max-backlog' must not be negative but was -5");
		});
	}

}
