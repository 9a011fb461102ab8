package io.offlinesync;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.offlinesync.store.OutboxStore;
import io.offlinesync.store.file.FileOutboxStore;
import io.offlinesync.test.FakeTransport;
import io.offlinesync.test.SettableClock;
import io.offlinesync.test.StoreKind;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The four examples of the reference guide (offline-first-sync.md), plus its offline example, each against every
 * store, with the guide's fake transport.
 */
class ReferenceScenariosTests {

	@TempDir
	Path directory;

	private final SettableClock clock = SettableClock.startingAt("2026-01-01T00:00:00Z");

	private final FakeTransport transport = new FakeTransport();

	private final AtomicBoolean networkUp = new AtomicBoolean(true);

	private final NetworkProbe probe = new NetworkProbe(this.networkUp::get, Duration.ofSeconds(1), this.clock);

	private OutboxStore store;

	private Outbox outbox;

	private SyncEngine engine;

	@AfterEach
	void close() {
		this.store.close();
	}

	private void open(StoreKind kind, EngineConfig config) {
		this.store = kind.open(this.directory);
		wire(config);
	}

	private void restart(StoreKind kind, EngineConfig config) {
		this.store = kind.reopen(this.store, this.directory);
		wire(config);
	}

	private void wire(EngineConfig config) {
		RetryPolicy retry = RetryPolicy.builder().jitterRatio(0).build();
		this.outbox = new Outbox(this.store, OutboxConfig.builder().retryPolicy(retry).build(), this.clock);
		this.engine = new SyncEngine(this.outbox, this.transport, this.probe, config);
	}

	private Operation enqueueMessage() {
		return this.outbox.enqueue("http.post", "/api/messages", "{\"text\":\"hello offline\"}");
	}

	private OperationStatus status(Operation operation) {
		return this.outbox.find(operation.id()).orElseThrow().status();
	}

	@ParameterizedTest
	@EnumSource(StoreKind.class)
	void smokeEnqueueThenOneTickDelivers(StoreKind kind) {
		open(kind, EngineConfig.builder().batchLimit(10).build());
		Operation operation = enqueueMessage();
		assertThat(this.engine.tick()).isEqualTo(1);
		Operation delivered = this.outbox.find(operation.id()).orElseThrow();
		assertThat(delivered.status()).isEqualTo(OperationStatus.DONE);
		assertThat(delivered.attempt()).isEqualTo(1);
		assertThat(delivered.lastError()).isNull();
		assertThat(this.transport.calls().stream().map(FakeTransport.Call::operation).toList()).extracting(Operation::id).containsExactly(operation.id());
		assertThat(this.transport.calls().stream().map(FakeTransport.Call::operation).toList().get(0).status()).isEqualTo(OperationStatus.IN_FLIGHT);
	}

	@ParameterizedTest
	@EnumSource(StoreKind.class)
	void retryableFailureIsRetriedAfterTheBackoffThenSucceeds(StoreKind kind) {
		open(kind, EngineConfig.builder().batchLimit(10).build());
		AtomicInteger calls = new AtomicInteger();
		this.transport.answerByDefault(
				(operation) -> (calls.incrementAndGet() == 1) ? SendResult.retryable("503 Service Unavailable")
						: SendResult.ok());
		Operation operation = enqueueMessage();

		assertThat(this.engine.tick()).isEqualTo(1);
		Operation failed = this.outbox.find(operation.id()).orElseThrow();
		assertThat(failed.status()).isEqualTo(OperationStatus.FAILED);
		assertThat(failed.lastError()).isEqualTo("503 Service Unavailable");
		assertThat(failed.nextAttemptAt()).isEqualTo(this.clock.instant().plusMillis(500));

		assertThat(this.engine.tick()).isZero();
		assertThat(this.transport.callCount()).isEqualTo(1);

		this.clock.advance(Duration.ofSeconds(10));
		restart(kind, EngineConfig.builder().batchLimit(10).build());
		assertThat(this.engine.tick()).isEqualTo(1);
		assertThat(status(operation)).isEqualTo(OperationStatus.DONE);
		assertThat(this.transport.callCount()).isEqualTo(2);
	}

	@ParameterizedTest
	@EnumSource(StoreKind.class)
	void permanentFailureIsParkedAndNeverRetried(StoreKind kind) {
		open(kind, EngineConfig.builder().batchLimit(10).idleSleep(Duration.ofMillis(1)).build());
		this.transport.whenTarget("/api/messages").thenAnswer(SendResult.permanent("bad request (permanent)"));
		Operation operation = enqueueMessage();

		assertThat(this.engine.tick()).isEqualTo(1);
		assertThat(this.transport.callCount()).isEqualTo(1);
		Operation parked = this.outbox.find(operation.id()).orElseThrow();
		assertThat(parked.status()).isEqualTo(OperationStatus.PERMANENTLY_FAILED);
		assertThat(parked.lastError()).contains("permanent");

		this.clock.advance(Duration.ofDays(1));
		assertThat(this.engine.tick()).isZero();
		assertThat(this.transport.callCount()).isEqualTo(1);
		assertThat(status(operation)).isEqualTo(OperationStatus.PERMANENTLY_FAILED);
	}

	@ParameterizedTest
	@EnumSource(StoreKind.class)
	void claimWithoutCompletionIsRequeuedAfterTheInFlightTimeoutOrARestartThenDelivered(StoreKind kind) {
		EngineConfig config = EngineConfig.builder()
			.batchLimit(10)
			.inFlightTimeout(Duration.ofMillis(50))
			.sendTimeout(Duration.ofMillis(40))
			.build();
		open(kind, config);
		Operation operation = enqueueMessage();
		Operation claimed = this.outbox.claim(operation.id());
		assertThat(claimed.status()).isEqualTo(OperationStatus.IN_FLIGHT);

		// The claimer "crashes": a restart with the claim still recorded.
		restart(kind, config);
		if (kind == StoreKind.FILE) {
			// Issue 24: the reopened file store holds the directory's lock, which proves the claimer gone, so the
			// first pass requeues and delivers the operation without waiting for the in-flight timeout.
			assertThat(((FileOutboxStore) this.store).recovery().requeuedClaims()).isEqualTo(1);
		}
		else {
			this.clock.advance(Duration.ofMillis(49));
			assertThat(this.engine.tick()).isZero();
			assertThat(status(operation)).isEqualTo(OperationStatus.IN_FLIGHT);
			this.clock.advance(Duration.ofMillis(11));
		}
		assertThat(this.engine.tick()).isEqualTo(1);
		Operation delivered = this.outbox.find(operation.id()).orElseThrow();
		assertThat(delivered.status()).isEqualTo(OperationStatus.DONE);
		assertThat(delivered.attempt()).isEqualTo(2);
		assertThat(this.transport.callCount()).isEqualTo(1);
	}

	@ParameterizedTest
	@EnumSource(StoreKind.class)
	void offlineSendsNothingAndTheReturnOfTheNetworkIsSeenAtOnce(StoreKind kind) {
		open(kind, EngineConfig.builder().batchLimit(10).build());
		this.networkUp.set(false);
		Operation operation = enqueueMessage();
		assertThat(this.engine.tick()).isZero();
		assertThat(this.transport.callCount()).isZero();
		assertThat(status(operation)).isEqualTo(OperationStatus.PENDING);

		// The C++ engine's example 08 failed here: its probe kept the cached "offline" for a whole interval.
		this.networkUp.set(true);
		this.clock.advance(Duration.ofMillis(1));
		this.probe.refresh();
		assertThat(this.engine.tick()).isEqualTo(1);
		assertThat(status(operation)).isEqualTo(OperationStatus.DONE);
	}

	@ParameterizedTest
	@EnumSource(StoreKind.class)
	void staleClaimsAreRequeuedEvenWhileOffline(StoreKind kind) {
		EngineConfig config = EngineConfig.builder()
			.inFlightTimeout(Duration.ofSeconds(2))
			.sendTimeout(Duration.ofSeconds(1))
			.build();
		open(kind, config);
		Operation operation = enqueueMessage();
		this.outbox.claim(operation.id());
		this.networkUp.set(false);
		this.clock.advance(Duration.ofSeconds(3));
		assertThat(this.engine.tick()).isZero();
		assertThat(status(operation)).isEqualTo(OperationStatus.FAILED);
		assertThat(this.transport.callCount()).isZero();
	}

}
