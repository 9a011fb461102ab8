package io.offlinesync.batch;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.offlinesync.SendResult;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class BatchFormatTests {

	@ParameterizedTest
	@ValueSource(booleans = { false, true })
	void aBatchAndItsResultsComeBackExactly(boolean gzip) {
		List<BatchItem> items = List.of(
				new BatchItem("k1", "http.post", "/notes", Map.of("X-Tenant", "acme"), "{\"text\":\"café 😀\\n\"}"),
				new BatchItem("k2", "http.delete", "/notes/7", Map.of(), ""));
		byte[] body = BatchFormat.writeRequest(items, gzip);
		assertThat(BatchFormat.readRequest(body, gzip ? "gzip" : null)).isEqualTo(items);
		List<BatchItemResult> results = List.of(BatchItemResult.done("k1"),
				BatchItemResult.retryable("k2", "busy", Duration.ofSeconds(30)),
				BatchItemResult.permanent("k3", "unknown type"));
		assertThat(BatchFormat.readResponse(BatchFormat.writeResponse(results), null)).isEqualTo(results);
	}

	@Test
	void theWireFormatIsTheDocumentedOne() {
		String body = new String(BatchFormat.writeRequest(
				List.of(new BatchItem("k1", "http.post", "/notes", Map.of(), "{}")), false), StandardCharsets.UTF_8);
		assertThat(body).isEqualTo("{\"operations\":[{\"idempotencyKey\":\"k1\",\"kind\":\"http.post\","
				+ "\"target\":\"/notes\",\"payload\":\"{}\"}]}");
		String response = new String(BatchFormat.writeResponse(
				List.of(BatchItemResult.retryable("k1", "busy", Duration.ofSeconds(5)))), StandardCharsets.UTF_8);
		assertThat(response).isEqualTo(
				"{\"results\":[{\"idempotencyKey\":\"k1\",\"status\":\"retryable\",\"reason\":\"busy\",\"retryAfter\":\"PT5S\"}]}");
	}

	@Test
	void resultsMapToTheSendersOutcomes() {
		assertThat(BatchItemResult.done("k").toSendResult().isOk()).isTrue();
		SendResult retry = BatchItemResult.retryable("k", "busy", Duration.ofSeconds(9)).toSendResult();
		assertThat(retry.outcome()).isEqualTo(SendResult.Outcome.RETRYABLE);
		assertThat(retry.retryAfter()).contains(Duration.ofSeconds(9));
		assertThat(BatchItemResult.permanent("k", "no").toSendResult().outcome()).isEqualTo(SendResult.Outcome.PERMANENT);
	}

	@Test
	void whatIsNoBatchIsRefusedSayingWhy() {
		assertThatIllegalArgumentException().isThrownBy(() -> BatchFormat.readRequest("[]".getBytes(), null))
			.withMessage("The body is not a JSON object");
		assertThatIllegalArgumentException().isThrownBy(() -> BatchFormat.readRequest("{}".getBytes(), null))
			.withMessage("A batch is an object with an array 'operations'");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> BatchFormat.readRequest("{\"operations\":[{\"kind\":\"k\"}]}".getBytes(), null))
			.withMessage("Item 1 lacks the text field 'idempotencyKey'");
		assertThatIllegalArgumentException().isThrownBy(() -> BatchFormat.readRequest("{}".getBytes(), "br"))
			.withMessageContaining("Content-Encoding 'br' is not supported");
		assertThatIllegalArgumentException().isThrownBy(() -> BatchFormat.readRequest("{}".getBytes(), "gzip"))
			.withMessageContaining("not valid gzip");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> BatchFormat.readResponse(
					"{\"results\":[{\"idempotencyKey\":\"k\",\"status\":\"maybe\"}]}".getBytes(), null))
			.withMessageContaining("unknown status 'maybe'");
	}

}
