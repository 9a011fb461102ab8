package io.offlinesync.receiver;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.offlinesync.batch.BatchFormat;
import io.offlinesync.batch.BatchItem;
import io.offlinesync.batch.BatchItemResult;
import io.offlinesync.test.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.tuple;

class DeliveryReceiverTests {

	private final MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");

	private final List<ReceivedOperation> handled = new ArrayList<>();

	private final DeliveryReceiver receiver = new DeliveryReceiver((operation) -> {
		switch (operation.target()) {
			case "/rejected" -> throw new RejectedOperationException("unknown note type");
			case "/later" -> throw new RetryLaterException("database busy", Duration.ofSeconds(30));
			case "/broken" -> throw new IllegalStateException("disk gone");
			case "/checked" -> throw new IOException("socket closed");
			default -> this.handled.add(operation);
		}
	}, new InMemoryIdempotencyStore(1_000, Duration.ofDays(1), this.clock));

	private static ReceivedOperation operation(String key, String target) {
		return new ReceivedOperation(key, "http.post", target, Map.of(), "{}");
	}

	@Test
	void eachOutcomeOfTheHandlerIsTheResultTheSenderRecords() {
		assertThat(this.receiver.receive(operation("k1", "/notes"))).isEqualTo(BatchItemResult.done("k1"));
		assertThat(this.receiver.receive(operation("k2", "/rejected")))
			.isEqualTo(BatchItemResult.permanent("k2", "unknown note type"));
		assertThat(this.receiver.receive(operation("k3", "/later")))
			.isEqualTo(BatchItemResult.retryable("k3", "database busy", Duration.ofSeconds(30)));
		assertThat(this.receiver.receive(operation("k4", "/broken")))
			.isEqualTo(BatchItemResult.retryable("k4", "IllegalStateException: disk gone", null));
		assertThat(this.receiver.receive(operation("k5", "/checked")))
			.isEqualTo(BatchItemResult.retryable("k5", "IOException: socket closed", null));
		assertThat(this.receiver.receive(operation("k1", "/notes"))).isEqualTo(BatchItemResult.done("k1"));
		assertThat(ReceiveOutcome.values()).extracting(this.receiver::count).containsExactly(1L, 1L, 1L, 1L, 2L);
	}

	@Test
	void aRepeatIsDoneWithoutReachingTheHandlerButAFailedOneIsHandledAgain() {
		this.receiver.receive(operation("k1", "/notes"));
		assertThat(this.receiver.receive(operation("k1", "/notes")).status()).isEqualTo(BatchItemResult.Status.DONE);
		assertThat(this.handled).hasSize(1);
		assertThat(this.receiver.receive(operation("k2", "/broken")).status())
			.isEqualTo(BatchItemResult.Status.RETRYABLE);
		assertThat(this.receiver.receive(operation("k2", "/notes")).status()).isEqualTo(BatchItemResult.Status.DONE);
		assertThat(this.handled).extracting(ReceivedOperation::idempotencyKey).containsExactly("k1", "k2");
		assertThat(this.receiver.count(ReceiveOutcome.HANDLED)).isEqualTo(2);
		assertThat(this.receiver.count(ReceiveOutcome.REPEAT)).isEqualTo(1);
	}

	@Test
	void aBatchIsHandledInOrderWithAResultForEachOperation() {
		byte[] request = BatchFormat.writeRequest(List.of(new BatchItem("a", "http.post", "/notes", Map.of(), "1"),
				new BatchItem("b", "http.post", "/rejected", Map.of(), "2"),
				new BatchItem("a", "http.post", "/notes", Map.of(), "1"),
				new BatchItem("c", "http.post", "/notes", Map.of("X-Tenant", "acme"), "3")), true);
		List<BatchItemResult> results = BatchFormat.readResponse(this.receiver.receiveBatch(request, "gzip"), null);
		assertThat(results).extracting(BatchItemResult::idempotencyKey, BatchItemResult::status)
			.containsExactly(tuple("a", BatchItemResult.Status.DONE),
					tuple("b", BatchItemResult.Status.PERMANENT),
					tuple("a", BatchItemResult.Status.DONE),
					tuple("c", BatchItemResult.Status.DONE));
		assertThat(this.handled).extracting(ReceivedOperation::payload).containsExactly("1", "3");
		assertThat(this.handled.get(1).headers()).containsEntry("X-Tenant", "acme");
	}

	@Test
	void whatIsNoBatchIsRefusedAndNothingIsHandled() {
		assertThatIllegalArgumentException().isThrownBy(() -> this.receiver.receiveBatch("{}".getBytes(), null))
			.withMessageContaining("'operations'");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new ReceivedOperation(" ", "http.post", "/notes", Map.of(), "{}"))
			.withMessageContaining("needs an idempotency key");
		assertThat(this.handled).isEmpty();
	}

}
