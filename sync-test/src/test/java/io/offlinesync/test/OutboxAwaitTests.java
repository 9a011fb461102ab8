package io.offlinesync.test;

import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.offlinesync.EngineConfig;
import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.OutboxConfig;
import io.offlinesync.RetryPolicy;
import io.offlinesync.SyncEngine;
import io.offlinesync.store.InMemoryOutboxStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class OutboxAwaitTests {

	private final SettableClock clock = SettableClock.startingAt("2026-01-01T00:00:00Z");

	private final Outbox outbox = new Outbox(new InMemoryOutboxStore(),
			OutboxConfig.builder().retryPolicy(RetryPolicy.builder().maxAttempts(2).jitterRatio(0).build()).build(),
			this.clock);

	private final ControllableNetwork network = new ControllableNetwork(this.clock);

	private final FakeTransport transport = new FakeTransport(this.clock);

	private final SyncEngine engine = new SyncEngine(this.outbox, this.transport, this.network.probe(),
			EngineConfig.builder().idleSleep(Duration.ofHours(1)).build());

	@AfterEach
	void stop() {
		this.engine.close();
	}

	@Test
	void waitsForTheBackgroundEngineAndReturnsTheFinalStates() {
		this.transport.whenTarget("/bad").thenAnswer(FakeTransport.http(400));
		this.engine.start();
		Operation good = this.outbox.enqueue("http.post", "/notes", "{}");
		Operation bad = this.outbox.enqueue("http.post", "/bad", "{}");
		assertThat(OutboxAwait.on(this.outbox).untilDelivered(good)).extracting(Operation::status)
			.containsExactly(OperationStatus.DONE);
		assertThat(OutboxAwait.on(this.outbox).untilParked(bad)).extracting(Operation::lastError)
			.containsExactly("HTTP 400");
		OutboxAwait.on(this.outbox).untilBacklogEmpty();
	}

	@Test
	void aTimeoutSaysWhatIsPendingAndWhy() {
		this.transport.answerByDefault(FakeTransport.http(503));
		Operation note = this.outbox.enqueue("http.post", "/notes", "{}");
		this.engine.tick();
		assertThatExceptionOfType(AssertionError.class)
			.isThrownBy(() -> OutboxAwait.on(this.outbox).atMost(Duration.ofMillis(50)).untilDelivered(note))
			.withMessageContaining("Timed out after PT0.05S waiting until delivered: 1 of 1 operations are not")
			.withMessageContaining(note.id() + " http.post /notes: FAILED, attempt 1, next attempt at "
					+ this.clock.instant().plusMillis(500) + ", last error: HTTP 503");
		this.network.goOffline();
		assertThatExceptionOfType(AssertionError.class)
			.isThrownBy(() -> OutboxAwait.on(this.outbox).atMost(Duration.ofMillis(50)).untilBacklogEmpty())
			.withMessageContaining("1 operations are still to be delivered");
	}

	@Test
	void waitingForAnOperationThatCanNeverGetThereFailsAtOnce() {
		this.transport.answerByDefault(FakeTransport.http(404));
		Operation note = this.outbox.enqueue("http.post", "/notes", "{}");
		this.engine.tick();
		assertThatExceptionOfType(AssertionError.class)
			.isThrownBy(() -> OutboxAwait.on(this.outbox).atMost(Duration.ofMinutes(1)).untilDelivered(note))
			.withMessageContaining("will never be delivered: it is PERMANENTLY_FAILED");
	}

}
