package io.offlinesync.autoconfigure;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;

import org.springframework.boot.http.client.HttpClientSettings;
import org.springframework.boot.http.client.HttpRedirects;
import org.springframework.boot.http.client.reactive.ClientHttpConnectorBuilder;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import io.offlinesync.InvalidOperationException;
import io.offlinesync.Operation;
import io.offlinesync.SendResult;
import io.offlinesync.SyncTransport;

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
 */
final class WebClientSyncTransport implements SyncTransport {

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

	private final ObservationRegistry observations;

	private final Clock clock;

	/**
	 * @param builder the application's WebClient builder (observation, codecs and filters apply)
	 * @param connectors builds the client connector; its redirect following is switched off here
	 * @param clientSettings the application's HTTP client settings (SSL bundle, read timeout)
	 * @param rules what may be sent
	 * @param headers headers every request carries
	 * @param connectTimeout how long opening a connection may take before the remote counts as unreachable
	 * @param timeout how long a whole request may take
	 * @param followRedirectsWithinBase whether 307 and 308 redirects that stay under the base URL are followed
	 * @param clock for {@code Retry-After} dates
	 */
	WebClientSyncTransport(WebClient.Builder builder, ClientHttpConnectorBuilder<?> connectors,
			HttpClientSettings clientSettings, HttpOperationRules rules, Map<String, String> headers,
			Duration connectTimeout, Duration timeout, boolean followRedirectsWithinBase, Clock clock,
			ObservationRegistry observations) {
		this.rules = Objects.requireNonNull(rules, "rules");
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
		this.client = builder.clientConnector(connectors.build(settings))
			.defaultHeaders((defaults) -> headers.forEach(defaults::set))
			.build();
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
		HttpMethod method;
		URI uri;
		try {
			method = this.rules.method(operation.kind());
			uri = this.rules.resolve(operation.target());
			this.rules.checkHeaders(operation.headers());
		}
		catch (InvalidOperationException ex) {
			return CompletableFuture.completedFuture(SendResult.permanent(ex.getMessage()));
		}
		Mono<SendResult> result = exchange(method, uri, operation, 0).timeout(this.timeout)
			.onErrorResume((failure) -> Mono.just(failed(failure)));
		// WebClient takes the parent of its own observation from the Reactor context: the delivery's, so that the
		// request continues the trace the operation was enqueued in, and carries it on in its headers.
		Observation delivery = this.observations.getCurrentObservation();
		if (delivery != null) {
			result = result.contextWrite(Context.of(ObservationThreadLocalAccessor.KEY, delivery));
		}
		return result.toFuture();
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
	Duration retryAfter(String value) {
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

}
