package io.offlinesync.autoconfigure;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;

import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.DisposableServer;
import reactor.netty.http.Http2SslContextSpec;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.server.HttpServer;

import io.offlinesync.batch.BatchFormat;
import io.offlinesync.batch.BatchItemResult;
import io.offlinesync.receiver.DeliveryReceiver;
import io.offlinesync.receiver.ReceivedOperation;

/**
 * A receiver on 127.0.0.1 speaking HTTP/1.1 and HTTP/2, over cleartext or {@linkplain #overTls TLS}: batches at {@code /api/_offline-sync/batch},
 * single deliveries at any other {@code /api/...} path, both through a {@link DeliveryReceiver}. It counts requests
 * and notes the protocol of each.
 */
public final class ReceivingServer implements AutoCloseable {

	private final DisposableServer server;

	private final AtomicInteger requests = new AtomicInteger();

	private final List<String> protocols = new CopyOnWriteArrayList<>();

	/**
	 * A receiver with HTTP/2's default flow-control window (64 KB): a connection carries that much a round trip.
	 * @param receiver what takes the deliveries
	 */
	public ReceivingServer(DeliveryReceiver receiver) {
		this(receiver, 65_535);
	}

	/**
	 * @param receiver what takes the deliveries
	 * @param http2WindowBytes the HTTP/2 flow-control window it grants each stream; Netty grants the connection
	 * twice what this adds to the default
	 */
	public ReceivingServer(DeliveryReceiver receiver, int http2WindowBytes) {
		this(receiver, HttpServer.create().protocol(HttpProtocol.H2C, HttpProtocol.HTTP11), http2WindowBytes);
	}

	private ReceivingServer(DeliveryReceiver receiver, HttpServer base, int http2WindowBytes) {
		this.server = base.host("127.0.0.1")
			.port(0)
			.http2Settings((settings) -> settings.initialWindowSize(http2WindowBytes))
			.route((routes) -> routes.post("/api/**", (request, response) -> request.receive()
				.aggregate()
				.asByteArray()
				.defaultIfEmpty(new byte[0])
				.publishOn(Schedulers.boundedElastic())
				.flatMap((body) -> {
					this.requests.incrementAndGet();
					this.protocols.add(request.version().text());
					if (request.path().equals("api/_offline-sync/batch")) {
						byte[] results = receiver.receiveBatch(body, request.requestHeaders().get("Content-Encoding"));
						return response.header("Content-Type", BatchFormat.MEDIA_TYPE)
							.sendByteArray(Mono.just(results))
							.then();
					}
					BatchItemResult result = receiver.receive(new ReceivedOperation(
							request.requestHeaders().get("Idempotency-Key"), "http.post",
							"/" + request.path().substring("api/".length()), Map.of(),
							new String(body, StandardCharsets.UTF_8)));
					return response.status(switch (result.status()) {
						case DONE -> 200;
						case RETRYABLE -> 503;
						case PERMANENT -> 422;
					}).send().then();
				})))
			.bindNow();
	}

	/**
	 * A receiver that speaks HTTP/2 and HTTP/1.1 over TLS only, choosing by ALPN.
	 * @param receiver what takes the deliveries
	 * @param keys its certificate and private key
	 * @return the running receiver
	 */
	public static ReceivingServer overTls(DeliveryReceiver receiver, KeyManagerFactory keys) {
		return new ReceivingServer(receiver,
				HttpServer.create()
					.protocol(HttpProtocol.H2, HttpProtocol.HTTP11)
					.secure((tls) -> tls.sslContext(Http2SslContextSpec.forServer(keys))),
				65_535);
	}

	public int port() {
		return this.server.port();
	}

	public int requests() {
		return this.requests.get();
	}

	public List<String> protocols() {
		return List.copyOf(this.protocols);
	}

	@Override
	public void close() {
		this.server.disposeNow();
	}

}
