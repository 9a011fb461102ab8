package io.offlinesync.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.offlinesync.EngineConfig;
import io.offlinesync.NetworkProbe;
import io.offlinesync.NewOperation;
import io.offlinesync.Outbox;
import io.offlinesync.SyncEngine;
import io.offlinesync.SyncTransport;
import io.offlinesync.autoconfigure.BenchmarkTransports;
import io.offlinesync.autoconfigure.ReceivingServer;
import io.offlinesync.autoconfigure.SyncProperties.HttpVersion;
import io.offlinesync.receiver.DeliveryReceiver;
import io.offlinesync.receiver.InMemoryIdempotencyStore;
import io.offlinesync.store.file.FileOutboxStore;
import io.offlinesync.test.ShapingProxy;

/**
 * Catching up after an outage: a backlog of 1 KB operations in a file store, the network comes back, and the time
 * until the receiver (Reactor Netty, HTTP/1.1 and h2c, dropping repeats by idempotency key) has handled them all —
 * through a shaping proxy on 127.0.0.1 at each round trip, and once with a bandwidth cap. Each configuration is set
 * against its bound in the same run, the longest of: the round trips it needs at its concurrency and batch size,
 * the bytes it sent over the cap, and its own drain without delay (this machine). A drain still going at the time
 * limit is reported by its rate so far.
 * Arguments: [operations, default 20000] [round trips in ms, default 0,100,300] [cap in bytes/s at 100 ms, default
 * 2000000] [time limit per drain in s, default 40].
 */
public final class CatchUpBenchmark {

	private static final int PAYLOAD_BYTES = 1024;

	/** HTTP/2's flow-control window when the receiver does not set one. */
	private static final int DEFAULT_WINDOW = 65_535;

	/** Held here: the logging framework keeps only weak references to loggers, and would forget the level. */
	private static final Logger QUIET = Logger.getLogger("io.offlinesync");

	private record Config(String name, HttpVersion version, int concurrency, int batchSize, int receiverWindow) {

		/** @return the round trips a backlog of this many needs, at least */
		long roundTrips(int operations) {
			return (operations + (long) this.concurrency * this.batchSize - 1) / ((long) this.concurrency * this.batchSize);
		}

	}

	private static final List<Config> CONFIGS = List.of(
			new Config("defaults: HTTP/1.1, 32 in flight", HttpVersion.HTTP1, EngineConfig.DEFAULT_CONCURRENCY, 1,
					DEFAULT_WINDOW),
			new Config("HTTP/2 (h2c), 256 in flight", HttpVersion.H2C, 256, 1, DEFAULT_WINDOW),
			new Config("HTTP/2, 512 in flight, receiver window 1 MB", HttpVersion.H2C, 512, 1, 1 << 20),
			new Config("batches of 100, HTTP/1.1, 32 in flight", HttpVersion.HTTP1, EngineConfig.DEFAULT_CONCURRENCY,
					100, DEFAULT_WINDOW));

	private CatchUpBenchmark() {
	}

	public static void main(String[] args) throws Exception {
		int count = (args.length > 0) ? Integer.parseInt(args[0]) : 20_000;
		int[] roundTrips = (args.length > 1) ? Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray()
				: new int[] { 0, 100, 300 };
		long cap = (args.length > 2) ? Long.parseLong(args[2]) : 2_000_000;
		Duration limit = Duration.ofSeconds((args.length > 3) ? Integer.parseInt(args[3]) : 40);
		QUIET.setLevel(Level.WARNING);
		Path root = Files.createDirectories(Path.of("benchmarks", "target", "bench-data"));
		System.out.printf("%,d operations of %d bytes in a file store (fsync); receiver: Reactor Netty on 127.0.0.1,"
				+ " in-memory idempotency store; %d cores, %s%n", count, PAYLOAD_BYTES,
				Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
		for (Config config : CONFIGS) {
			drain(root, config, 2_000, 0, 0, limit);
		}
		System.out.printf("%-8s %-13s %-44s %9s %9s %11s %9s %s%n", "RTT", "cap", "configuration", "time", "ops/s",
				"bound", "of bound", "");
		// The drain without delay is this machine's own bound for the same configuration.
		Map<Config, Double> machine = new HashMap<>();
		for (int rtt : roundTrips) {
			for (Config config : CONFIGS) {
				Result result = drain(root, config, count, rtt, 0, limit);
				if (rtt == 0) {
					machine.put(config, count / result.rate());
				}
				row(rtt, 0, config, count, result, machine.getOrDefault(config, 0.0));
			}
		}
		for (Config config : CONFIGS) {
			row(100, cap, config, count, drain(root, config, count, 100, cap, limit),
					machine.getOrDefault(config, 0.0));
		}
	}

	private record Result(int handled, long nanos, long bytesSent, boolean finished) {

		double rate() {
			return this.handled * 1e9 / this.nanos;
		}

	}

	/**
	 * @param machineSeconds how long the same drain took without delay or cap, or 0 if unknown
	 */
	private static void row(int rtt, long cap, Config config, int count, Result result, double machineSeconds) {
		double roundTripBound = config.roundTrips(count) * rtt / 1e3;
		double bytesBound = (cap > 0) ? (double) result.bytesSent() * count / result.handled() / cap : 0;
		double bound = (rtt == 0 && cap == 0) ? 0 : Math.max(machineSeconds, Math.max(roundTripBound, bytesBound));
		double seconds = result.finished() ? result.nanos() / 1e9 : count / result.rate();
		String time = (result.finished() ? "" : "~") + String.format("%.1f s", seconds);
		String linkUse = (cap > 0) ? String.format("link carried %.0f %% of the cap",
				100.0 * result.bytesSent() * 1e9 / result.nanos() / cap) : "";
		// Without delay or cap the link sets no bound: the row is this machine's.
		String boundCells = (bound > 0) ? String.format("%9.1f s %8.0f %%", bound, 100 * bound / seconds)
				: String.format("%11s %10s", "-", "-");
		System.out.printf("%-8s %-13s %-44s %9s %,9.0f %s %s%n", rtt + " ms",
				(cap > 0) ? String.format("%,d B/s", cap) : "none", config.name(), time, result.rate(), boundCells,
				linkUse);
	}

	private static Result drain(Path root, Config config, int count, int rttMillis, long cap, Duration limit)
			throws Exception {
		Path directory = Files.createTempDirectory(root, "catch-up");
		CountDownLatch all = new CountDownLatch(count);
		DeliveryReceiver receiver = new DeliveryReceiver((operation) -> all.countDown(),
				new InMemoryIdempotencyStore(count * 2, Duration.ofHours(1), Clock.systemUTC()));
		try (FileOutboxStore store = FileOutboxStore.open(directory);
				ReceivingServer server = new ReceivingServer(receiver, config.receiverWindow());
				ShapingProxy link = ShapingProxy.to(server.port())
					.withDelay(Duration.ofMillis(rttMillis / 2))
					.withBandwidth(cap)
					.start()) {
			Outbox outbox = new Outbox(store);
			backlog(outbox, count);
			SyncTransport transport = BenchmarkTransports.webClient(link.uri("/api"), config.version(),
					config.batchSize());
			SyncEngine engine = new SyncEngine(outbox, transport, NetworkProbe.alwaysOnline(),
					EngineConfig.builder().concurrency(config.concurrency()).build());
			long started = System.nanoTime();
			engine.start();
			boolean finished = all.await(limit.toNanos(), TimeUnit.NANOSECONDS);
			long nanos = System.nanoTime() - started;
			Result result = new Result((int) (count - all.getCount()), nanos, link.bytesToTarget(), finished);
			engine.close();
			if (transport instanceof AutoCloseable closeable) {
				closeable.close();
			}
			return result;
		}
		finally {
			BenchmarkSupport.deleteTree(directory);
		}
	}

	private static void backlog(Outbox outbox, int count) {
		Random random = new Random(20261206L);
		List<NewOperation> operations = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			operations.add(NewOperation.of("http.post", "/notes", payload(random, i)));
			if (operations.size() == 1_000) {
				outbox.enqueueAll(operations);
				operations.clear();
			}
		}
		if (!operations.isEmpty()) {
			outbox.enqueueAll(operations);
		}
	}

	/** JSON of 1 KB whose text is random letters and digits: gzip takes off about a quarter, as on real text. */
	private static String payload(Random random, int n) {
		StringBuilder json = new StringBuilder(PAYLOAD_BYTES).append("{\"n\":").append(n).append(",\"text\":\"");
		String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ";
		while (json.length() < PAYLOAD_BYTES - 2) {
			json.append(alphabet.charAt(random.nextInt(alphabet.length())));
		}
		return json.append("\"}").toString();
	}

}
