package io.offlinesync.autoconfigure;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.http.client.HttpClientSettings;
import org.springframework.boot.http.client.reactive.ClientHttpConnectorBuilder;
import org.springframework.web.reactive.function.client.WebClient;

import io.offlinesync.Operation;
import io.offlinesync.SendResult;
import io.offlinesync.autoconfigure.RecordingServer.Response;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The transport against a real HTTP server on 127.0.0.1.
 */
class WebClientSyncTransportTests {

	private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

	private final RecordingServer server = RecordingServer.start();

	private final CountDownLatch releaseHeld = new CountDownLatch(1);

	private final List<AutoCloseable> toClose = new ArrayList<>();

	@AfterEach
	void stopServers() throws Exception {
		this.releaseHeld.countDown();
		this.server.close();
		for (AutoCloseable closeable : this.toClose) {
			closeable.close();
		}
	}

	private URI base() {
		return this.server.uri("/api");
	}

	static WebClientSyncTransport transport(URI base, Duration connectTimeout, Duration timeout,
			boolean followRedirectsWithinBase) {
		return transport(WebClient.builder(), base, connectTimeout, timeout, followRedirectsWithinBase);
	}

	static WebClientSyncTransport transport(WebClient.Builder builder, URI base, Duration connectTimeout,
			Duration timeout, boolean followRedirectsWithinBase) {
		Map<String, String> headers = Map.of("Authorization", "Bearer t0ken");
		return new WebClientSyncTransport(builder, ClientHttpConnectorBuilder.detect(),
				HttpClientSettings.defaults(), new HttpOperationRules(base, headers.keySet(), Set.of()), headers,
				WebClientSyncTransport.Options.of(connectTimeout, timeout, followRedirectsWithinBase),
				Clock.fixed(NOW, ZoneOffset.UTC), ObservationRegistry.NOOP);
	}

	private WebClientSyncTransport transport() {
		return transport(base(), Duration.ofSeconds(2), Duration.ofSeconds(5), false);
	}

	static Operation operation(String kind, String target, String payload) {
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

	static SendResult send(WebClientSyncTransport transport, Operation operation) throws Exception {
		return transport.send(operation).toCompletableFuture().get(30, TimeUnit.SECONDS);
	}

	@ParameterizedTest
	@CsvSource({ "http.post, POST", "http.put, PUT", "http.patch, PATCH", "http.delete, DELETE" })
	void eachKindIsItsMethodWithBodyIdempotencyKeyAndHeaders(String kind, String method) throws Exception {
		SendResult result = send(transport(), operation(kind, "/notes/7", "{\"text\":\"héllo 😀\"}"));
		assertThat(result).isEqualTo(SendResult.ok());
		assertThat(this.server.requests()).singleElement().satisfies((request) -> {
			assertThat(request.method()).isEqualTo(method);
			assertThat(request.rawPath()).isEqualTo("/api/notes/7");
			assertThat(request.body()).isEqualTo("{\"text\":\"héllo 😀\"}");
			assertThat(request.header("Idempotency-Key")).isEqualTo("key-1");
			assertThat(request.header("Content-Type")).startsWith("application/json");
			assertThat(request.header("Authorization")).isEqualTo("Bearer t0ken");
			assertThat(request.header("X-Custom")).isEqualTo("yes");
		});
	}

	@ParameterizedTest
	@ValueSource(ints = { 200, 201, 202, 204 })
	void successStatusesAreDelivered(int status) throws Exception {
		this.server.respond((request) -> Response.of(status));
		assertThat(send(transport(), operation("http.post", "/a", "{}")).isOk()).isTrue();
	}

	@ParameterizedTest
	@ValueSource(ints = { 408, 425, 429, 500, 502, 503, 504 })
	void temporaryStatusesAreRetryable(int status) throws Exception {
		this.server.respond((request) -> Response.of(status));
		SendResult result = send(transport(), operation("http.post", "/a", "{}"));
		assertThat(result.outcome()).isEqualTo(SendResult.Outcome.RETRYABLE);
		assertThat(result.error()).startsWith("HTTP " + status);
	}

	@ParameterizedTest
	@ValueSource(ints = { 400, 401, 403, 404, 409, 410, 422 })
	void otherStatusesArePermanent(int status) throws Exception {
		this.server.respond((request) -> Response.of(status));
		SendResult result = send(transport(), operation("http.post", "/a", "{}"));
		assertThat(result.outcome()).isEqualTo(SendResult.Outcome.PERMANENT);
		assertThat(result.error()).startsWith("HTTP " + status);
	}

	@Test
	void retryAfterInSecondsOrAsADateIsHonoured() throws Exception {
		this.server.respond((request) -> new Response(429, Map.of("Retry-After", "120")));
		assertThat(send(transport(), operation("http.post", "/a", "{}")).retryAfter())
			.contains(Duration.ofSeconds(120));
		String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.plusSeconds(90).atZone(ZoneOffset.UTC));
		this.server.respond((request) -> new Response(503, Map.of("Retry-After", date)));
		assertThat(send(transport(), operation("http.post", "/a", "{}")).retryAfter())
			.contains(Duration.ofSeconds(90));
		this.server.respond((request) -> new Response(503, Map.of("Retry-After", "soon")));
		assertThat(send(transport(), operation("http.post", "/a", "{}")).retryAfter()).isEmpty();
	}

	@Test
	void aServerThatDoesNotAnswerInTimeIsARetryableAttempt() throws Exception {
		this.server.respond((request) -> {
			await(this.releaseHeld);
			return Response.of(200);
		});
		SendResult result = send(transport(base(), Duration.ofMillis(200), Duration.ofMillis(300), false),
				operation("http.post", "/a", "{}"));
		assertThat(result.outcome()).isEqualTo(SendResult.Outcome.RETRYABLE);
		assertThat(result.error()).isEqualTo("No response within 300 ms");
	}

	@Test
	void aRefusedConnectionIsUnreachableNotAFailedAttempt() throws Exception {
		int closedPort;
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			closedPort = socket.getLocalPort();
		}
		SendResult result = send(transport(URI.create("http://127.0.0.1:" + closedPort), Duration.ofSeconds(2),
				Duration.ofSeconds(5), false), operation("http.post", "/a", "{}"));
		assertThat(result.outcome()).isEqualTo(SendResult.Outcome.UNREACHABLE);
		assertThat(result.error()).contains("Connection refused");
	}

	@Test
	void aConnectionThatCannotBeOpenedInTimeIsUnreachableNotAFailedAttempt() throws Exception {
		// A listener that never accepts: once its accept queue is full, the kernel drops further connection
		// attempts, as a host behind a dead link does.
		ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
		this.toClose.add(full);
		List<Socket> queued = new ArrayList<>();
		for (int i = 0; i < 4; i++) {
			Socket socket = new Socket();
			try {
				socket.connect(full.getLocalSocketAddress(), 200);
				queued.add(socket);
			}
			catch (java.net.SocketTimeoutException ex) {
				socket.close();
				break;
			}
		}
		queued.forEach((socket) -> this.toClose.add(socket));
		SendResult result = send(transport(URI.create("http://127.0.0.1:" + full.getLocalPort()),
				Duration.ofMillis(300), Duration.ofSeconds(5), false), operation("http.post", "/a", "{}"));
		assertThat(result.outcome()).isEqualTo(SendResult.Outcome.UNREACHABLE);
		assertThat(result.error()).containsIgnoringCase("timed out");
	}

	@ParameterizedTest
	@ValueSource(ints = { 301, 302, 303, 307, 308 })
	void redirectsAreNotFollowedAndParkTheOperationByDefault(int status) throws Exception {
		try (RecordingServer otherHost = RecordingServer.start()) {
			this.server.respond((request) -> new Response(status, Map.of("Location", otherHost.uri("/stolen").toString())));
			SendResult result = send(transport(), operation("http.post", "/a", "{\"secret\":1}"));
			assertThat(result.outcome()).isEqualTo(SendResult.Outcome.PERMANENT);
			assertThat(result.error()).startsWith("HTTP " + status)
				.contains(otherHost.uri("/stolen").toString())
				.contains("redirects are not followed");
			assertThat(otherHost.requests()).isEmpty();
			assertThat(this.server.requests()).hasSize(1);
		}
	}

	@Test
	void redirectsWithinTheBaseUrlAreFollowedWhenAllowedAndOthersStillPark() throws Exception {
		try (RecordingServer otherHost = RecordingServer.start()) {
			this.server.respond((request) -> switch (request.rawPath()) {
				case "/api/moved" -> new Response(308, Map.of("Location", "/api/here?v=2"));
				case "/api/away" -> new Response(307, Map.of("Location", otherHost.uri("/api/here").toString()));
				case "/api/up" -> new Response(307, Map.of("Location", "../outside"));
				case "/api/see-other" -> new Response(303, Map.of("Location", "/api/here"));
				case "/api/loop" -> new Response(307, Map.of("Location", "/api/loop"));
				default -> Response.of(201);
			});
			WebClientSyncTransport following = transport(base(), Duration.ofSeconds(2), Duration.ofSeconds(5), true);

			assertThat(send(following, operation("http.put", "/moved", "{\"n\":1}"))).isEqualTo(SendResult.ok());
			assertThat(this.server.requests()).extracting(RecordingServer.Request::method,
					RecordingServer.Request::rawPath, RecordingServer.Request::body)
				.containsExactly(org.assertj.core.groups.Tuple.tuple("PUT", "/api/moved", "{\"n\":1}"),
						org.assertj.core.groups.Tuple.tuple("PUT", "/api/here", "{\"n\":1}"));

			assertThat(send(following, operation("http.post", "/away", "{}")).error()).contains("outside the base URL");
			assertThat(send(following, operation("http.post", "/up", "{}")).error()).contains("outside the base URL");
			assertThat(send(following, operation("http.post", "/see-other", "{}")).error())
				.contains("only 307 and 308 redirects");
			assertThat(send(following, operation("http.post", "/loop", "{}")).error())
				.contains("more than " + WebClientSyncTransport.MAX_REDIRECTS + " redirects");
			assertThat(otherHost.requests()).isEmpty();
			assertThat(this.server.requests()).noneMatch((request) -> request.rawPath().startsWith("/outside"));
		}
	}

	@ParameterizedTest
	@ValueSource(strings = { "http://evil.example/steal", "//evil.example/steal", "relative/path", "/../admin",
			"/notes/../../admin", "\\\\evil.example\\x", "/%2e%2e/x", "/%2E%2E/%2E%2E/x", "/.%2e/x", "/%2e./x",
			"/..;/x", "/.;/x", "/%252e%252e/x", "/%25252e%25252e/x", "/a/%2f../x", "/a%2F..%2Fx", "/a/..%5cx",
			"/a/%5c..%5cx", "/%c0%ae%c0%ae/x", "/\u2025/x", "/\uFF0E\uFF0E/x", "/a#/../x", "/a/%00/x", "/a b",
			"/%zz/x" })
	void targetsThatCouldLeaveTheBaseUrlAreRefusedWithoutARequest(String target) throws Exception {
		SendResult result = send(transport(), operation("http.post", target, "{}"));
		assertThat(result.outcome()).isEqualTo(SendResult.Outcome.PERMANENT);
		assertThat(result.error()).contains(target);
		assertThat(this.server.requests()).isEmpty();
	}

	@ParameterizedTest
	@ValueSource(strings = { "Host", "host", "Content-Length", "Transfer-Encoding", "Connection", "Upgrade", "TE",
			"Trailer", "Expect", "Keep-Alive", "Idempotency-Key", "X-Forwarded-Host", "X-Original-URL",
			"Authorization" })
	void headersThatRedefineTheRequestAreRefusedWithoutARequest(String header) throws Exception {
		Operation operation = operation("http.post", "/a", "{}").toBuilder()
			.headers(Map.of(header, "evil.example"))
			.build();
		SendResult result = send(transport(), operation);
		assertThat(result.outcome()).isEqualTo(SendResult.Outcome.PERMANENT);
		assertThat(result.error()).contains("Header '" + header + "'");
		assertThat(this.server.requests()).isEmpty();
	}

	@Test
	void unknownKindsAreRefusedWithoutARequest() throws Exception {
		SendResult result = send(transport(), operation("p2p.message", "/a", "{}"));
		assertThat(result.outcome()).isEqualTo(SendResult.Outcome.PERMANENT);
		assertThat(result.error()).contains("Unsupported kind 'p2p.message'");
		assertThat(this.server.requests()).isEmpty();
	}

	@Test
	void manySendsAreInFlightAtOnceWithoutAThreadEach() throws Exception {
		int count = 16;
		CountDownLatch allArrived = new CountDownLatch(count);
		this.server.respond((request) -> {
			allArrived.countDown();
			await(this.releaseHeld);
			return Response.of(200);
		});
		WebClientSyncTransport transport = transport();
		int threadsBefore = Thread.activeCount();
		List<CompletableFuture<SendResult>> sends = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			sends.add(transport.send(operation("http.post", "/a", "{}")).toCompletableFuture());
		}
		// All requests reach the server while none has been answered.
		assertThat(allArrived.await(30, TimeUnit.SECONDS)).isTrue();
		int serverThreads = count;
		assertThat(Thread.activeCount() - threadsBefore).isLessThan(serverThreads + 8);
		this.releaseHeld.countDown();
		for (CompletableFuture<SendResult> send : sends) {
			assertThat(send.get(30, TimeUnit.SECONDS).isOk()).isTrue();
		}
	}

	@Test
	void theClientObservationCarriesATemplateOfTheTargetAsItsUri() throws Exception {
		TestObservationRegistry observations = TestObservationRegistry.create();
		WebClientSyncTransport transport = transport(WebClient.builder().observationRegistry(observations), base(),
				Duration.ofSeconds(2), Duration.ofSeconds(5), false);
		send(transport, operation("http.put", "/notes/12345/comments/0190f000-0000-7000-8000-00000000000a?v=2", "{}"));
		TestObservationRegistryAssert.assertThat(observations)
			.hasObservationWithNameEqualTo("http.client.requests")
			.that()
			.hasLowCardinalityKeyValue("uri", "/api/notes/{id}/comments/{id}");
	}

	@ParameterizedTest
	@CsvSource({ "/notes, /api/notes", "/notes/7, /api/notes/{id}", "/v2/notes/1234, /api/v2/notes/{id}",
			"/orders/ORD-2026-000017/lines, /api/orders/{id}/lines", "/caf%C3%A9, /api/{id}", "/, /api" })
	void uriTemplatesKeepWordsAndReplaceIdentifiers(String target, String template) {
		assertThat(new HttpOperationRules(base(), Set.of(), Set.of()).uriTemplate(target)).isEqualTo(template);
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
