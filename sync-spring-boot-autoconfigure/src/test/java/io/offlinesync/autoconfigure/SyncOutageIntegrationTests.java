package io.offlinesync.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.webclient.autoconfigure.WebClientAutoConfiguration;

import io.offlinesync.DeliveryListener;
import io.offlinesync.EngineConfig;
import io.offlinesync.Operation;
import io.offlinesync.SendResult;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.autoconfigure.RecordingServer.Request;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The receiver goes away for far longer than the whole retry schedule, with the auto-configured WebClient transport
 * and every probe mode: nothing is parked, no attempt is used, and everything arrives, once, soon after the receiver
 * is back. The schedule is compressed (retries 10–40 ms apart, about 0.2 s in all; re-checks 50–200 ms apart) so the
 * outage of 3 s outlasts it fifteen times.
 */
class SyncOutageIntegrationTests {

	private static final Duration OUTAGE = Duration.ofSeconds(3);

	private final List<AutoCloseable> toClose = new ArrayList<>();

	@AfterEach
	void closeAll() throws Exception {
		for (AutoCloseable closeable : this.toClose) {
			closeable.close();
		}
	}

	private ApplicationContextRunner runner(int port) {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(WebClientAutoConfiguration.class, SyncAutoConfiguration.class,
					SyncHealthAutoConfiguration.class, SyncMetricsAutoConfiguration.class,
					MetricsAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
					CompositeMeterRegistryAutoConfiguration.class))
			.withPropertyValues("sync.store.type=memory", "sync.transport.base-url=http://127.0.0.1:" + port + "/api",
					"sync.transport.connect-timeout=500ms", "sync.retry.initial-delay=10ms",
					"sync.retry.max-delay=40ms", "sync.probe.recheck-initial-delay=50ms",
					"sync.probe.recheck-max-delay=200ms", "sync.probe.interval=100ms", "sync.probe.timeout=200ms");
	}

	@Test
	void withNoProbeOfItsOwnAnOutageParksNothing() {
		outageParksNothingAndEverythingArrivesOnce(Map.of());
	}

	@Test
	void withATcpProbeAnOutageParksNothing() {
		outageParksNothingAndEverythingArrivesOnce(Map.of("sync.probe.mode", "tcp", "sync.probe.host", "127.0.0.1"));
	}

	@Test
	void withAnHttpProbeAnOutageParksNothing() {
		outageParksNothingAndEverythingArrivesOnce(Map.of("sync.probe.mode", "http"));
	}

	private void outageParksNothingAndEverythingArrivesOnce(Map<String, String> probeProperties) {
		RecordingServer first = RecordingServer.start();
		int port = first.port();
		List<String> properties = new ArrayList<>();
		probeProperties.forEach((name, value) -> properties.add(name + "=" + value));
		properties.add("sync.probe.port=" + port);
		properties.add("sync.probe.url=http://127.0.0.1:" + port + "/health");
		AtomicInteger unreachableSends = new AtomicInteger();
		DeliveryListener countUnreachable = (operation, result, latency, stored) -> {
			if (result.outcome() == SendResult.Outcome.UNREACHABLE) {
				unreachableSends.incrementAndGet();
			}
		};
		runner(port).withPropertyValues(properties.toArray(String[]::new))
			.withBean(DeliveryListener.class, () -> countUnreachable)
			.run((context) -> {
			Outbox outbox = context.getBean(Outbox.class);
			HealthIndicator health = context.getBean("syncHealthIndicator", HealthIndicator.class);
			MeterRegistry meters = context.getBean(MeterRegistry.class);
			Operation beforeOutage = outbox.enqueue("http.post", "/notes", "{\"n\":0}");
			await().atMost(Duration.ofSeconds(10))
				.until(() -> outbox.find(beforeOutage.id()).orElseThrow().status() == OperationStatus.DONE);

			first.close();
			List<Operation> queued = new ArrayList<>();
			for (int i = 1; i <= 30; i++) {
				queued.add(outbox.enqueue("http.post", "/notes", "{\"n\":" + i + "}"));
			}
			await().atMost(Duration.ofSeconds(10)).until(() -> !linkOf(health.health(true)).get("state").equals("online"));
			long outageEnds = System.nanoTime() + OUTAGE.toNanos();
			// Throughout the outage: no attempt used, nothing parked, health UP with the link down and why.
			await().atMost(OUTAGE.plusSeconds(5)).pollInterval(Duration.ofMillis(100)).until(() -> {
				assertThat(outbox.stats().count(OperationStatus.PERMANENTLY_FAILED)).isZero();
				// A claim counts its attempt while it lasts (a trial send); an unreachable remote gives it back.
				assertThat(queued).map((operation) -> outbox.find(operation.id()).orElseThrow())
					.filteredOn((operation) -> operation.status() != OperationStatus.IN_FLIGHT)
					.extracting(Operation::attempt)
					.containsOnly(0);
				return System.nanoTime() >= outageEnds;
			});
			// Cheap while it lasts: the first burst, then at most one trial send per re-check (200 ms apart at most).
			assertThat(unreachableSends.get()).isLessThan(EngineConfig.DEFAULT_CONCURRENCY + 30);
			Health down = health.health(true);
			assertThat(down.getStatus()).isEqualTo(Status.UP);
			assertThat(linkOf(down)).containsKeys("outageSince", "reason");
			assertThat(meters.get("sync.outage.duration").gauge().value()).isGreaterThan(1.0);

			try (RecordingServer back = RecordingServer.start(port)) {
				long returned = System.nanoTime();
				await().atMost(Duration.ofSeconds(10)).until(() -> outbox.stats().backlog() == 0);
				Duration catchUp = Duration.ofNanos(System.nanoTime() - returned);
				assertThat(catchUp).isLessThan(Duration.ofSeconds(5));
				assertThat(outbox.stats().count(OperationStatus.PERMANENTLY_FAILED)).isZero();
				assertThat(queued).map((operation) -> outbox.find(operation.id()).orElseThrow())
					.allSatisfy((operation) -> assertThat(operation.status()).isEqualTo(OperationStatus.DONE));
				Map<String, Long> keys = keysOf(back.requests());
				assertThat(keys).hasSize(30).allSatisfy((key, count) -> assertThat(count).isOne());
				assertThat(linkOf(health.health(true))).containsEntry("state", "online").doesNotContainKey("reason");
				assertThat(meters.get("sync.online").gauge().value()).isEqualTo(1.0);
				assertThat(meters.get("sync.outage.duration").gauge().value()).isZero();
			}
		});
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> linkOf(Health health) {
		return (Map<String, Object>) health.getDetails().get("link");
	}

	private static Map<String, Long> keysOf(List<Request> requests) {
		return requests.stream()
			.filter((request) -> request.rawPath().equals("/api/notes"))
			.collect(java.util.stream.Collectors.groupingBy((request) -> request.header("Idempotency-Key"),
					java.util.stream.Collectors.counting()));
	}

}
