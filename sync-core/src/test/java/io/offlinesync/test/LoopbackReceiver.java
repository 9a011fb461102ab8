package io.offlinesync.test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;

import io.offlinesync.Operation;
import io.offlinesync.SendResult;
import io.offlinesync.SyncTransport;

/**
 * A real HTTP receiver on 127.0.0.1 that counts the requests for each {@code Idempotency-Key}, and a transport
 * that posts operations to it with the JDK's HTTP client.
 */
public final class LoopbackReceiver implements AutoCloseable {

	private final HttpServer server;

	private final ExecutorService executor = Executors.newFixedThreadPool(4);

	private final Map<String, AtomicInteger> requestsByKey = new ConcurrentHashMap<>();

	private final AtomicInteger requests = new AtomicInteger();

	public LoopbackReceiver() {
		try {
			this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		this.server.createContext("/", (exchange) -> {
			try (InputStream body = exchange.getRequestBody()) {
				body.readAllBytes();
			}
			String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
			this.requestsByKey.computeIfAbsent(key, (k) -> new AtomicInteger()).incrementAndGet();
			this.requests.incrementAndGet();
			exchange.sendResponseHeaders(204, -1);
			exchange.close();
		});
		this.server.setExecutor(this.executor);
		this.server.start();
	}

	/** @return the base URI, {@code http://127.0.0.1:port} */
	public URI uri() {
		return URI.create("http://127.0.0.1:" + this.server.getAddress().getPort());
	}

	/** @return requests received in all */
	public int requests() {
		return this.requests.get();
	}

	/** @return how many distinct keys arrived */
	public int distinctKeys() {
		return this.requestsByKey.size();
	}

	/**
	 * @param key an idempotency key
	 * @return how many requests carried it
	 */
	public int requestsFor(String key) {
		AtomicInteger count = this.requestsByKey.get(key);
		return (count != null) ? count.get() : 0;
	}

	/** @return keys that arrived more than once */
	public Map<String, Integer> repeatedKeys() {
		Map<String, Integer> repeated = new ConcurrentHashMap<>();
		this.requestsByKey.forEach((key, count) -> {
			if (count.get() > 1) {
				repeated.put(key, count.get());
			}
		});
		return repeated;
	}

	/** @return a transport that posts each operation's payload to this receiver, bounded by a 5 s timeout */
	public SyncTransport transport() {
		HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
		return new SyncTransport() {
			@Override
			public CompletionStage<SendResult> send(Operation operation) {
				HttpRequest request = HttpRequest.newBuilder(uri().resolve(operation.target()))
					.timeout(Duration.ofSeconds(5))
					.header("Idempotency-Key", operation.idempotencyKey())
					.POST(HttpRequest.BodyPublishers.ofString(operation.payload()))
					.build();
				CompletableFuture<HttpResponse<Void>> response = client.sendAsync(request,
						HttpResponse.BodyHandlers.discarding());
				return response.thenApply((answer) -> (answer.statusCode() / 100 == 2) ? SendResult.ok()
						: SendResult.retryable("HTTP " + answer.statusCode()));
			}
		};
	}

	@Override
	public void close() {
		this.server.stop(0);
		this.executor.shutdownNow();
	}

}
