package io.offlinesync.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.http.client.autoconfigure.HttpClientAutoConfiguration;
import org.springframework.boot.http.client.reactive.ClientHttpConnectorBuilder;
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
 * over cleartext and over TLS, and a link that resets mid-drain. Whatever happens on the way, the receiver's handler sees every
 * operation exactly once.
 */
class CatchUpIntegrationTests {

	private static final Duration ONE_WAY = Duration.ofMillis(50);

	private static final String KEY_STORE_PASSWORD = "receiver-secret";

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

	@ParameterizedTest(name = "{0} client")
	@ValueSource(strings = { "reactor", "jdk" })
	void http2OverTlsCarriesTheBacklogWithTheApplicationsSslBundle(String client, @TempDir Path directory)
			throws Exception {
		Path keyStore = selfSignedKeyStore(directory);
		try (ReceivingServer server = ReceivingServer.overTls(this.receiver, keyManagers(keyStore));
				ShapingProxy link = ShapingProxy.to(server.port()).withDelay(ONE_WAY).start()) {
			new ApplicationContextRunner()
				.withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, HttpClientAutoConfiguration.class,
						WebClientAutoConfiguration.class, SyncAutoConfiguration.class))
				.withBean(ClientHttpConnectorBuilder.class,
						() -> client.equals("jdk") ? ClientHttpConnectorBuilder.jdk() : ClientHttpConnectorBuilder.reactor())
				.withPropertyValues("sync.store.type=memory",
						"sync.transport.base-url=https://127.0.0.1:" + link.port() + "/api",
						"sync.transport.http-version=h2", "sync.engine.concurrency=64",
						"spring.ssl.bundle.jks.receiver.truststore.location=" + keyStore.toUri(),
						"spring.ssl.bundle.jks.receiver.truststore.password=" + KEY_STORE_PASSWORD,
						"spring.ssl.bundle.jks.receiver.truststore.type=PKCS12",
						"spring.http.clients.ssl.bundle=receiver")
				.run((context) -> {
					Outbox outbox = context.getBean(Outbox.class);
					List<Operation> operations = backlog(outbox, 200);
					await().atMost(Duration.ofSeconds(30)).until(() -> outbox.stats().backlog() == 0);
					assertEachHandledOnce(operations);
					assertThat(server.protocols()).isNotEmpty()
						.allSatisfy((protocol) -> assertThat(protocol).isEqualTo("HTTP/2.0"));
					if (client.equals("reactor")) {
						// The JDK client opens a connection for each send of the first burst, before one is ready.
						assertThat(link.connectionsOpened()).isLessThanOrEqualTo(8);
					}
				});
		}
	}

	/** A certificate for 127.0.0.1 made by the JDK's own keytool, as an operator would. */
	private static Path selfSignedKeyStore(Path directory) throws IOException, InterruptedException {
		Path keyStore = directory.resolve("receiver.p12");
		Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
				"-genkeypair", "-alias", "receiver", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
				"-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-storetype", "PKCS12", "-keystore",
				keyStore.toString(), "-storepass", KEY_STORE_PASSWORD)
			.redirectErrorStream(true)
			.start();
		String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).as("keytool finished").isTrue();
		assertThat(keytool.exitValue()).as(output).isZero();
		return keyStore;
	}

	private static KeyManagerFactory keyManagers(Path keyStore) throws Exception {
		KeyStore keys = KeyStore.getInstance("PKCS12");
		try (InputStream in = Files.newInputStream(keyStore)) {
			keys.load(in, KEY_STORE_PASSWORD.toCharArray());
		}
		KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
		factory.init(keys, KEY_STORE_PASSWORD.toCharArray());
		return factory;
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
