package io.offlinesync.sample;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The sample application end to end, on a real port: offline, notes enqueued, the application stopped and started
 * again on the same outbox, the remote API failing twice, the network back, every note received exactly once, and
 * health and metrics telling the story.
 */
class SampleApplicationIntegrationTests {

	@TempDir
	Path outboxDirectory;

	private ConfigurableApplicationContext start(int port, boolean networkUp, String... more) {
		List<String> args = new ArrayList<>(List.of("--server.port=" + port, "--server.address=127.0.0.1",
				"--sync.store.file.directory=" + this.outboxDirectory, "--sync.retry.initial-delay=100ms",
				"--sync.retry.max-delay=200ms", "--sample.network-up=" + networkUp));
		args.addAll(List.of(more));
		return new SpringApplicationBuilder(SampleApplication.class).run(args.toArray(String[]::new));
	}

	private static WebTestClient client(int port) {
		return WebTestClient.bindToServer()
			.baseUrl("http://127.0.0.1:" + port)
			.responseTimeout(Duration.ofSeconds(10))
			.build();
	}

	@Test
	@SuppressWarnings({ "unchecked", "try" }) // the applications are only kept running
	void notesWrittenOfflineSurviveARestartAndArriveExactlyOnce() throws IOException {
		int port = freePort();
		try (ConfigurableApplicationContext first = start(port, false)) {
			WebTestClient client = client(port);
			for (String text : List.of("buy milk", "call Ada", "ship v0.1 🚀")) {
				client.post()
					.uri("/notes")
					.contentType(MediaType.APPLICATION_JSON)
					.bodyValue(Map.of("text", text))
					.exchange()
					.expectStatus()
					.isAccepted();
			}
			assertThat(remote(client).get("requests")).isEqualTo(0);
			client.get()
				.uri("/actuator/health")
				.exchange()
				.expectBody()
				.jsonPath("$.components.sync.status")
				.isEqualTo("UP")
				.jsonPath("$.components.sync.details.counts.pending")
				.isEqualTo(3)
				.jsonPath("$.components.sync.details.online")
				.isEqualTo(false);
		}

		try (ConfigurableApplicationContext second = start(port, false)) {
			WebTestClient client = client(port);
			client.post().uri("/simulate/remote?status=503&count=2").exchange().expectStatus().isOk();
			client.post().uri("/simulate/network?up=true").exchange().expectStatus().isOk();
			await().atMost(Duration.ofSeconds(30)).until(() -> ((List<?>) remote(client).get("notes")).size() == 3);
			Map<String, Object> remote = remote(client);
			assertThat((List<Object>) remote.get("notes")).containsExactlyInAnyOrder("{\"text\":\"buy milk\"}",
					"{\"text\":\"call Ada\"}", "{\"text\":\"ship v0.1 🚀\"}");
			assertThat(remote.get("requests")).isEqualTo(5);
			assertThat(remote.get("repeatsIgnored")).isEqualTo(0);

			awaitHealthShowsDelivered(client, 3);
			client.get()
				.uri("/actuator/metrics/sync.retries")
				.exchange()
				.expectBody()
				.jsonPath("$.measurements[0].value")
				.isEqualTo(2.0);
			client.get()
				.uri("/actuator/metrics/sync.deliveries?tag=outcome:delivered")
				.exchange()
				.expectBody()
				.jsonPath("$.measurements[0].value")
				.isEqualTo(3.0);
			client.get()
				.uri("/actuator/sync?status=done")
				.exchange()
				.expectBody()
				.jsonPath("$.operations.length()")
				.isEqualTo(3)
				.jsonPath("$.operations[0].payload")
				.doesNotExist();
		}
	}

	@Test
	@SuppressWarnings("try") // the application is only kept running
	void aParkedNoteCanBeRetriedThroughTheEndpoint() throws IOException {
		int port = freePort();
		try (ConfigurableApplicationContext context = start(port, true)) {
			WebTestClient client = client(port);
			client.post().uri("/simulate/remote?status=400&count=1").exchange().expectStatus().isOk();
			client.post()
				.uri("/notes")
				.contentType(MediaType.APPLICATION_JSON)
				.bodyValue(Map.of("text", "rejected once"))
				.exchange()
				.expectStatus()
				.isAccepted();
			await().atMost(Duration.ofSeconds(30))
				.untilAsserted(() -> client.get()
					.uri("/actuator/sync?status=permanently_failed")
					.exchange()
					.expectBody()
					.jsonPath("$.operations.length()")
					.isEqualTo(1));
			Map<String, Object> parked = client.get()
				.uri("/actuator/sync?status=permanently_failed")
				.exchange()
				.expectBody(new ParameterizedTypeReference<Map<String, Object>>() {
				})
				.returnResult()
				.getResponseBody();
			@SuppressWarnings("unchecked")
			String id = ((List<Map<String, Object>>) parked.get("operations")).get(0).get("id").toString();
			client.post().uri("/actuator/sync/" + id).exchange().expectStatus().isOk();
			await().atMost(Duration.ofSeconds(30))
				.until(() -> ((List<?>) remote(client).get("notes")).contains("{\"text\":\"rejected once\"}"));
		}
	}

	/**
	 * The README's batch drain: notes written offline go to the remote API's receiver in a few batch requests once
	 * the network is back, a failed batch is sent again, and each note is kept once.
	 */
	@Test
	@SuppressWarnings({ "unchecked", "try" }) // the application is only kept running
	void aBacklogDrainsInBatchesAndEachNoteIsKeptOnce() throws IOException {
		int port = freePort();
		try (ConfigurableApplicationContext context = start(port, false, "--sync.transport.batch.enabled=true",
				"--sync.transport.batch.size=50")) {
			WebTestClient client = client(port);
			for (int i = 0; i < 120; i++) {
				client.post()
					.uri("/notes")
					.contentType(MediaType.APPLICATION_JSON)
					.bodyValue(Map.of("text", "note " + i))
					.exchange()
					.expectStatus()
					.isAccepted();
			}
			client.post().uri("/simulate/remote?status=503&count=1").exchange().expectStatus().isOk();
			client.post().uri("/simulate/network?up=true").exchange().expectStatus().isOk();
			await().atMost(Duration.ofSeconds(30)).until(() -> ((List<?>) remote(client).get("notes")).size() == 120);
			Map<String, Object> remote = remote(client);
			assertThat((List<Object>) remote.get("notes")).doesNotHaveDuplicates();
			// 120 notes in batches of at most 50 take 3 requests; the batch the remote failed goes again as one.
			assertThat(((Number) remote.get("requests")).intValue()).isEqualTo(4);
			awaitHealthShowsDelivered(client, 120);
		}
	}

	/** Issue 24: a Prometheus alert on any documented series has it from the first scrape, at zero. */
	@Test
	@SuppressWarnings("try") // the application is only kept running
	void theFirstPrometheusScrapeHasEveryDocumentedSeries() throws IOException {
		int port = freePort();
		try (ConfigurableApplicationContext context = start(port, true)) {
			String scrape = client(port).get()
				.uri("/actuator/prometheus")
				.exchange()
				.expectStatus()
				.isOk()
				.expectBody(String.class)
				.returnResult()
				.getResponseBody();
			List<String> series = new ArrayList<>(List.of("sync_retries_total ", "sync_parked_total ",
					"sync_enqueued_total ", "sync_oldest_pending_age_seconds ", "sync_online ",
					"sync_outage_duration_seconds ", "sync_paused ", "sync_store_failing "));
			for (String outcome : List.of("delivered", "retryable", "permanent", "unreachable")) {
				series.add("sync_deliveries_total{outcome=\"" + outcome + "\"}");
				series.add("sync_send_latency_seconds_count{outcome=\"" + outcome + "\"}");
			}
			for (String status : List.of("pending", "in_flight", "done", "failed", "permanently_failed")) {
				series.add("sync_operations{status=\"" + status + "\"}");
			}
			assertThat(scrape.lines().filter((line) -> !line.startsWith("#")).toList())
				.allSatisfy((line) -> assertThat(line).isNotBlank())
				.satisfies((lines) -> assertThat(series)
					.allSatisfy((name) -> assertThat(lines).anyMatch((line) -> line.startsWith(name))));
			client(port).get()
				.uri("/actuator/metrics/sync.retries")
				.exchange()
				.expectBody()
				.jsonPath("$.measurements[0].value")
				.isEqualTo(0.0);
		}
	}

	private static Map<String, Object> remote(WebTestClient client) {
		return client.get()
			.uri("/remote/notes")
			.exchange()
			.expectBody(new ParameterizedTypeReference<Map<String, Object>>() {
			})
			.returnResult()
			.getResponseBody();
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
			return socket.getLocalPort();
		}
	}

	/** Health shows every operation delivered: this many done, none left, the link up. */
	private static void awaitHealthShowsDelivered(WebTestClient client, int done) {
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> client.get()
				.uri("/actuator/health")
				.exchange()
				.expectBody()
				.jsonPath("$.components.sync.details.counts.done")
				.isEqualTo(done)
				.jsonPath("$.components.sync.details.backlog")
				.isEqualTo(0)
				.jsonPath("$.components.sync.details.online")
				.isEqualTo(true));
	}

}
