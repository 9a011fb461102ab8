package io.offlinesync.autoconfigure;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.webclient.autoconfigure.WebClientAutoConfiguration;

import io.offlinesync.NewOperation;
import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.receiver.DeliveryReceiver;
import io.offlinesync.receiver.InMemoryIdempotencyStore;
import io.offlinesync.receiver.RejectedOperationException;
import io.offlinesync.test.ShapingProxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Catching up over a slow link, end to end through a shaping proxy (50 ms each way) to a receiver: batches, HTTP/2
 * over cleartext, and a link that resets mid-drain. Whatever happens on the way, the receiver's handler sees every
 * operation exactly once.
 */
class CatchUpIntegrationTests {

	private static final Duration ONE_WAY = Duration.ofMillis(50);

	private final Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();

	private final DeliveryReceiver receiver = new DeliveryReceiver((operation) -> {
		if (operation.payload().contains("reject")) {
			throw new RejectedOperationException("this one is never accepted");
		}
		this.handled.computeIfAbsent(operation.idempotencyKey(), (key) -> new AtomicInteger()).incrementAndGet();
	}, new InMemoryIdempotencyStore(100_000, Duration.ofHours(1), Clock.systemUTC()));

	private ApplicationContextRunner runner(ShapingProxy link, String... properties) {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(WebClientAutoConfiguration.class, SyncAutoConfiguration.class))
			.withPropertyValues("sync.store.type=memory", "sync.transport.base-url=" + link.uri("/api"),
					"sync.retry.initial-delay=50ms", "sync.retry.max-delay=200ms")
			.withPropertyValues(properties);
	}

	private static List<Operation> backlog(Outbox outbox, int count) {
		List<NewOperation> operations = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			operations.add(NewOperation.of("http.post", "/notes", "{\"n\":" + i + "}"));
		}
		return outbox.enqueueAll(operations);
	}

	private void assertEachHandledOnce(List<Operation> operations) {
		assertThat(this.handled).hasSize(operations.size());
		assertThat(this.handled.values()).allSatisfy((count) -> assertThat(count).hasValue(1));
	}

	@Test
	void batchesCarryTheBacklogInAFewRequestsAndARejectedOneParksAlone() {
		try (ReceivingServer server = new ReceivingServer(this.receiver);
				ShapingProxy link = ShapingProxy.to(server.port()).withDelay(ONE_WAY).start()) {
			runner(link, "sync.transport.batch.enabled=true", "sync.transport.batch.size=50",
					"sync.transport.batch.compress-above=512B", "sync.engine.concurrency=4").run((context) -> {
				Outbox outbox = context.getBean(Outbox.class);
				List<Operation> operations = backlog(outbox, 500);
				Operation rejected = outbox.enqueue("http.post", "/notes", "{\"reject\":true}");
				await().atMost(Duration.ofSeconds(30)).until(() -> outbox.stats().backlog() == 0);
				assertEachHandledOnce(operations);
				assertThat(outbox.find(rejected.id()).orElseThrow().status())
					.isEqualTo(OperationStatus.PERMANENTLY_FAILED);
				assertThat(outbox.find(rejected.id()).orElseThrow().lastError()).contains("never accepted");
				// 501 operations in batches of at most 50: at least 11 requests, and no more than a few beyond.
				assertThat(server.requests()).isBetween(11, 20);
			});
		}
	}

	@Test
	void http2CarriesManyRequestsInFlightOnOneConnection() {
		try (ReceivingServer server = new ReceivingServer(this.receiver);
				ShapingProxy link = ShapingProxy.to(server.port()).withDelay(ONE_WAY).start()) {
			runner(link, "sync.transport.http-version=h2c", "sync.engine.concurrency=128").run((context) -> {
				Outbox outbox = context.getBean(Outbox.class);
				List<Operation> operations = backlog(outbox, 300);
				await().atMost(Duration.ofSeconds(30)).until(() -> outbox.stats().backlog() == 0);
				assertEachHandledOnce(operations);
				assertThat(server.protocols()).isNotEmpty().allSatisfy((protocol) -> assertThat(protocol).isEqualTo("HTTP/2.0"));
				assertThat(link.connectionsOpened()).as("no more than the pool of 8, not one a send").isLessThanOrEqualTo(8);
			});
		}
	}

	@Test
	void aLinkThatResetsMidDrainLosesNothingAndDoublesNothing() {
		try (ReceivingServer server = new ReceivingServer(this.receiver);
				ShapingProxy link = ShapingProxy.to(server.port()).withDelay(ONE_WAY).start()) {
			runner(link, "sync.transport.batch.enabled=true", "sync.transport.batch.size=20",
					"sync.engine.concurrency=4").run((context) -> {
				Outbox outbox = context.getBean(Outbox.class);
				List<Operation> operations = backlog(outbox, 400);
				await().atMost(Duration.ofSeconds(10)).until(() -> server.requests() >= 3);
				link.resetConnections();
				await().atMost(Duration.ofSeconds(60)).until(() -> outbox.stats().backlog() == 0);
				assertEachHandledOnce(operations);
			});
		}
	}

}
