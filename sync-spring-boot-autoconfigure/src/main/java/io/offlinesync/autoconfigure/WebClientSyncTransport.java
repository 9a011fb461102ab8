package io.offlinesync.autoconfigure;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLParameters;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.http.client.HttpClientSettings;
import org.springframework.boot.http.client.HttpRedirects;
import org.springframework.boot.http.client.reactive.ClientHttpConnectorBuilder;
import org.springframework.boot.http.client.reactive.JdkClientHttpConnectorBuilder;
import org.springframework.boot.http.client.reactive.ReactorClientHttpConnectorBuilder;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslManagerBundle;
import org.springframework.boot.ssl.SslOptions;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import reactor.core.publisher.Mono;
import reactor.netty.http.Http2SslContextSpec;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.util.context.Context;

import io.offlinesync.BatchTransport;
import io.offlinesync.InvalidOperationException;
import io.offlinesync.Operation;
import io.offlinesync.SendResult;
import io.offlinesync.SyncTransport;
import io.offlinesync.batch.BatchFormat;
import io.offlinesync.batch.BatchItem;
import io.offlinesync.batch.BatchItemResult;

/**
 * Delivers {@code http.post|put|patch|delete} operations with a non-blocking {@link WebClient}: the payload as the
 * body of that method on {@code base-url + target}, the idempotency key as an {@code Idempotency-Key} header.
 *
 * <p>2xx is delivered; 408, 425, 429, 5xx and a response that does not come in time are retryable (honouring
 * {@code Retry-After}); a connection that cannot be made (refused, no route, name not resolved, connect timeout,
 * failed TLS handshake) is {@linkplain SendResult#unreachable unreachable}: an outage, not an attempt. Every other
 * status is permanent, redirects included unless following them within the base URL is switched on. Nothing is ever
 * sent outside the base URL: targets and redirect locations are checked by {@link HttpOperationRules}, and the
 * client's own redirect following is switched off.
 *
 * <p>With batches on, it is a {@link BatchTransport}: up to the batch size of operations go in one request to the
 * receiver's batch path under the base URL ({@linkplain io.offlinesync.batch the batch format}), gzip-compressed
 * when larger than the threshold, and the receiver answers a result for each. HTTP/1.1, HTTP/2 over TLS ({@code h2})
 * or HTTP/2 over cleartext ({@code h2c}) is chosen by {@link Options#httpVersion()}.
 */
final class WebClientSyncTransport implements BatchTransport, AutoCloseable {

	/** Redirects followed in a row at most, when following within the base URL is on. */
	static final int MAX_REDIRECTS = 5;

	/**
	 * The request attribute WebClient's observation takes the {@code uri} tag from; without it the tag is
	 * {@code none}, since requests are made from a URI rather than a template.
	 */
	static final String URI_TEMPLATE_ATTRIBUTE = WebClient.class.getName() + ".uriTemplate";

	private final WebClient client;

	private final HttpOperationRules rules;

	private final Duration timeout;

	private final boolean followRedirectsWithinBase;

	private final Options options;

	private final ObservationRegistry observations;

	private final Clock clock;

	/** Frees what the transport made for itself (a connection pool of its own), on close. */
	private final Runnable release;

	/**
	 * How the transport sends.
	 *
	 * @param connectTimeout how long opening a connection may take before the remote counts as unreachable
	 * @param timeout how long a whole request may take
	 * @param followRedirectsWithinBase whether 307 and 308 redirects that stay under the base URL are followed
	 * @param httpVersion the protocol
	 * @param batchSize the most operations per request; 1 sends them one at a time
	 * @param batchPath where the receiver takes batches, under the base URL
	 * @param compressAbove batch bodies larger than this many bytes are gzip-compressed
	 */
	record Options(Duration connectTimeout, Duration timeout, boolean followRedirectsWithinBase,
			SyncProperties.HttpVersion httpVersion, int batchSize, String batchPath, long compressAbove) {

		static Options of(Duration connectTimeout, Duration timeout, boolean followRedirectsWithinBase) {
			return new Options(connectTimeout, timeout, followRedirectsWithinBase, SyncProperties.HttpVersion.HTTP1,
					1, BatchFormat.DEFAULT_PATH, 1024);
		}

		Options withBatches(int size, String path, long compressAbove) {
			return new Options(this.connectTimeout, this.timeout, this.followRedirectsWithinBase, this.httpVersion,
					size, path, compressAbove);
		}

		Options withHttpVersion(SyncProperties.HttpVersion version) {
			return new Options(this.connectTimeout, this.timeout, this.followRedirectsWithinBase, version,
					this.batchSize, this.batchPath, this.compressAbove);
		}

	}

	/**
	 * @param builder the application's WebClient builder (observation, codecs and filters apply)
	 * @param connectors builds the client connector; its redirect following is switched off here
	 * @param clientSettings the application's HTTP client settings (SSL bundle, read timeout)
	 * @param rules what may be sent
	 * @param headers headers every request carries
	 * @param options how to send
	 * @param clock for {@code Retry-After} dates
	 * @param observations where the current observation is found, to parent the request's own
	 */
	WebClientSyncTransport(WebClient.Builder builder, ClientHttpConnectorBuilder<?> connectors,
			HttpClientSettings clientSettings, HttpOperationRules rules, Map<String, String> headers, Options options,
			Clock clock, ObservationRegistry observations) {
		this.rules = Objects.requireNonNull(rules, "rules");
		this.options = options;
		Duration connectTimeout = options.connectTimeout();
		Duration timeout = options.timeout();
		boolean followRedirectsWithinBase = options.followRedirectsWithinBase();
		if (options.batchSize() < 1 || options.batchSize() > BatchFormat.MAX_ITEMS) {
			throw new InvalidSyncPropertyException("sync.transport.batch.size", "'sync.transport.batch.size' must be "
					+ "between 1 and " + BatchFormat.MAX_ITEMS + " but was " + options.batchSize());
		}
		if (!options.batchPath().startsWith("/")) {
			throw new InvalidSyncPropertyException("sync.transport.batch.path",
					"'sync.transport.batch.path' must start with '/' but was '" + options.batchPath() + "'");
		}
		this.observations = observations;
		requirePositive("sync.transport.timeout", timeout);
		requirePositive("sync.transport.connect-timeout", connectTimeout);
		if (connectTimeout.compareTo(timeout) >= 0) {
			throw new InvalidSyncPropertyException("sync.transport.connect-timeout", "'sync.transport.connect-timeout' ("
					+ connectTimeout + ") must be shorter than 'sync.transport.timeout' (" + timeout
					+ "), so that a remote that cannot be reached is told from one that does not answer");
		}
		this.timeout = timeout;
		this.followRedirectsWithinBase = followRedirectsWithinBase;
		this.clock = clock;
		// Redirects are this transport's decision, never the client's: a followed redirect could carry the payload
		// to another host.
		HttpClientSettings settings = clientSettings.withRedirects(HttpRedirects.DONT_FOLLOW)
			.withConnectTimeout(connectTimeout);
		ProtocolConnectors protocol = withProtocol(connectors, options.httpVersion(), settings.sslBundle());
		this.release = protocol.release();
		this.client = builder.clientConnector(protocol.connectors().build(settings))
			.defaultHeaders((defaults) -> headers.forEach(defaults::set))
			.build();
	}

	/** Closes the connection pool the transport made for HTTP/2, if it made one; a shared pool is left alone. */
	@Override
	public void close() {
		this.release.run();
	}

	private static void requirePositive(String property, Duration value) {
		Objects.requireNonNull(value, property);
		if (value.isNegative() || value.isZero()) {
			throw new InvalidSyncPropertyException(property,
					"'" + property + "' must be positive but was " + value);
		}
	}

	@Override
	public CompletionStage<SendResult> send(Operation operation) {
		Request request;
		try {
			request = checked(operation);
		}
		catch (InvalidOperationException ex) {
			return CompletableFuture.completedFuture(SendResult.permanent(String.valueOf(ex.getMessage())));
		}
		return inDeliveryObservation(exchange(request.method(), request.uri(), operation, 0).timeout(this.timeout)
			.onErrorResume((failure) -> Mono.just(failed(failure)))).toFuture();
	}

	/**
	 * The request an operation makes, if it may be sent at all.
	 * @throws InvalidOperationException if its kind, target or headers are not allowed
	 */
	private Request checked(Operation operation) {
		HttpMethod method = this.rules.method(operation.kind());
		URI uri = this.rules.resolve(operation.target());
		this.rules.checkHeaders(operation.headers());
		return new Request(method, uri);
	}

	/**
	 * WebClient takes the parent of its own observation from the Reactor context: the delivery's, so that the request
	 * continues the trace the operation was enqueued in, and carries it on in its headers.
	 */
	private <T> Mono<T> inDeliveryObservation(Mono<T> exchange) {
		Observation delivery = this.observations.getCurrentObservation();
		return (delivery != null) ? exchange.contextWrite(Context.of(ObservationThreadLocalAccessor.KEY, delivery))
				: exchange;
	}

	@Override
	public int maxBatchSize() {
		return this.options.batchSize();
	}

	/**
	 * One request with every operation: checked as single sends are (one that may not be sent is answered permanent
	 * here and left out), the rest posted to the batch path; the receiver's results are matched by position.
	 */
	@Override
	public CompletionStage<List<SendResult>> sendAll(List<Operation> operations) {
		SendResult[] results = new SendResult[operations.size()];
		List<BatchItem> items = new ArrayList<>();
		List<Integer> positions = new ArrayList<>();
		for (int i = 0; i < operations.size(); i++) {
			Operation operation = operations.get(i);
			try {
				checked(operation);
				items.add(BatchItem.of(operation));
				positions.add(i);
			}
			catch (InvalidOperationException ex) {
				results[i] = SendResult.permanent(String.valueOf(ex.getMessage()));
			}
		}
		if (items.isEmpty()) {
			return CompletableFuture.completedFuture(List.of(results));
		}
		byte[] plain = BatchFormat.writeRequest(items, false);
		boolean gzip = plain.length > this.options.compressAbove();
		byte[] body = gzip ? BatchFormat.gzip(plain) : plain;
		Mono<List<SendResult>> sent = this.client.post()
			.uri(this.rules.resolve(this.options.batchPath()))
			.attribute(URI_TEMPLATE_ATTRIBUTE, this.rules.uriTemplate(this.options.batchPath()))
			.headers((headers) -> {
				headers.set(HttpHeaders.CONTENT_TYPE, BatchFormat.MEDIA_TYPE);
				headers.set(HttpHeaders.ACCEPT, BatchFormat.MEDIA_TYPE);
				if (gzip) {
					headers.set(HttpHeaders.CONTENT_ENCODING, "gzip");
				}
			})
			.bodyValue(body)
			.exchangeToMono((response) -> response.bodyToMono(byte[].class)
				.defaultIfEmpty(new byte[0])
				.map((answer) -> batchResults(response, answer, items.size())))
			.timeout(this.timeout)
			.onErrorResume((failure) -> Mono.just(Collections.nCopies(items.size(), failed(failure))))
			.map((answered) -> {
				for (int i = 0; i < answered.size(); i++) {
					results[positions.get(i)] = answered.get(i);
				}
				return List.of(results);
			});
		return inDeliveryObservation(sent).toFuture();
	}

	/** The receiver's result for each item; a response that is no batch response fails each alike. */
	private List<SendResult> batchResults(ClientResponse response, byte[] body, int items) {
		if (!response.statusCode().is2xxSuccessful()) {
			return Collections.nCopies(items, classify(response.statusCode(), response.headers().asHttpHeaders()));
		}
		try {
			List<BatchItemResult> answered = BatchFormat.readResponse(body,
					response.headers().asHttpHeaders().getFirst(HttpHeaders.CONTENT_ENCODING));
			if (answered.size() != items) {
				return Collections.nCopies(items, SendResult.retryable("The receiver answered " + answered.size()
						+ " results for a batch of " + items));
			}
			return answered.stream().map(BatchItemResult::toSendResult).toList();
		}
		catch (IllegalArgumentException ex) {
			return Collections.nCopies(items,
					SendResult.retryable("The receiver's answer to a batch is not a batch response: " + ex.getMessage()));
		}
	}

	private record Request(HttpMethod method, URI uri) {
	}

	/** A connector builder set to a protocol, and what to free when the transport closes. */
	private record ProtocolConnectors(ClientHttpConnectorBuilder<?> connectors, Runnable release) {
	}

	/** The connector builder set to the protocol, for the clients whose protocol can be chosen. */
	private static ProtocolConnectors withProtocol(ClientHttpConnectorBuilder<?> connectors,
			SyncProperties.HttpVersion version, @Nullable SslBundle sslBundle) {
		if (version == SyncProperties.HttpVersion.HTTP1) {
			return new ProtocolConnectors(connectors, () -> {
			});
		}
		if (connectors instanceof ReactorClientHttpConnectorBuilder reactor) {
			return ReactorProtocol.set(reactor, version == SyncProperties.HttpVersion.H2C, sslBundle);
		}
		if (connectors instanceof JdkClientHttpConnectorBuilder jdk) {
			if (version == SyncProperties.HttpVersion.H2C) {
				throw new InvalidSyncPropertyException("sync.transport.http-version", "'sync.transport.http-version=h2c' "
						+ "needs Reactor Netty: the JDK HTTP client reaches HTTP/2 over cleartext only through an "
						+ "HTTP/1.1 Upgrade, which servers refuse for a request with a body (413). Use h2 (over TLS) "
						+ "with the JDK client, or Reactor Netty (reactor-netty-http) for h2c");
			}
			return new ProtocolConnectors(jdk.withHttpClientCustomizer((client) -> {
				client.version(java.net.http.HttpClient.Version.HTTP_2);
				if (sslBundle != null) {
					client.sslParameters(http2SslParameters(sslBundle));
				}
			}), () -> {
			});
		}
		throw new InvalidSyncPropertyException("sync.transport.http-version", "'sync.transport.http-version=" + version
				.name()
				.toLowerCase(Locale.ROOT) + "' needs Reactor Netty or the JDK HTTP client, but the client is "
				+ connectors.getClass().getSimpleName());
	}

	/**
	 * The TLS parameters of an SSL bundle for the JDK client's HTTP/2: the client offers HTTP/2 by ALPN only when its
	 * parameters name TLS 1.2 or 1.3, and Boot's leave the protocols unset when the bundle does not name them.
	 */
	private static SSLParameters http2SslParameters(SslBundle sslBundle) {
		SSLParameters parameters = new SSLParameters();
		SslOptions options = sslBundle.getOptions();
		if (options.getCiphers() != null) {
			parameters.setCipherSuites(options.getCiphers());
		}
		String[] protocols = options.getEnabledProtocols();
		parameters.setProtocols((protocols != null) ? protocols : new String[] { "TLSv1.3", "TLSv1.2" });
		return parameters;
	}

	private Mono<SendResult> exchange(HttpMethod method, URI uri, Operation operation, int redirects) {
		WebClient.RequestBodySpec request = this.client.method(method)
			.uri(uri)
			.attribute(URI_TEMPLATE_ATTRIBUTE, this.rules.uriTemplate(operation.target()))
			.headers((headers) -> {
				operation.headers().forEach(headers::set);
				headers.set(HttpOperationRules.IDEMPOTENCY_KEY, operation.idempotencyKey());
				if (!operation.payload().isEmpty() && headers.getContentType() == null) {
					headers.setContentType(MediaType.APPLICATION_JSON);
				}
			});
		WebClient.RequestHeadersSpec<?> exchange = operation.payload().isEmpty() ? request
				: request.bodyValue(operation.payload());
		return exchange.exchangeToMono((response) -> response.releaseBody().then(Mono.defer(() -> {
			if (response.statusCode().is3xxRedirection()) {
				return redirect(method, uri, operation, redirects, response);
			}
			return Mono.just(classify(response.statusCode(), response.headers().asHttpHeaders()));
		})));
	}

	private Mono<SendResult> redirect(HttpMethod method, URI uri, Operation operation, int redirects,
			ClientResponse response) {
		HttpStatusCode status = response.statusCode();
		String location = response.headers().asHttpHeaders().getFirst(HttpHeaders.LOCATION);
		String description = "HTTP " + status.value() + reason(status)
				+ ((location != null) ? " to '" + location + "'" : " without a Location");
		if (!this.followRedirectsWithinBase) {
			return permanent(description + ": redirects are not followed (sync.transport.redirects=within-base-url "
					+ "follows 307 and 308 redirects that stay under the base URL)");
		}
		if (location == null || (status.value() != 307 && status.value() != 308)) {
			return permanent(description + ": only 307 and 308 redirects with a Location are followed, since only they "
					+ "keep the method and the body");
		}
		if (redirects >= MAX_REDIRECTS) {
			return permanent(description + ": more than " + MAX_REDIRECTS + " redirects in a row");
		}
		URI next;
		try {
			next = this.rules.redirectTarget(uri.resolve(location));
		}
		catch (IllegalArgumentException | InvalidOperationException ex) {
			return permanent(description + " not followed: " + ex.getMessage());
		}
		return exchange(method, next, operation, redirects + 1);
	}

	private static Mono<SendResult> permanent(String error) {
		return Mono.just(SendResult.permanent(error));
	}

	private SendResult classify(HttpStatusCode status, HttpHeaders headers) {
		int code = status.value();
		String description = "HTTP " + code + reason(status);
		if (status.is2xxSuccessful()) {
			return SendResult.ok();
		}
		if (code == 408 || code == 425 || code == 429 || status.is5xxServerError()) {
			Duration retryAfter = retryAfter(headers.getFirst(HttpHeaders.RETRY_AFTER));
			return (retryAfter != null) ? SendResult.retryable(description, retryAfter)
					: SendResult.retryable(description);
		}
		return SendResult.permanent(description);
	}

	private static String reason(HttpStatusCode status) {
		return (status instanceof HttpStatus known) ? " " + known.getReasonPhrase() : "";
	}

	/**
	 * {@code Retry-After} is either delay-seconds or an HTTP-date; anything else is ignored.
	 */
	@Nullable Duration retryAfter(@Nullable String value) {
		if (value == null || value.isBlank()) {
			return null;
		}
		String trimmed = value.trim();
		try {
			long seconds = Long.parseLong(trimmed);
			return (seconds >= 0) ? Duration.ofSeconds(seconds) : null;
		}
		catch (NumberFormatException ex) {
			try {
				Instant at = ZonedDateTime.parse(trimmed, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
				Duration until = Duration.between(this.clock.instant(), at);
				return until.isNegative() ? Duration.ZERO : until;
			}
			catch (DateTimeParseException notADate) {
				return null;
			}
		}
	}

	private SendResult failed(Throwable failure) {
		if (failure instanceof TimeoutException) {
			return SendResult.retryable("No response within " + this.timeout.toMillis() + " ms");
		}
		if (failure instanceof WebClientRequestException) {
			// Connection failures are outages (unreachable); anything after the connection was made is retryable.
			return SendResult.ofFailure(failure);
		}
		return SendResult.retryable(failure.getClass().getSimpleName()
				+ ((failure.getMessage() != null) ? ": " + failure.getMessage() : ""));
	}

	@Override
	public String toString() {
		return "WebClientSyncTransport[" + this.rules.baseUrl() + "]";
	}

	/** Apart, so that Reactor Netty's classes are loaded only when it is the client. */
	private static final class ReactorProtocol {

		/**
		 * HTTP/2 connections at most. Each carries as many streams at once as the server allows (100 to 128 on
		 * common servers), and another is opened only when those are taken: 8 carry the engine's concurrency into
		 * the hundreds.
		 */
		private static final int CONNECTIONS = 8;

		static ProtocolConnectors set(ReactorClientHttpConnectorBuilder reactor, boolean cleartext,
				@Nullable SslBundle sslBundle) {
			HttpProtocol protocol = cleartext ? HttpProtocol.H2C : HttpProtocol.H2;
			// Without a bound, a burst of sends opens a connection each before the first is ready to multiplex.
			ConnectionProvider connections = ConnectionProvider.builder("offline-sync-h2")
				.maxConnections(CONNECTIONS)
				.pendingAcquireMaxCount(-1)
				.build();
			return new ProtocolConnectors(reactor.withHttpClientFactory(() -> HttpClient.create(connections))
				.withHttpClientCustomizer((client) -> (cleartext || sslBundle == null) ? client.protocol(protocol)
						: client.protocol(protocol).secure((tls) -> tls.sslContext(http2Tls(sslBundle)))),
					connections::dispose);
		}

		/**
		 * The application's SSL bundle for HTTP/2: Boot applies a bundle with a TLS context that offers no
		 * protocol by ALPN, and a server then answers HTTP/1.1 to what the client sends as HTTP/2.
		 */
		private static Http2SslContextSpec http2Tls(SslBundle sslBundle) {
			SslManagerBundle managers = sslBundle.getManagers();
			SslOptions options = sslBundle.getOptions();
			return Http2SslContextSpec.forClient()
				.configure((builder) -> builder.keyManager(managers.getKeyManagerFactory())
					.trustManager(managers.getTrustManagerFactory())
					.ciphers(SslOptions.asSet(options.getCiphers()))
					.protocols(options.getEnabledProtocols()));
		}

	}

}
