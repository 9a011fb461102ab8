package io.offlinesync;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Ready-made checks for a {@link NetworkProbe}.
 *
 * @since 0.1.0
 */
public final class NetworkChecks {

	private NetworkChecks() {
	}

	/**
	 * Online when an HTTP {@code HEAD} of the URL gets any answer below 500 within the timeout.
	 * @param url an absolute http or https URL
	 * @param timeout the connect and response timeout; positive
	 * @return the check
	 */
	public static BooleanSupplier http(URI url, Duration timeout) {
		Objects.requireNonNull(url, "'url' must not be null");
		if (!url.isAbsolute() || !("http".equals(url.getScheme()) || "https".equals(url.getScheme()))) {
			throw new IllegalArgumentException("'url' must be an absolute http or https URL but was " + url);
		}
		requirePositive(timeout);
		HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).build();
		HttpRequest request = HttpRequest.newBuilder(url)
			.timeout(timeout)
			.method("HEAD", HttpRequest.BodyPublishers.noBody())
			.build();
		return () -> {
			try {
				return client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() < 500;
			}
			catch (IOException ex) {
				return false;
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return false;
			}
		};
	}

	/**
	 * Online when a TCP connection to the host and port opens within the timeout.
	 * @param host the host name or address
	 * @param port the port, 1 to 65535
	 * @param timeout the connect timeout; positive
	 * @return the check
	 */
	public static BooleanSupplier tcp(String host, int port, Duration timeout) {
		if (host == null || host.isBlank()) {
			throw new IllegalArgumentException("'host' must not be blank");
		}
		if (port < 1 || port > 65535) {
			throw new IllegalArgumentException("'port' must be between 1 and 65535 but was " + port);
		}
		requirePositive(timeout);
		return () -> {
			try (Socket socket = new Socket()) {
				socket.connect(new InetSocketAddress(host, port), (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
				return true;
			}
			catch (IOException ex) {
				return false;
			}
		};
	}

	private static void requirePositive(Duration timeout) {
		Objects.requireNonNull(timeout, "'timeout' must not be null");
		if (timeout.isNegative() || timeout.isZero()) {
			throw new IllegalArgumentException("'timeout' must be positive but was " + timeout);
		}
	}

}
