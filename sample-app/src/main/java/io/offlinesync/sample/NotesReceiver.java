package io.offlinesync.sample;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * The "remote API" of the demo, on 127.0.0.1: records each note once per {@code Idempotency-Key}, and can be told to
 * answer 503 to the next requests.
 */
final class NotesReceiver implements AutoCloseable {

	private final HttpServer server;

	private final Set<String> seenKeys = ConcurrentHashMap.newKeySet();

	private final List<String> notes = new CopyOnWriteArrayList<>();

	private final AtomicInteger failuresToServe = new AtomicInteger();

	private final AtomicInteger requests = new AtomicInteger();

	NotesReceiver() throws IOException {
		this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
		this.server.createContext("/api/notes", this::handle);
		this.server.start();
	}

	URI baseUri() {
		return URI.create("http://127.0.0.1:" + this.server.getAddress().getPort());
	}

	void failNext(int count) {
		this.failuresToServe.set(count);
	}

	List<String> notes() {
		return this.notes;
	}

	int requests() {
		return this.requests.get();
	}

	private void handle(HttpExchange exchange) throws IOException {
		this.requests.incrementAndGet();
		String body;
		try (InputStream in = exchange.getRequestBody()) {
			body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
		}
		int status;
		if (this.failuresToServe.getAndUpdate((n) -> Math.max(0, n - 1)) > 0) {
			status = 503;
		}
		else {
			String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
			if (key == null || this.seenKeys.add(key)) {
				this.notes.add(body);
			}
			status = 201;
		}
		exchange.sendResponseHeaders(status, -1);
		exchange.close();
	}

	Map<String, Object> summary() {
		return Map.of("notes", this.notes.size(), "requests", this.requests.get());
	}

	@Override
	public void close() {
		this.server.stop(0);
	}

}
