package io.offlinesync.test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

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

class ManualSyncEngineTests {

	private final SettableClock clock = SettableClock.startingAt("2026-01-01T00:00:00Z");

	private final Outbox outbox = new Outbox(new InMemoryOutboxStore(), OutboxConfig.builder()
		.retryPolicy(RetryPolicy.builder().maxAttempts(4).jitterRatio(0).build())
		.build(), this.clock);

	private final ControllableNetwork network = new ControllableNetwork(this.clock);

	private final FakeTransport transport = new FakeTransport(this.clock);

	private final ManualSyncEngine manual = new ManualSyncEngine(
			new SyncEngine(this.outbox, this.transport, this.network.probe(), EngineConfig.defaults()), this.outbox,
			this.clock);

	@Test
	void aWholeRetryScheduleRunsOnTheSettableClockWithoutWaiting() {
		this.transport.answerByDefault(FakeTransport.http(503));
		Operation note = this.outbox.enqueue("http.post", "/notes", "{}");

		this.manual.runUntilIdle();

		List<Duration> delays = new ArrayList<>();
		List<FakeTransport.Call> calls = this.transport.callsFor(note);
		for (int i = 1; i < calls.size(); i++) {
			delays.add(Duration.between(calls.get(i - 1).at(), calls.get(i).at()));
		}
		// Three failures 0.5 s, 1 s and 2 s apart, then the fourth and last attempt parks it.
		assertThat(delays).containsExactly(Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2));
		Operation parked = this.outbox.find(note.id()).orElseThrow();
		assertThat(parked.status()).isEqualTo(OperationStatus.PERMANENTLY_FAILED);
		assertThat(parked.lastError()).isEqualTo("gave up after 4 attempts: HTTP 503");
	}

	@Test
	void offlineItStopsWithTheOperationsWaitingAndOnlineItDeliversThem() {
		Operation note = this.outbox.enqueue("http.post", "/notes", "{}");
		this.network.goOffline();
		this.manual.runUntilIdle();
		this.transport.verifyNothingSent();
		assertThat(this.manual.nextAttemptAt()).contains(note.nextAttemptAt());

		this.network.goOnline();
		this.manual.runUntilIdle();
		this.transport.verifySentExactlyOnce(note);
		assertThat(this.manual.nextAttemptAt()).isEmpty();
	}

}
