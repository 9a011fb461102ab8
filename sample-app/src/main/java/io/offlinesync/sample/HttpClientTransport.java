package io.offlinesync.sample;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

import io.offlinesync.Operation;
import io.offlinesync.SendResult;
import io.offlinesync.SyncTransport;

/**
 * A minimal transport on the JDK's HTTP client for the demo: {@code http.post} of the payload to base URL + target.
 * The Spring Boot starter brings the full WebClient transport.
 */
final class HttpClientTransport implements SyncTransport {

	private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

	private final URI baseUri;

	HttpClientTransport(URI baseUri) {
		this.baseUri = baseUri;
	}

	@Override
	public CompletionStage<SendResult> send(Operation operation) {
		HttpRequest request = HttpRequest.newBuilder(this.baseUri.resolve(operation.target()))
			.timeout(Duration.ofSeconds(5))
			.header("Content-Type", "application/json")
			.header("Idempotency-Key", operation.idempotencyKey())
			.POST(HttpRequest.BodyPublishers.ofString(operation.payload()))
			.build();
		return this.client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).thenApply((response) -> {
			int status = response.statusCode();
			if (status >= 200 && status < 300) {
				return SendResult.ok();
			}
			if (status == 408 || status == 425 || status == 429 || status >= 500) {
				return SendResult.retryable("HTTP " + status);
			}
			return SendResult.permanent("HTTP " + status);
		});
	}

}
