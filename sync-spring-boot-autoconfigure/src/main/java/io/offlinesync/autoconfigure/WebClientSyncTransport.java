package io.offlinesync.autoconfigure;

import java.net.ConnectException;
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

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import reactor.core.publisher.Mono;

import io.offlinesync.NetworkProbe;
import io.offlinesync.Operation;
import io.offlinesync.SendResult;
import io.offlinesync.SyncTransport;

/**
 * Delivers {@code http.post|put|patch|delete} operations with a non-blocking {@link WebClient}: the payload as the
 * body of that method on {@code base-url + target}, the idempotency key as an {@code Idempotency-Key} header.
 *
 * <p>2xx is delivered; 408, 425, 429, 5xx, timeouts and connection failures are retryable (honouring
 * {@code Retry-After}); every other status is permanent. A target that is not a path under the base URL is refused
 * as a permanent failure, so an operation can never send data to another host.
 */
final class WebClientSyncTransport implements SyncTransport {

	static final String IDEMPOTENCY_KEY = "Idempotency-Key";

	private static final Map<String, HttpMethod> METHODS = Map.of("http.post", HttpMethod.POST, "http.put",
			HttpMethod.PUT, "http.patch", HttpMethod.PATCH, "http.delete", HttpMethod.DELETE);

	private final WebClient client;

	private final URI baseUrl;

	private final String basePath;

	private final Duration timeout;

	private final NetworkProbe probe;

	private final Clock clock;

	WebClientSyncTransport(WebClient.Builder builder, URI baseUrl, Duration timeout, Map<String, String> headers,
			NetworkProbe probe, Clock clock) {
		this.baseUrl = requireBaseUrl(baseUrl);
		String path = (this.baseUrl.getRawPath() != null) ? this.baseUrl.getRawPath() : "";
		this.basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
		Objects.requireNonNull(timeout, "timeout");
		if (timeout.isNegative() || timeout.isZero()) {
			throw new InvalidSyncPropertyException("sync.transport.timeout",
					"'sync.transport.timeout' must be positive but was " + timeout);
		}
		this.timeout = timeout;
		this.probe = probe;
		this.clock = clock;
		this.client = builder.defaultHeaders((defaults) -> headers.forEach(defaults::set)).build();
	}

	private static URI requireBaseUrl(URI baseUrl) {
		if (baseUrl == null) {
			throw new InvalidSyncPropertyException("sync.transport.base-url",
					"'sync.transport.base-url' is not set; the HTTP transport resolves operation targets against it. "
							+ "Set it, or define a SyncTransport bean of your own");
		}
		if (!("http".equals(baseUrl.getScheme()) || "https".equals(baseUrl.getScheme())) || baseUrl.getHost() == null
				|| baseUrl.getRawQuery() != null || baseUrl.getRawFragment() != null) {
			throw new InvalidSyncPropertyException("sync.transport.base-url",
					"'sync.transport.base-url' must be an absolute http or https URL with a host and no query, but was '"
							+ baseUrl + "'");
		}
		return baseUrl;
	}

	@Override
	public CompletionStage<SendResult> send(Operation operation) {
		HttpMethod method = METHODS.get(operation.kind());
		if (method == null) {
			return CompletableFuture.completedFuture(SendResult.permanent("Unsupported kind '" + operation.kind()
					+ "': the HTTP transport sends http.post, http.put, http.patch and http.delete"));
		}
		URI uri;
		try {
			uri = resolve(operation.target());
		}
		catch (IllegalArgumentException ex) {
			return CompletableFuture.completedFuture(SendResult.permanent(ex.getMessage()));
		}
		WebClient.RequestBodySpec request = this.client.method(method).uri(uri).headers((headers) -> {
			operation.headers().forEach(headers::set);
			headers.set(IDEMPOTENCY_KEY, operation.idempotencyKey());
			if (!operation.payload().isEmpty() && headers.getContentType() == null) {
				headers.setContentType(MediaType.APPLICATION_JSON);
			}
		});
		WebClient.RequestHeadersSpec<?> exchange = operation.payload().isEmpty() ? request
				: request.bodyValue(operation.payload());
		return exchange
			.exchangeToMono((response) -> response.releaseBody()
				.then(Mono.fromSupplier(() -> classify(response.statusCode(), response.headers().asHttpHeaders()))))
			.timeout(this.timeout)
			.onErrorResume((failure) -> Mono.just(failed(failure)))
			.toFuture();
	}

	/**
	 * Resolve a target against the base URL, refusing anything that would leave it.
	 */
	URI resolve(String target) {
		if (!target.startsWith("/") || target.startsWith("//") || target.contains("\\")) {
			throw new IllegalArgumentException("Target '" + target + "' must be a path under the base URL "
					+ this.baseUrl + " (starting with a single '/'); absolute URLs and other hosts are refused");
		}
		URI resolved = URI.create(this.baseUrl.getScheme() + "://" + this.baseUrl.getRawAuthority() + this.basePath
				+ target).normalize();
		String path = (resolved.getRawPath() != null) ? resolved.getRawPath() : "";
		if (!Objects.equals(resolved.getRawAuthority(), this.baseUrl.getRawAuthority())
				|| !(path.equals(this.basePath) || path.startsWith(this.basePath + "/"))) {
			throw new IllegalArgumentException(
					"Target '" + target + "' leaves the base URL " + this.baseUrl + " and is refused");
		}
		return resolved;
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
		return (status instanceof org.springframework.http.HttpStatus known) ? " " + known.getReasonPhrase() : "";
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
		if (failure instanceof WebClientRequestException request) {
			Throwable cause = (request.getMostSpecificCause() != null) ? request.getMostSpecificCause() : request;
			String description = "Request failed: " + cause.getClass().getSimpleName()
					+ ((cause.getMessage() != null) ? ": " + cause.getMessage() : "");
			if (cause instanceof ConnectException && this.probe != null) {
				this.probe.reportOffline(description);
			}
			return SendResult.retryable(description);
		}
		return SendResult.retryable(failure.getClass().getSimpleName()
				+ ((failure.getMessage() != null) ? ": " + failure.getMessage() : ""));
	}

	@Override
	public String toString() {
		return "WebClientSyncTransport[" + this.baseUrl + "]";
	}

}
