package io.offlinesync.test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.offlinesync.Operation;
import io.offlinesync.SendResult;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class FakeTransportTests {

	private final SettableClock clock = SettableClock.startingAt("2026-01-01T00:00:00Z");

	private int ids;

	private Operation operation(String kind, String target) {
		return Operation.builder()
			.id(String.format("0190f000-0000-7000-8000-%012d", ++this.ids))
			.kind(kind)
			.target(target)
			.payload("{}")
			.headers(Map.of())
			.createdAt(this.clock.instant())
			.build();
	}

	private static SendResult send(FakeTransport transport, Operation operation) throws Exception {
		return transport.send(operation).toCompletableFuture().get(10, TimeUnit.SECONDS);
	}

	@Test
	void rulesMatchInTheOrderGivenThenTheDefaultAnswers() throws Exception {
		FakeTransport transport = new FakeTransport(this.clock).whenTarget("/notes/1")
			.thenAnswer(FakeTransport.http(404))
			.whenKind("http.delete")
			.thenAnswer(FakeTransport.http(410))
			.when((operation) -> operation.target().startsWith("/slow"))
			.thenAnswer(FakeTransport.http(503))
			.answerByDefault(FakeTransport.http(201));
		assertThat(send(transport, operation("http.delete", "/notes/1"))).isEqualTo(SendResult.permanent("HTTP 404"));
		assertThat(send(transport, operation("http.delete", "/notes/2"))).isEqualTo(SendResult.permanent("HTTP 410"));
		assertThat(send(transport, operation("http.post", "/slow/3"))).isEqualTo(SendResult.retryable("HTTP 503"));
		assertThat(send(transport, operation("http.post", "/notes"))).isEqualTo(SendResult.ok());
	}

	@Test
	void eachOperationGoesThroughTheSequenceOnItsOwnAndTheLastAnswerRepeats() throws Exception {
		FakeTransport transport = new FakeTransport(this.clock).whenTarget("/notes")
			.thenAnswer(FakeTransport.http(503), FakeTransport.http(429, Duration.ofSeconds(30)),
					FakeTransport.http(201));
		Operation first = operation("http.post", "/notes");
		Operation second = operation("http.post", "/notes");
		assertThat(send(transport, first).error()).isEqualTo("HTTP 503");
		assertThat(send(transport, second).error()).isEqualTo("HTTP 503");
		assertThat(send(transport, first).retryAfter()).contains(Duration.ofSeconds(30));
		assertThat(send(transport, first).isOk()).isTrue();
		assertThat(send(transport, first).isOk()).isTrue();
		assertThat(transport.callsFor(first)).extracting(FakeTransport.Call::result)
			.containsExactly(SendResult.retryable("HTTP 503"), SendResult.retryable("HTTP 429", Duration.ofSeconds(30)),
					SendResult.ok(), SendResult.ok());
	}

	@Test
	void aRuleWithLatencyKeepsTheSendInFlightUntilItPasses() throws Exception {
		FakeTransport transport = new FakeTransport(this.clock).whenTarget("/slow")
			.withLatency(Duration.ofMillis(200))
			.thenAnswer(SendResult.ok());
		CompletableFuture<SendResult> slow = transport.send(operation("http.post", "/slow")).toCompletableFuture();
		CompletableFuture<SendResult> fast = transport.send(operation("http.post", "/fast")).toCompletableFuture();
		assertThat(fast).isCompletedWithValue(SendResult.ok());
		assertThat(slow).isNotDone();
		assertThat(slow.get(10, TimeUnit.SECONDS)).isEqualTo(SendResult.ok());
	}

	@Test
	void everyCallIsRecordedWithItsAttemptAndTime() throws Exception {
		FakeTransport transport = new FakeTransport(this.clock);
		Operation note = operation("http.post", "/notes").toBuilder().attempt(2).build();
		send(transport, note);
		this.clock.advance(Duration.ofSeconds(5));
		send(transport, note.toBuilder().attempt(3).build());
		assertThat(transport.calls()).extracting(FakeTransport.Call::attempt, FakeTransport.Call::at)
			.containsExactly(org.assertj.core.groups.Tuple.tuple(2, this.clock.instant().minusSeconds(5)),
					org.assertj.core.groups.Tuple.tuple(3, this.clock.instant()));
		assertThat(transport.callCount()).isEqualTo(2);
		transport.reset();
		transport.verifyNothingSent();
	}

	@Test
	void verificationsSayWhatWasSent() throws Exception {
		FakeTransport transport = new FakeTransport(this.clock);
		Operation a = operation("http.post", "/a");
		Operation b = operation("http.post", "/b");
		Operation c = operation("http.post", "/c");
		send(transport, b);
		send(transport, a);
		send(transport, b);
		transport.verifySentInOrder(b, a);
		assertThatExceptionOfType(AssertionError.class).isThrownBy(transport::verifyNothingSent)
			.withMessageContaining("3 calls were made")
			.withMessageContaining(b.id() + " http.post /b attempt 0");
		assertThatExceptionOfType(AssertionError.class).isThrownBy(() -> transport.verifySentExactlyOnce(a, b, c))
			.withMessageContaining(b.id() + " (http.post /b) was sent 2 times")
			.withMessageContaining(c.id() + " (http.post /c) was sent 0 times")
			.withMessageNotContaining(a.id() + " (http.post /a) was sent");
		assertThatExceptionOfType(AssertionError.class).isThrownBy(() -> transport.verifySentInOrder(a, b))
			.withMessageContaining("Expected first sends in the order " + List.of(a.id(), b.id()));
	}

}
