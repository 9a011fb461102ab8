package io.offlinesync.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.web.reactive.function.client.WebClient;

import io.offlinesync.NetworkProbe;
import io.offlinesync.Operation;
import io.offlinesync.SendResult;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The transport against a real HTTP server on 127.0.0.1.
 */
class WebClientSyncTransportTests {

	private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

	private HttpServer server;

	private final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();

	private volatile Function<HttpExchange, Integer> respond = (exchange) -> 200;

	private final CountDownLatch releaseHeld = new CountDownLatch(1);

	record Received(String method, String path, String body, String idempotencyKey, String contentType,
			String authorization, String custom) {
	}

	@BeforeEach
	void startServer() throws IOException {
		this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 100);
		this.server.setExecutor(Executors.newCachedThreadPool());
		this.server.createContext("/", (exchange) -> {
			try (InputStream in = exchange.getRequestBody()) {
				String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
				this.received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(), body,
						exchange.getRequestHeaders().getFirst("Idempotency-Key"),
						exchange.getRequestHeaders().getFirst("Content-Type"),
						exchange.getRequestHeaders().getFirst("Authorization"),
						exchange.getRequestHeaders().getFirst("X-Custom")));
				int status = this.respond.apply(exchange);
				exchange.sendResponseHeaders(status, -1);
			}
			finally {
				exchange.close();
			}
		});
		this.server.start();
	}

	@AfterEach
	void stopServer() {
		this.releaseHeld.countDown();
		this.server.stop(0);
		((java.util.concurrent.ExecutorService) this.server.getExecutor()).shutdownNow();
	}

	private URI base() {
		return URI.create("http://127.0.0.1:" + this.server.getAddress().getPort() + "/api");
	}

	private WebClientSyncTransport transport(URI base, Duration timeout, NetworkProbe probe) {
		return new WebClientSyncTransport(WebClient.builder(), base, timeout, Map.of("Authorization", "Bearer t0ken"),
				probe, Clock.fixed(NOW, ZoneOffset.UTC));
	}

	private WebClientSyncTransport transport() {
		return transport(base(), Duration.ofSeconds(5), null);
	}

	private static Operation operation(String kind, String target, String payload) {
		return Operation.builder()
			.id("0190f000-0000-7000-8000-000000000001")
			.kind(kind)
			.target(target)
			.payload(payload)
			.headers(Map.of("X-Custom", "yes"))
			.idempotencyKey("key-1")
			.createdAt(NOW)
			.build();
	}

	private SendResult send(WebClientSyncTransport transport, Operation operation) throws Exception {
		return transport.send(operation).toCompletableFuture().get(30, TimeUnit.SECONDS);
	}

	@ParameterizedTest
	@CsvSource({ "http.post, POST", "http.put, PUT", "http.patch, PATCH", "http.delete, DELETE" })
	void eachKindIsItsMethodWithBodyIdempotencyKeyAndHeaders(String kind, String method) throws Exception {
		SendResult result = send(transport(), operation(kind, "/notes/7", "{\"text\":\"héllo 😀\"}"));
		assertThat(result).isEqualTo(SendResult.ok());
		assertThat(this.received).singleElement().satisfies((request) -> {
			assertThat(request.method()).isEqualTo(method);
			assertThat(request.path()).isEqualTo("/api/notes/7");
			assertThat(request.body()).isEqualTo("{\"text\":\"héllo 😀\"}");
			assertThat(request.idempotencyKey()).isEqualTo("key-1");
			assertThat(request.contentType()).startsWith("application/json");
			assertThat(request.authorization()).isEqualTo("Bearer t0ken");
			assertThat(request.custom()).isEqualTo("yes");
		});
	}

	@ParameterizedTest
	@ValueSource(ints = { 200, 201, 202, 204 })
	void successStatusesAreDelivered(int status) throws Exception {
		this.respond = (exchange) -> status;
		assertThat(send(transport(), operation("http.post", "/a", "{}")).isOk()).isTrue();
	}

	@ParameterizedTest
	@ValueSource(ints = { 408, 425, 429, 500, 502, 503, 504 })
	void temporaryStatusesAreRetryable(int status) throws Exception {
		this.respond = (exchange) -> status;
		SendResult result = send(transport(), operation("http.post", "/a", "{}"));
		assertThat(result.outcome()).isEqualTo(SendResult.Outcome.RETRYABLE);
		assertThat(result.error()).startsWith("HTTP " + status);
	}

	@ParameterizedTest
	@ValueSource(ints = { 301, 400, 401, 403, 404, 409, 410, 422 })
	void otherStatusesArePermanent(int status) throws Exception {
		this.respond = (exchange) -> status;
		SendResult result = send(transport(), operation("http.post", "/a", "{}"));
		assertThat(result.outcome()).isEqualTo(SendResult.Outcome.PERMANENT);
		assertThat(result.error()).startsWith("HTTP " + status);
	}

	@Test
	void retryAfterInSecondsOrAsADateIsHonoured() throws Exception {
		this.respond = (exchange) -> {
			exchange.getResponseHeaders().set("Retry-After", "120");
			return 429;
		};
		assertThat(send(transport(), operation("http.post", "/a", "{}")).retryAfter())
			.contains(Duration.ofSeconds(120));
		String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.plusSeconds(90).atZone(ZoneOffset.UTC));
		this.respond = (exchange) -> {
			exchange.getResponseHeaders().set("Retry-After", date);
			return 503;
		};
		assertThat(send(transport(), operation("http.post", "/a", "{}")).retryAfter())
			.contains(Duration.ofSeconds(90));
		this.respond = (exchange) -> {
			exchange.getResponseHeaders().set("Retry-After", "soon");
			return 503;
		};
		assertThat(send(transport(), operation("http.post", "/a", "{}")).retryAfter()).isEmpty();
	}

	@Test
	void aSlowServerIsARetryableTimeout() throws Exception {
		this.respond = (exchange) -> {
			await(this.releaseHeld);
			return 200;
		};
		SendResult result = send(transport(base(), Duration.ofMillis(300), null), operation("http.post", "/a", "{}"));
		assertThat(result.outcome()).isEqualTo(SendResult.Outcome.RETRYABLE);
		assertThat(result.error()).isEqualTo("No response within 300 ms");
	}

	@Test
	void aRefusedConnectionIsRetryableAndTellsTheProbe() throws Exception {
		int closedPort;
		try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
			closedPort = socket.getLocalPort();
		}
		NetworkProbe probe = new NetworkProbe(() -> true, Duration.ofHours(1), Clock.systemUTC());
		assertThat(probe.isOnline()).isTrue();
		SendResult result = send(transport(URI.create("http://127.0.0.1:" + closedPort), Duration.ofSeconds(5), probe),
				operation("http.post", "/a", "{}"));
		assertThat(result.outcome()).isEqualTo(SendResult.Outcome.RETRYABLE);
		assertThat(result.error()).contains("Connect");
		assertThat(probe.isOnline()).isFalse();
	}

	@ParameterizedTest
	@ValueSource(strings = { "http://evil.example/steal", "//evil.example/steal", "relative/path", "/../admin",
			"/notes/../../admin", "\\\\evil.example\\x" })
	void targetsOutsideTheBaseUrlAreRefusedWithoutARequest(String target) throws Exception {
		SendResult result = send(transport(), operation("http.post", target, "{}"));
		assertThat(result.outcome()).isEqualTo(SendResult.Outcome.PERMANENT);
		assertThat(result.error()).contains(target);
		assertThat(this.received).isEmpty();
	}

	@Test
	void unknownKindsAreRefusedWithoutARequest() throws Exception {
		SendResult result = send(transport(), operation("p2p.message", "/a", "{}"));
		assertThat(result.outcome()).isEqualTo(SendResult.Outcome.PERMANENT);
		assertThat(result.error()).contains("Unsupported kind 'p2p.message'");
		assertThat(this.received).isEmpty();
	}

	@Test
	void manySendsAreInFlightAtOnceWithoutAThreadEach() throws Exception {
		int count = 16;
		CountDownLatch allArrived = new CountDownLatch(count);
		this.respond = (exchange) -> {
			allArrived.countDown();
			await(this.releaseHeld);
			return 200;
		};
		WebClientSyncTransport transport = transport();
		int threadsBefore = Thread.activeCount();
		List<java.util.concurrent.CompletableFuture<SendResult>> sends = new java.util.ArrayList<>();
		for (int i = 0; i < count; i++) {
			sends.add(transport.send(operation("http.post", "/a", "{}")).toCompletableFuture());
		}
		// All requests reach the server while none has been answered.
		assertThat(allArrived.await(30, TimeUnit.SECONDS)).isTrue();
		int serverThreads = count;
		assertThat(Thread.activeCount() - threadsBefore).isLessThan(serverThreads + 8);
		this.releaseHeld.countDown();
		for (java.util.concurrent.CompletableFuture<SendResult> send : sends) {
			assertThat(send.get(30, TimeUnit.SECONDS).isOk()).isTrue();
		}
	}

	private static void await(CountDownLatch latch) {
		try {
			latch.await(30, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
