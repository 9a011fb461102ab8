package io.offlinesync.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.sun.net.httpserver.HttpServer;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import io.offlinesync.EngineConfig;
import io.offlinesync.NetworkProbe;
import io.offlinesync.NewOperation;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.OutboxConfig;
import io.offlinesync.SendResult;
import io.offlinesync.SyncEngine;
import io.offlinesync.SyncTransport;
import io.offlinesync.autoconfigure.BenchmarkTransports;
import io.offlinesync.store.OutboxStore;
import io.offlinesync.store.file.FileOutboxStore;
import io.offlinesync.store.jdbc.JdbcOutboxStore;

/**
 * Delivery on a fast link: a sink on 127.0.0.1 (the JDK's HTTP server, 8 threads) that answers 200, a raw client
 * baseline at the same concurrency in the same run, the drain of stored operations through each store (file with
 * fsync, PostgreSQL with durable commits) and each transport (blocking over {@code HttpClient} on a
 * pool as large as the concurrency, and the starter's WebClient transport), the store's own ceiling (a transport
 * that answers at once), and open-loop latency at 200 operations/s after an unmeasured warm-up. 256-byte payloads.
 * Arguments: [operations per drain, default 20000] [concurrencies, default 8,32] [latency seconds, default 10].
 */
public final class FastLinkBenchmark {

	private static final String PAYLOAD = "{\"text\":\"" + "x".repeat(256 - 11) + "\"}";

	private static final int SINK_THREADS = 8;

	private static final int LATENCY_RATE = 200;

	private static final AtomicInteger tables = new AtomicInteger();

	/** Held here: the logging framework keeps only weak references to loggers, and would forget the level. */
	private static final Logger QUIET = Logger.getLogger("io.offlinesync");

	private FastLinkBenchmark() {
	}

	public static void main(String[] args) throws Exception {
		int count = (args.length > 0) ? Integer.parseInt(args[0]) : 20_000;
		int[] concurrencies = (args.length > 1) ? Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray()
				: new int[] { 8, 32 };
		int latencySeconds = (args.length > 2) ? Integer.parseInt(args[2]) : 10;
		// The engine's start and stop lines would come between the rows.
		QUIET.setLevel(Level.WARNING);
		Path root = Files.createDirectories(Path.of("benchmarks", "target", "bench-data"));
		HttpServer sink = sink();
		URI base = URI.create("http://127.0.0.1:" + sink.getAddress().getPort() + "/api");
		HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
		try (EmbeddedPostgres postgres = EmbeddedPostgres.builder()
			.setServerConfig("fsync", "on")
			.setServerConfig("synchronous_commit", "on")
			.setServerConfig("max_connections", "200")
			.start(); HikariDataSource pool = BenchmarkSupport.pool(postgres, 48)) {
			System.out.printf("%,d operations of %d bytes per drain; sink: JDK HttpServer, %d threads, 127.0.0.1;"
					+ " %d cores, %s%n", count, PAYLOAD.length(), SINK_THREADS,
					Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
			Map<String, Supplier<OutboxStore>> stores = Map.of("file",
					() -> FileOutboxStore.open(BenchmarkSupport.temporaryDirectory(root, "fast")),
					"PostgreSQL", () -> JdbcOutboxStore.builder(pool)
						.tableName("fast_" + tables.incrementAndGet())
						.createSchema(true)
						.build());
			// Warm the client, the sink, the transports and both stores up.
			raw(client, base, 8, 5_000);
			for (Supplier<OutboxStore> store : stores.values()) {
				drain(store, (c) -> blocking(client, base, c), 8, 5_000);
				drain(store, (c) -> BenchmarkTransports.webClient(base), 8, 5_000);
			}
			for (int concurrency : concurrencies) {
				for (String store : List.of("file", "PostgreSQL")) {
					double alone = drain(stores.get(store), (c) -> (operation) -> CompletableFuture
						.completedFuture(SendResult.ok()), concurrency, count);
					row(store + ", concurrency " + concurrency + ": store alone (answers at once)", alone,
							"the store's own work");
					cell(store + ", concurrency " + concurrency + ": drain, blocking HttpClient", client, base,
							concurrency, count, alone,
							() -> drain(stores.get(store), (c) -> blocking(client, base, c), concurrency, count));
					cell(store + ", concurrency " + concurrency + ": drain, WebClient", client, base, concurrency,
							count, alone, () -> drain(stores.get(store), (c) -> BenchmarkTransports.webClient(base),
									concurrency, count));
				}
			}
			for (String store : List.of("file", "PostgreSQL")) {
				latency(store, stores.get(store), blocking(client, base, EngineConfig.DEFAULT_CONCURRENCY),
						latencySeconds);
			}
		}
		finally {
			sink.stop(0);
			((ExecutorService) sink.getExecutor()).shutdownNow();
		}
	}

	/**
	 * One drain between two runs of the raw client at its concurrency (this machine's speed moves within a minute):
	 * the drain is compared with their mean.
	 */
	private static void cell(String name, HttpClient client, URI base, int concurrency, int count, double alone,
			Measurement drain) throws InterruptedException {
		double before = raw(client, base, concurrency, count / 2);
		double rate = drain.rate();
		String breakdown = CpuUse.lastDrain(count);
		double after = raw(client, base, concurrency, count / 2);
		double raw = (before + after) / 2;
		row(name, rate, percent(rate, raw, alone) + String.format("; raw %,.0f /s around it", raw));
		System.out.printf("%-52s %s, wall %.0f%n", "    CPU us per operation:", breakdown, 1e6 / rate);
	}

	@FunctionalInterface
	private interface Measurement {

		double rate() throws InterruptedException;

	}

	/**
	 * The rate against the raw client's, and against the ceiling of this machine: the client's work per request and
	 * the store's per operation, each timed on its own, done one after the other on the same cores.
	 */
	private static String percent(double rate, double raw, double storeAlone) {
		double ceiling = 1 / (1 / raw + 1 / storeAlone);
		return String.format("%3.0f %% of raw (target >= 85 %%); ceiling %,.0f /s = %.0f %% of raw; %.0f %% of it",
				100 * rate / raw, ceiling, 100 * ceiling / raw, 100 * rate / ceiling);
	}

	private static void row(String name, double rate, String note) {
		System.out.printf("%-52s %,10.0f /s  %s%n", name, rate, note);
	}

	private static HttpServer sink() throws IOException {
		HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1_000);
		server.setExecutor(Executors.newFixedThreadPool(SINK_THREADS, named("sink-")));
		server.createContext("/", (exchange) -> {
			try (InputStream in = exchange.getRequestBody()) {
				in.readAllBytes();
				exchange.sendResponseHeaders(200, -1);
			}
			finally {
				exchange.close();
			}
		});
		server.start();
		return server;
	}

	private static HttpRequest request(URI base, String target, String idempotencyKey) {
		return HttpRequest.newBuilder(URI.create(base + target))
			.header("Content-Type", "application/json")
			.header("Idempotency-Key", idempotencyKey)
			.POST(HttpRequest.BodyPublishers.ofString(PAYLOAD))
			.build();
	}

	/** The same requests as the drains send, from as many threads as their concurrency, without an outbox. */
	private static double raw(HttpClient client, URI base, int senders, int count) throws InterruptedException {
		AtomicInteger next = new AtomicInteger();
		CountDownLatch finished = new CountDownLatch(senders);
		long started = System.nanoTime();
		for (int i = 0; i < senders; i++) {
			new Thread(() -> {
				try {
					while (next.getAndIncrement() < count) {
						try {
							client.send(request(base, "/notes", "raw-" + next.get()),
									HttpResponse.BodyHandlers.discarding());
						}
						catch (IOException ex) {
							// A connection the sink closed: the request is not counted again, as a drain retries it.
							next.decrementAndGet();
						}
					}
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
				finally {
					finished.countDown();
				}
			}).start();
		}
		finished.await();
		return count / ((System.nanoTime() - started) / 1e9);
	}

	private static SyncTransport blocking(HttpClient client, URI base, int concurrency) {
		ExecutorService senders = Executors.newFixedThreadPool(concurrency, named("sender-"));
		return SyncTransport.blocking((operation) -> {
			int status = client.send(request(base, operation.target(), operation.idempotencyKey()),
					HttpResponse.BodyHandlers.discarding()).statusCode();
			return (status / 100 == 2) ? SendResult.ok() : SendResult.retryable("HTTP " + status);
		}, senders);
	}

	/** Store {@code count} operations, then deliver them all; the rate from the engine's start to the last done. */
	private static double drain(Supplier<OutboxStore> stores, Function<Integer, SyncTransport> transports,
			int concurrency, int count) throws InterruptedException {
		try (OutboxStore store = stores.get()) {
			Outbox outbox = new Outbox(store, OutboxConfig.defaults(), Clock.systemUTC());
			List<NewOperation> batch = new ArrayList<>();
			for (int i = 0; i < 1_000; i++) {
				batch.add(NewOperation.of("http.post", "/notes", PAYLOAD));
			}
			for (int enqueued = 0; enqueued < count; enqueued += batch.size()) {
				outbox.enqueueAll(batch.subList(0, Math.min(batch.size(), count - enqueued)));
			}
			CountDownLatch delivered = new CountDownLatch(count);
			SyncEngine engine = new SyncEngine(outbox, transports.apply(concurrency), NetworkProbe.alwaysOnline(),
					EngineConfig.builder().concurrency(concurrency).build());
			engine.addDeliveryListener((operation, result, latency, stored) -> {
				if (stored != null && stored.status() == OperationStatus.DONE) {
					delivered.countDown();
				}
			});
			long started = System.nanoTime();
			CpuUse.drainStarts();
			engine.start();
			try {
				delivered.await();
				// Before the engine's threads end, which would take their CPU time with them.
				CpuUse.drainEnds();
			}
			finally {
				engine.close();
			}
			return count / ((System.nanoTime() - started) / 1e9);
		}
	}

	/** Enqueue at a fixed rate, from enqueue to the delivery recorded; the first half of the time is not counted. */
	private static void latency(String name, Supplier<OutboxStore> stores, SyncTransport transport, int seconds)
			throws InterruptedException {
		try (OutboxStore store = stores.get()) {
			Outbox outbox = new Outbox(store, OutboxConfig.defaults(), Clock.systemUTC());
			Map<String, Long> enqueuedAt = new ConcurrentHashMap<>();
			long[] latencies = new long[LATENCY_RATE * seconds * 2];
			AtomicInteger measured = new AtomicInteger();
			long[] measureFrom = { Long.MAX_VALUE };
			SyncEngine engine = new SyncEngine(outbox, transport, NetworkProbe.alwaysOnline(), EngineConfig.defaults());
			engine.addDeliveryListener((operation, result, took, stored) -> {
				Long start = enqueuedAt.remove(operation.id());
				if (start != null && start >= measureFrom[0] && stored != null) {
					int slot = measured.getAndIncrement();
					if (slot < latencies.length) {
						latencies[slot] = System.nanoTime() - start;
					}
				}
			});
			engine.start();
			ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor();
			long begun = System.nanoTime();
			measureFrom[0] = begun + TimeUnit.SECONDS.toNanos(seconds);
			clock.scheduleAtFixedRate(() -> {
				long now = System.nanoTime();
				enqueuedAt.put(outbox.enqueue("http.post", "/notes", PAYLOAD).id(), now);
			}, 0, 1_000_000 / LATENCY_RATE, TimeUnit.MICROSECONDS);
			Thread.sleep(TimeUnit.SECONDS.toMillis(2L * seconds));
			clock.shutdownNow();
			Thread.sleep(1_000);
			engine.close();
			int n = Math.min(measured.get(), latencies.length);
			long[] sorted = Arrays.copyOf(latencies, n);
			Arrays.sort(sorted);
			System.out.printf("%-52s p50 %.2f ms  p99 %.2f ms  max %.1f ms  (%d s at %d /s after %d s unmeasured; target"
					+ " p99 <= 20 ms)%n", name + ": latency, blocking HttpClient", sorted[n / 2] / 1e6,
					sorted[(int) (n * 0.99)] / 1e6, sorted[n - 1] / 1e6, seconds, LATENCY_RATE, seconds);
		}
	}

	private static ThreadFactory named(String prefix) {
		AtomicInteger count = new AtomicInteger();
		return (task) -> {
			Thread thread = new Thread(task, prefix + count.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		};
	}

}
