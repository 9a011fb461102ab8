package io.offlinesync.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

import com.sun.net.httpserver.HttpServer;

/**
 * A real HTTP server on 127.0.0.1 that records every request and answers with a programmable status and headers.
 */
final class RecordingServer implements AutoCloseable {

	record Request(String method, String rawPath, String rawQuery, Map<String, List<String>> headers, String body) {

		String header(String name) {
			return this.headers.entrySet()
				.stream()
				.filter((entry) -> entry.getKey().equalsIgnoreCase(name))
				.map((entry) -> entry.getValue().get(0))
				.findFirst()
				.orElse(null);
		}

	}

	record Response(int status, Map<String, String> headers) {

		static Response of(int status) {
			return new Response(status, Map.of());
		}

	}

	private final HttpServer server;

	private final ExecutorService executor = Executors.newCachedThreadPool();

	private final ConcurrentLinkedQueue<Request> requests = new ConcurrentLinkedQueue<>();

	private volatile Function<Request, Response> respond = (request) -> Response.of(200);

	private RecordingServer(int port) {
		try {
			this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 100);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		this.server.setExecutor(this.executor);
		this.server.createContext("/", (exchange) -> {
			try (InputStream in = exchange.getRequestBody()) {
				Request request = new Request(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
						exchange.getRequestURI().getRawQuery(), Map.copyOf(exchange.getRequestHeaders()),
						new String(in.readAllBytes(), StandardCharsets.UTF_8));
				this.requests.add(request);
				Response response = this.respond.apply(request);
				response.headers().forEach(exchange.getResponseHeaders()::set);
				exchange.sendResponseHeaders(response.status(), -1);
			}
			finally {
				exchange.close();
			}
		});
		this.server.start();
	}

	/** @return a server on a free port */
	static RecordingServer start() {
		return new RecordingServer(0);
	}

	/**
	 * @param port the port, for example one a stopped server had
	 * @return a server on that port
	 */
	static RecordingServer start(int port) {
		return new RecordingServer(port);
	}

	void respond(Function<Request, Response> respond) {
		this.respond = respond;
	}

	List<Request> requests() {
		return List.copyOf(this.requests);
	}

	int port() {
		return this.server.getAddress().getPort();
	}

	URI uri(String path) {
		return URI.create("http://127.0.0.1:" + port() + path);
	}

	@Override
	public void close() {
		this.server.stop(0);
		this.executor.shutdownNow();
	}

}
