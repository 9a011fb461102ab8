package io.offlinesync;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.util.concurrent.CompletionException;

import javax.net.ssl.SSLHandshakeException;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SendResultTests {

	@Test
	void failuresToConnectAreUnreachableWhereverTheyAreInTheCauseChain() {
		assertThat(SendResult.ofFailure(new ConnectException("Connection refused")))
			.isEqualTo(SendResult.unreachable("ConnectException: Connection refused"));
		assertThat(SendResult.ofFailure(new CompletionException(new IOException("wrapped",
				new UnknownHostException("api.example.com")))))
			.isEqualTo(SendResult.unreachable("UnknownHostException: api.example.com"));
		assertThat(SendResult.ofFailure(new NoRouteToHostException("No route to host")).outcome())
			.isEqualTo(SendResult.Outcome.UNREACHABLE);
		assertThat(SendResult.ofFailure(new HttpConnectTimeoutException("HTTP connect timed out")).outcome())
			.isEqualTo(SendResult.Outcome.UNREACHABLE);
		assertThat(SendResult.ofFailure(new SSLHandshakeException("Remote host terminated the handshake")).outcome())
			.isEqualTo(SendResult.Outcome.UNREACHABLE);
	}

	@Test
	void failuresAfterTheConnectionWasMadeAreRetryableAttempts() {
		assertThat(SendResult.ofFailure(new CompletionException(new IOException("Connection reset by peer"))))
			.isEqualTo(SendResult.retryable("IOException: Connection reset by peer"));
		assertThat(SendResult.ofFailure(new IllegalStateException()))
			.isEqualTo(SendResult.retryable("IllegalStateException"));
	}

}
