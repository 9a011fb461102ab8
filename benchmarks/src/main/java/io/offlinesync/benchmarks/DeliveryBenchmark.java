package io.offlinesync.benchmarks;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;

import io.offlinesync.NetworkProbe;
import io.offlinesync.NewOperation;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.SyncEngine;
import io.offlinesync.sample.SampleApplication;
import io.offlinesync.sample.SimulatedOutages;

/**
 * Delivery through the whole stack (file store with fsync, engine, WebClient transport) to the sample application's
 * built-in receiver on 127.0.0.1, next to a plain WebClient sending the same requests with the same concurrency to
 * the same receiver in the same run. Arguments: [operations, default 100000] [concurrency, default 32]
 * [latency seconds at 500 ops/s, default 20].
 */
public final class DeliveryBenchmark {

	private static final String PAYLOAD = "{\"text\":\"" + "x".repeat(256 - 11) + "\"}";

	private DeliveryBenchmark() {
	}

	public static void main(String[] args) throws Exception {
		int operations = (args.length > 0) ? Integer.parseInt(args[0]) : 100_000;
		int concurrency = (args.length > 1) ? Integer.parseInt(args[1]) : 32;
		int latencySeconds = (args.length > 2) ? Integer.parseInt(args[2]) : 20;
		Path directory = Files.createTempDirectory(
				Files.createDirectories(Path.of("benchmarks", "target", "bench-data")), "delivery");
		int port;
		try (ServerSocket socket = new ServerSocket(0)) {
			port = socket.getLocalPort();
		}
		try (ConfigurableApplicationContext app = new SpringApplicationBuilder(SampleApplication.class).run(
				"--server.port=" + port, "--server.address=127.0.0.1", "--sync.store.file.directory=" + directory,
				"--sync.engine.concurrency=" + concurrency, "--sync.engine.batch-limit=" + (2 * concurrency),
				"--sample.network-up=false", "--logging.level.root=WARN")) {
			WebClient plain = app.getBean(WebClient.Builder.class).baseUrl("http://127.0.0.1:" + port).build();
			Outbox outbox = app.getBean(Outbox.class);
			System.out.printf("%,d operations of %d bytes, concurrency %d, %d cores%n", operations, PAYLOAD.length(),
					concurrency, Runtime.getRuntime().availableProcessors());

			// Warm both paths up.
			plainRate(plain, 5_000, concurrency, "warm");
			drainRate(app, outbox, 5_000);

			double baseline = plainRate(plain, operations, concurrency, "plain");
			System.out.printf("%-52s %,10.0f req/s  baseline%n", "plain WebClient, same requests and concurrency",
					baseline);
			double drained = drainRate(app, outbox, operations);
			System.out.printf("%-52s %,10.0f ops/s  %.0f %% of baseline (target >= 70 %%)%n",
					"outbox drain: enqueued offline, then online", drained, 100 * drained / baseline);

			latency(app, outbox, latencySeconds);
		}
	}

	private static double plainRate(WebClient client, int count, int concurrency, String prefix) {
		long started = System.nanoTime();
		Flux.range(0, count)
			.flatMap((i) -> client.post()
				.uri("/remote/notes")
				.header("Idempotency-Key", prefix + "-" + i)
				.contentType(MediaType.APPLICATION_JSON)
				.bodyValue(PAYLOAD)
				.retrieve()
				.toBodilessEntity(), concurrency)
			.blockLast();
		return count / ((System.nanoTime() - started) / 1e9);
	}

	private static double drainRate(ConfigurableApplicationContext app, Outbox outbox, int count)
			throws InterruptedException {
		SimulatedOutages outages = app.getBean(SimulatedOutages.class);
		NetworkProbe probe = app.getBean(NetworkProbe.class);
		outages.setNetworkUp(false);
		probe.refresh();
		long doneBefore = outbox.stats().count(OperationStatus.DONE);
		List<NewOperation> batch = new ArrayList<>();
		for (int i = 0; i < 1_000; i++) {
			batch.add(NewOperation.of("http.post", "/notes", PAYLOAD));
		}
		for (int enqueued = 0; enqueued < count; enqueued += batch.size()) {
			outbox.enqueueAll(batch.subList(0, Math.min(batch.size(), count - enqueued)));
		}
		long started = System.nanoTime();
		outages.setNetworkUp(true);
		probe.refresh();
		while (outbox.stats().count(OperationStatus.DONE) - doneBefore < count) {
			Thread.sleep(5);
		}
		return count / ((System.nanoTime() - started) / 1e9);
	}

	private static void latency(ConfigurableApplicationContext app, Outbox outbox, int seconds)
			throws InterruptedException {
		int count = 500 * seconds;
		long[] micros = new long[count];
		AtomicInteger recorded = new AtomicInteger();
		app.getBean(SyncEngine.class).addDeliveryListener((operation, result, latency, stored) -> {
			if (operation.headers().containsKey("X-Benchmark") && stored != null && result.isOk()) {
				int slot = recorded.getAndIncrement();
				if (slot < count) {
					micros[slot] = Duration.between(operation.createdAt(), Instant.now()).toNanos() / 1_000;
				}
			}
		});
		long interval = 2_000_000;
		long next = System.nanoTime();
		for (int i = 0; i < count; i++) {
			long wait = next - System.nanoTime();
			if (wait > 0) {
				LockSupport.parkNanos(wait);
			}
			outbox.enqueue(NewOperation.of("http.post", "/notes", PAYLOAD).withHeader("X-Benchmark", "latency"));
			next += interval;
		}
		long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
		while (recorded.get() < count) {
			if (System.nanoTime() > deadline) {
				throw new IllegalStateException("Only " + recorded.get() + " of " + count + " were delivered in time");
			}
			Thread.sleep(5);
		}
		Arrays.sort(micros);
		System.out.printf("%-52s p50 %.2f ms, p99 %.2f ms, max %.2f ms (targets p50 <= 5 ms, p99 <= 50 ms)%n",
				"latency at 500 ops/s offered, enqueue -> recorded done", micros[count / 2] / 1000.0,
				micros[count * 99 / 100] / 1000.0, micros[count - 1] / 1000.0);
	}

}
