package io.offlinesync;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.offlinesync.store.IndexedOutboxStore;
import io.offlinesync.store.InMemoryOutboxStore;
import io.offlinesync.test.ControllableNetwork;
import io.offlinesync.test.FakeTransport;
import io.offlinesync.test.SettableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

class SyncEngineTests {

	private static final Duration LONG = Duration.ofHours(1);

	private final SettableClock clock = SettableClock.startingAt("2026-01-01T00:00:00Z");

	private final InMemoryOutboxStore store = new InMemoryOutboxStore();

	private final Outbox outbox = new Outbox(this.store,
			OutboxConfig.builder().retryPolicy(RetryPolicy.builder().jitterRatio(0).build()).build(), this.clock);

	private final List<AutoCloseable> toClose = new ArrayList<>();

	@AfterEach
	void closeAll() throws Exception {
		Collections.reverse(this.toClose);
		for (AutoCloseable closeable : this.toClose) {
			closeable.close();
		}
	}

	private SyncEngine engine(SyncTransport transport, EngineConfig config) {
		return engine(this.outbox, transport, NetworkProbe.alwaysOnline(), config);
	}

	private SyncEngine engine(Outbox outbox, SyncTransport transport, NetworkProbe probe, EngineConfig config) {
		SyncEngine engine = new SyncEngine(outbox, transport, probe, config);
		this.toClose.add(engine);
		return engine;
	}

	private static void awaitUninterruptibly(CountDownLatch latch) {
		try {
			assertThat(latch.await(10, TimeUnit.SECONDS)).as("released in time").isTrue();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private Operation stored(Operation operation) {
		return this.outbox.find(operation.id()).orElseThrow();
	}

	/**
	 * During an outage the backlog shrinks: operations whose expiry passes expire without a send, are told to the
	 * listeners, and the others are delivered once the link is back.
	 */
	@Test
	void anOutageShrinksTheBacklogByExpiryAndTheRestIsDeliveredAfterIt() {
		ControllableNetwork network = new ControllableNetwork(this.clock);
		FakeTransport remote = new FakeTransport(this.clock);
		SyncEngine engine = engine(this.outbox, remote, network.probe(), EngineConfig.defaults());
		List<Operation> told = new CopyOnWriteArrayList<>();
		engine.addDeliveryListener(new DeliveryListener() {
			@Override
			public void onAttempt(Operation operation, SendResult result, Duration latency, Operation stored) {
			}

			@Override
			public void onExpired(List<Operation> expired) {
				told.addAll(expired);
			}
		});
		network.goOffline();
		List<Operation> brief = new ArrayList<>();
		for (int i = 0; i < 5; i++) {
			brief.add(this.outbox.enqueue(NewOperation.of("eta.notice", "/eta", "{}").withTimeToLive(Duration.ofMinutes(2))));
		}
		Operation lasting = this.outbox.enqueue("http.post", "/orders", "{}");
		this.clock.advance(Duration.ofMinutes(3));
		assertThat(engine.tick()).isZero();
		remote.verifyNothingSent();
		assertThat(told).extracting(Operation::id).containsExactlyInAnyOrderElementsOf(brief.stream().map(Operation::id).toList());
		assertThat(brief).allSatisfy((operation) -> assertThat(stored(operation).status()).isEqualTo(OperationStatus.EXPIRED));
		network.goOnline();
		assertThat(engine.tick()).isOne();
		remote.verifySentExactlyOnce(lasting);
		assertThat(stored(lasting).status()).isEqualTo(OperationStatus.DONE);
	}

	/**
	 * After an outage, the urgent operation enqueued last goes out in the first pass, before the 20,000 queued ahead
	 * of it; and with one send at a time, first.
	 */
	@Test
	void afterAnOutageTheHighestPriorityGoesFirst() {
		ControllableNetwork network = new ControllableNetwork(this.clock);
		FakeTransport remote = new FakeTransport(this.clock);
		SyncEngine engine = engine(this.outbox, remote, network.probe(), EngineConfig.defaults());
		network.goOffline();
		List<NewOperation> readings = new ArrayList<>();
		for (int i = 0; i < 20_000; i++) {
			readings.add(NewOperation.of("telemetry", "/readings", "{}").withPriority(2));
		}
		this.outbox.enqueueAll(readings);
		Operation alarm = this.outbox.enqueue(NewOperation.of("alarm", "/alarms", "{}").withPriority(9));
		network.goOnline();
		int sent = engine.tick();
		assertThat(sent).isLessThan(20_001);
		assertThat(stored(alarm).status()).isEqualTo(OperationStatus.DONE);
		assertThat(remote.calls().get(0).operation().id()).isEqualTo(alarm.id());
	}

	/**
	 * A batch transport gets up to its batch size per send, every result is recorded on its own (one permanent
	 * failure parks only its operation), and an ordering key holds across batches.
	 */
	@Test
	void batchesCarryUpToTheirSizeAndEachResultIsRecordedOnItsOwn() {
		FakeTransport remote = new FakeTransport(this.clock);
		remote.whenTarget("/bad").thenAnswer(SendResult.permanent("HTTP 422 for this item"));
		remote.whenTarget("/later").thenAnswer(SendResult.retryable("busy"), SendResult.ok());
		List<Operation> plain = new ArrayList<>();
		for (int i = 0; i < 240; i++) {
			plain.add(this.outbox.enqueue("http.post", "/notes", "n" + i));
		}
		Operation bad = this.outbox.enqueue("http.post", "/bad", "x");
		Operation later = this.outbox.enqueue("http.post", "/later", "y");
		List<Operation> keyed = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			keyed.add(this.outbox.enqueue(NewOperation.of("http.post", "/keyed", "k" + i).withOrderingKey("chat-1")));
		}
		SyncEngine engine = engine(remote.inBatchesOf(100), EngineConfig.builder().concurrency(2).build());
		for (int pass = 0; pass < 20 && this.outbox.stats().backlog() > 0; pass++) {
			engine.tick();
			this.clock.advance(Duration.ofMinutes(1));
		}
		assertThat(remote.batchSizes()).isNotEmpty().allSatisfy((size) -> assertThat(size).isBetween(1, 100));
		assertThat(remote.batchSizes().get(0)).isEqualTo(100);
		assertThat(plain).allSatisfy((operation) -> assertThat(stored(operation).status()).isEqualTo(OperationStatus.DONE));
		assertThat(stored(bad).status()).isEqualTo(OperationStatus.PERMANENTLY_FAILED);
		assertThat(stored(later).status()).isEqualTo(OperationStatus.DONE);
		assertThat(stored(later).attempt()).isEqualTo(2);
		remote.verifySentInOrder(keyed.toArray(Operation[]::new));
		assertThat(remote.calls()).filteredOn((call) -> call.operation().target().equals("/keyed")).hasSize(3);
	}

	/**
	 * With a linger, operations enqueued one at a time go out in one batch: the first enqueue wakes the engine only
	 * once the linger has passed, not at once with a batch of one, and those enqueued meanwhile join it.
	 */
	@Test
	void aLingerGathersOperationsEnqueuedOneAtATimeIntoOneBatch() {
		AtomicInteger claims = new AtomicInteger();
		IndexedOutboxStore counting = new IndexedOutboxStore() {
			@Override
			protected long persist(List<Operation> upserts, List<String> removals) {
				return 0;
			}

			@Override
			public List<Operation> claimReady(Instant now, int limit) {
				claims.incrementAndGet();
				return super.claimReady(now, limit);
			}
		};
		Outbox lingering = new Outbox(counting, OutboxConfig.defaults(), this.clock);
		FakeTransport remote = new FakeTransport(this.clock);
		SyncEngine engine = engine(lingering, remote.inBatchesOf(100), NetworkProbe.alwaysOnline(),
				EngineConfig.builder().linger(Duration.ofSeconds(1)).idleSleep(Duration.ofMinutes(10)).build());
		engine.start();
		// The pass at start found nothing; the next runs only when something wakes the engine.
		await().atMost(Duration.ofSeconds(10)).until(() -> claims.get() >= 1);
		lingering.enqueue("http.post", "/notes", "n0");
		await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(1)).until(() -> remote.calls().isEmpty());
		for (int i = 1; i < 10; i++) {
			lingering.enqueue("http.post", "/notes", "n" + i);
		}
		await().atMost(Duration.ofSeconds(10)).until(() -> lingering.stats().count(OperationStatus.DONE) == 10);
		assertThat(remote.batchSizes()).containsExactly(10);
	}

	/**
	 * A batch refused as a whole (a 503 for the request) is retried as a whole: its operations share one backoff,
	 * jitter and all, and go out again as one batch rather than each after its own delay.
	 */
	@Test
	void aBatchRefusedAsAWholeIsRetriedAsOneBatch() {
		RetryPolicy jittered = RetryPolicy.builder().initialDelay(Duration.ofSeconds(10)).jitterRatio(0.5).build();
		Outbox outbox = new Outbox(new InMemoryOutboxStore(), OutboxConfig.builder().retryPolicy(jittered).build(),
				this.clock);
		FakeTransport remote = new FakeTransport(this.clock);
		remote.whenTarget("/notes").thenAnswer(SendResult.retryable("HTTP 503 Service Unavailable"), SendResult.ok());
		for (int i = 0; i < 100; i++) {
			outbox.enqueue("http.post", "/notes", "n" + i);
		}
		SyncEngine engine = engine(outbox, remote.inBatchesOf(100), NetworkProbe.alwaysOnline(),
				EngineConfig.defaults());
		engine.tick();
		List<Operation> failed = outbox.list(Set.of(OperationStatus.FAILED), null, 200);
		assertThat(failed).hasSize(100);
		assertThat(failed).extracting(Operation::nextAttemptAt).containsOnly(failed.get(0).nextAttemptAt());

		this.clock.advance(Duration.ofSeconds(15));
		engine.tick();
		assertThat(outbox.stats().count(OperationStatus.DONE)).isEqualTo(100);
		assertThat(remote.batchSizes()).containsExactly(100, 100);
	}

	/** A batch that cannot reach the remote is an outage for each of its operations: none uses an attempt. */
	@Test
	void aBatchThatFindsTheRemoteGoneUsesNoAttempt() {
		FakeTransport remote = new FakeTransport(this.clock).answerByDefault(FakeTransport.connectionRefused());
		for (int i = 0; i < 30; i++) {
			this.outbox.enqueue("http.post", "/notes", "n" + i);
		}
		NetworkProbe probe = NetworkProbe.builder(() -> true).clock(this.clock).build();
		SyncEngine engine = engine(this.outbox, remote.inBatchesOf(10), probe, EngineConfig.defaults());
		engine.tick();
		assertThat(probe.status().online()).isFalse();
		assertThat(this.outbox.list(Set.of(), null, 100)).hasSize(30).allSatisfy((operation) -> {
			assertThat(operation.status()).isEqualTo(OperationStatus.PENDING);
			assertThat(operation.attempt()).isZero();
		});
	}

	@Test
	void deliveriesThatFinishTogetherAreRecordedInAFewDurableWrites() {
		List<Integer> completionBatches = new CopyOnWriteArrayList<>();
		// The first write lasts until every answer is in, as a forced write or a commit takes a while.
		CountDownLatch allAnswered = new CountDownLatch(1);
		IndexedOutboxStore counting = new IndexedOutboxStore() {
			@Override
			protected long persist(List<Operation> upserts, List<String> removals) {
				return 0;
			}

			@Override
			public List<Operation> completeAll(List<Operation> claimed, Instant now) {
				completionBatches.add(claimed.size());
				if (completionBatches.size() == 1) {
					awaitUninterruptibly(allAnswered);
				}
				return super.completeAll(claimed, now);
			}
		};
		Outbox countingOutbox = new Outbox(counting, OutboxConfig.defaults(), this.clock);
		for (int i = 0; i < 64; i++) {
			countingOutbox.enqueue("http.post", "/a", "n" + i);
		}
		CompletableFuture<SendResult> answer = new CompletableFuture<>();
		SyncEngine engine = engine(countingOutbox, (operation) -> answer, NetworkProbe.alwaysOnline(),
				EngineConfig.builder().concurrency(64).batchLimit(64).build());
		CompletableFuture<Integer> tick = CompletableFuture.supplyAsync(engine::tick);
		await().atMost(Duration.ofSeconds(10)).until(() -> engine.sendsInFlight() == 64);

		answer.complete(SendResult.ok());
		allAnswered.countDown();

		assertThat(tick.join()).isEqualTo(64);
		assertThat(countingOutbox.stats().count(OperationStatus.DONE)).isEqualTo(64);
		assertThat(completionBatches.stream().mapToInt(Integer::intValue).sum()).isEqualTo(64);
		// What arrived while the first write lasted goes into the next one.
		assertThat(completionBatches).as("writes for 64 deliveries answered at once").hasSizeLessThanOrEqualTo(2);
	}

	@Test
	void aTransportThatThrowsIsARetryableFailureNotAStuckClaim() {
		Operation operation = this.outbox.enqueue("http.post", "/a", "1");
		SyncEngine engine = engine((op) -> {
			throw new IllegalStateException("socket closed");
		}, EngineConfig.defaults());
		assertThat(engine.tick()).isEqualTo(1);
		Operation failed = stored(operation);
		assertThat(failed.status()).isEqualTo(OperationStatus.FAILED);
		assertThat(failed.lastError()).isEqualTo("IllegalStateException: socket closed");
	}

	@Test
	void aStageThatFailsOrAnswersNothingIsARetryableFailure() {
		Operation first = this.outbox.enqueue("http.post", "/fails", "1");
		Operation second = this.outbox.enqueue("http.post", "/null", "2");
		Operation third = this.outbox.enqueue("http.post", "/null-result", "3");
		SyncEngine engine = engine((op) -> switch (op.target()) {
			case "/fails" -> CompletableFuture.failedFuture(new java.io.IOException("connection reset"));
			case "/null" -> null;
			default -> CompletableFuture.completedFuture(null);
		}, EngineConfig.defaults());
		assertThat(engine.tick()).isEqualTo(3);
		assertThat(stored(first).lastError()).isEqualTo("IOException: connection reset");
		assertThat(stored(second).lastError()).isEqualTo("transport answered no result");
		assertThat(stored(third).lastError()).isEqualTo("transport answered no result");
		assertThat(List.of(stored(first), stored(second), stored(third))).extracting(Operation::status)
			.containsOnly(OperationStatus.FAILED);
	}

	@Test
	void aSendThatNeverAnswersTimesOutAsARetryableFailure() {
		Operation operation = this.outbox.enqueue("http.post", "/a", "1");
		SyncEngine engine = engine((op) -> new CompletableFuture<>(),
				EngineConfig.builder().sendTimeout(Duration.ofMillis(100)).build());
		assertThat(engine.tick()).isEqualTo(1);
		assertThat(stored(operation).status()).isEqualTo(OperationStatus.FAILED);
		assertThat(stored(operation).lastError()).isEqualTo("send timed out after 100 ms");
	}

	@Test
	void blockingSendsRunInParallelUpToTheConcurrency() {
		for (int i = 0; i < 8; i++) {
			this.outbox.enqueue("http.post", "/a", String.valueOf(i));
		}
		// Each send waits until four sends are in progress together: sequential sends would all time out.
		CyclicBarrier fourTogether = new CyclicBarrier(4);
		AtomicInteger inProgress = new AtomicInteger();
		AtomicInteger mostInProgress = new AtomicInteger();
		ExecutorService pool = Executors.newFixedThreadPool(8);
		this.toClose.add(pool::shutdownNow);
		SyncTransport transport = SyncTransport.blocking((op) -> {
			mostInProgress.accumulateAndGet(inProgress.incrementAndGet(), Math::max);
			try {
				fourTogether.await(5, TimeUnit.SECONDS);
				return SendResult.ok();
			}
			finally {
				inProgress.decrementAndGet();
			}
		}, pool);
		SyncEngine engine = engine(transport, EngineConfig.builder().concurrency(4).batchLimit(8).build());
		assertThat(engine.tick()).isEqualTo(8);
		assertThat(this.outbox.stats().count(OperationStatus.DONE)).isEqualTo(8);
		assertThat(mostInProgress).hasValue(4);
	}

	@Test
	void asynchronousSendsAreAllInFlightAtOnceWithoutAThreadEach() {
		for (int i = 0; i < 50; i++) {
			this.outbox.enqueue("http.post", "/a", String.valueOf(i));
		}
		List<CompletableFuture<SendResult>> pending = new CopyOnWriteArrayList<>();
		CountDownLatch allSent = new CountDownLatch(50);
		SyncTransport transport = (op) -> {
			CompletableFuture<SendResult> answer = new CompletableFuture<>();
			pending.add(answer);
			allSent.countDown();
			return answer;
		};
		SyncEngine engine = engine(transport, EngineConfig.builder().concurrency(50).batchLimit(50).build());
		CompletableFuture<Integer> tick = CompletableFuture.supplyAsync(engine::tick);
		await().atMost(Duration.ofSeconds(10)).until(() -> allSent.getCount() == 0);
		assertThat(engine.sendsInFlight()).isEqualTo(50);
		pending.forEach((answer) -> answer.complete(SendResult.ok()));
		assertThat(tick.join()).isEqualTo(50);
		assertThat(engine.sendsInFlight()).isZero();
	}

	@Test
	void backoffGrowsThroughTheEngineAndMaxAttemptsEndsRetrying() {
		Operation operation = this.outbox.enqueue("http.post", "/a", "1");
		FakeTransport transport = new FakeTransport().answerByDefault(SendResult.retryable("503"));
		SyncEngine engine = engine(transport, EngineConfig.defaults());
		List<Long> delays = new ArrayList<>();
		for (int attempt = 1; attempt <= 8; attempt++) {
			assertThat(engine.tick()).isEqualTo(1);
			Operation failed = stored(operation);
			assertThat(failed.attempt()).isEqualTo(attempt);
			if (failed.status() == OperationStatus.FAILED) {
				delays.add(Duration.between(this.clock.instant(), failed.nextAttemptAt()).toMillis());
				this.clock.set(failed.nextAttemptAt());
			}
		}
		assertThat(delays).containsExactly(500L, 1000L, 2000L, 4000L, 8000L, 16000L, 30000L);
		assertThat(stored(operation).status()).isEqualTo(OperationStatus.PERMANENTLY_FAILED);
		assertThat(stored(operation).lastError()).isEqualTo("gave up after 8 attempts: 503");
		for (int i = 0; i < 5; i++) {
			this.clock.advance(Duration.ofHours(1));
			assertThat(engine.tick()).isZero();
		}
		assertThat(transport.callCount()).isEqualTo(8);
	}

	@Test
	void anOutageFarLongerThanTheRetryScheduleUsesNoAttemptsAndEverythingIsDeliveredWhenItEnds() {
		// Default retry policy (its whole schedule is about a minute) and default re-check delays, ten minutes down.
		List<Operation> operations = new ArrayList<>();
		for (int i = 0; i < 30; i++) {
			operations.add(this.outbox.enqueue("http.post", "/notes", "n" + i));
		}
		AtomicBoolean remoteUp = new AtomicBoolean(false);
		AtomicInteger sendsWhileDown = new AtomicInteger();
		FakeTransport transport = new FakeTransport().answerByDefault((operation) -> {
			if (remoteUp.get()) {
				return SendResult.ok();
			}
			sendsWhileDown.incrementAndGet();
			return SendResult.unreachable("ConnectException: Connection refused");
		});
		NetworkProbe probe = NetworkProbe.builder(() -> true).clock(this.clock).build();
		SyncEngine engine = engine(this.outbox, transport, probe, EngineConfig.defaults());
		Instant outageEnds = this.clock.instant().plus(Duration.ofMinutes(10));
		while (this.clock.instant().isBefore(outageEnds)) {
			engine.tick();
			this.clock.advance(Duration.ofSeconds(1));
		}
		assertThat(probe.status().online()).isFalse();
		assertThat(operations).map(this::stored).allSatisfy((operation) -> {
			assertThat(operation.status()).isEqualTo(OperationStatus.PENDING);
			assertThat(operation.attempt()).isZero();
		});
		// One burst (as many as there are, up to the concurrency) when the outage began, then one trial send per
		// re-check, at least 15 s apart.
		int burst = Math.min(EngineConfig.DEFAULT_CONCURRENCY, operations.size());
		assertThat(sendsWhileDown.get()).isBetween(burst + 30, burst + 52);

		remoteUp.set(true);
		Instant back = this.clock.instant();
		while (this.outbox.stats().backlog() > 0) {
			engine.tick();
			this.clock.advance(Duration.ofSeconds(1));
			assertThat(Duration.between(back, this.clock.instant()))
				.isLessThanOrEqualTo(NetworkProbe.DEFAULT_RECHECK_MAX_DELAY.plusSeconds(5));
		}
		assertThat(operations).map(this::stored).allSatisfy((operation) -> {
			assertThat(operation.status()).isEqualTo(OperationStatus.DONE);
			assertThat(operation.attempt()).isEqualTo(1);
		});
		assertThat(probe.isConfirmed()).isTrue();
	}

	@Test
	void anUnreachableSendIsGivenBackWithItsAttemptsAsTheyWere() {
		Operation operation = this.outbox.enqueue("http.post", "/a", "1");
		FakeTransport transport = new FakeTransport().answerByDefault(SendResult.retryable("HTTP 503"));
		NetworkProbe probe = NetworkProbe.builder(() -> true).clock(this.clock).build();
		SyncEngine engine = engine(this.outbox, transport, probe, EngineConfig.defaults());
		engine.tick();
		this.clock.set(stored(operation).nextAttemptAt());
		transport.answerByDefault(SendResult.unreachable("UnknownHostException: api.example.com"));
		List<SendResult.Outcome> heard = new CopyOnWriteArrayList<>();
		engine.addDeliveryListener((op, result, latency, stored) -> heard.add(result.outcome()));

		assertThat(engine.tick()).isEqualTo(1);

		Operation given = stored(operation);
		assertThat(given.status()).isEqualTo(OperationStatus.FAILED);
		assertThat(given.attempt()).isEqualTo(1);
		assertThat(given.lastError()).isEqualTo("HTTP 503");
		assertThat(given.nextAttemptAt()).isEqualTo(this.clock.instant());
		assertThat(heard).containsExactly(SendResult.Outcome.UNREACHABLE);
		assertThat(probe.status().reason()).isEqualTo("UnknownHostException: api.example.com");
		assertThat(engine.tick()).as("offline: nothing is claimed").isZero();
	}

	@Test
	void aRecoveringLinkCarriesOneTrialSendUntilOneReachesTheRemote() {
		for (int i = 0; i < 10; i++) {
			this.outbox.enqueue("http.post", "/a", "n" + i);
		}
		CompletableFuture<SendResult> trialAnswer = new CompletableFuture<>();
		AtomicInteger sends = new AtomicInteger();
		SyncTransport transport = (operation) -> (sends.incrementAndGet() == 1) ? trialAnswer
				: CompletableFuture.completedFuture(SendResult.ok());
		NetworkProbe probe = NetworkProbe.builder(() -> true).clock(this.clock).build();
		probe.reportUnreachable("Connection refused");
		this.clock.advance(NetworkProbe.DEFAULT_RECHECK_INITIAL_DELAY);
		SyncEngine engine = engine(this.outbox, transport, probe, EngineConfig.defaults());
		engine.start();
		await().atMost(Duration.ofSeconds(10)).until(() -> sends.get() == 1);
		await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> sends.get() == 1);

		trialAnswer.complete(SendResult.ok());

		await().atMost(Duration.ofSeconds(10)).until(() -> this.outbox.stats().count(OperationStatus.DONE) == 10);
		assertThat(sends).hasValue(10);
		assertThat(probe.isConfirmed()).isTrue();
	}

	/**
	 * Issue 24: passes that claimed a whole batch and then waited for send slots let a concurrent sweep requeue the
	 * operations still waiting, and another pass sent them while the first one did too. Every send here succeeds, so
	 * any second send of an operation is a duplicate.
	 */
	@Test
	void concurrentPassesAndSweepsNeverSendAnOperationTwice() throws Exception {
		Outbox realTime = new Outbox(new InMemoryOutboxStore(), OutboxConfig.defaults(), Clock.systemUTC());
		for (int i = 0; i < 60; i++) {
			realTime.enqueue("http.post", "/a", "n" + i);
		}
		Map<String, AtomicInteger> sends = new ConcurrentHashMap<>();
		ScheduledExecutorService answers = Executors.newScheduledThreadPool(2);
		this.toClose.add(answers::shutdownNow);
		SyncTransport slow = (operation) -> {
			sends.computeIfAbsent(operation.id(), (id) -> new AtomicInteger()).incrementAndGet();
			CompletableFuture<SendResult> answer = new CompletableFuture<>();
			answers.schedule(() -> answer.complete(SendResult.ok()), 40, TimeUnit.MILLISECONDS);
			return answer;
		};
		SyncEngine engine = engine(realTime, slow, NetworkProbe.alwaysOnline(), EngineConfig.builder()
			.concurrency(2)
			.batchLimit(30)
			.sendTimeout(Duration.ofMillis(100))
			.inFlightTimeout(Duration.ofMillis(150))
			.build());
		ExecutorService drivers = Executors.newFixedThreadPool(4);
		this.toClose.add(drivers::shutdownNow);
		AtomicBoolean drained = new AtomicBoolean();
		List<java.util.concurrent.Future<?>> running = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			running.add(drivers.submit(() -> {
				while (!drained.get()) {
					engine.tick();
				}
			}));
		}
		running.add(drivers.submit(() -> {
			while (!drained.get()) {
				realTime.requeueStale(Duration.ofMillis(150));
			}
		}));
		await().atMost(Duration.ofSeconds(30)).until(() -> realTime.stats().backlog() == 0);
		drained.set(true);
		for (java.util.concurrent.Future<?> driver : running) {
			driver.get(10, TimeUnit.SECONDS);
		}
		assertThat(sends).hasSize(60).allSatisfy((id, count) -> assertThat(count).as(id).hasValue(1));
		assertThat(realTime.stats().count(OperationStatus.DONE)).isEqualTo(60);
	}

	@Test
	void aPausedEngineClaimsNothingButEnqueueGoesOnAndResumeDeliversAtOnce() throws Exception {
		CompletableFuture<SendResult> inFlightAnswer = new CompletableFuture<>();
		AtomicInteger sends = new AtomicInteger();
		SyncTransport transport = (operation) -> (sends.incrementAndGet() == 1) ? inFlightAnswer
				: CompletableFuture.completedFuture(SendResult.ok());
		SyncEngine engine = engine(this.outbox, transport, NetworkProbe.alwaysOnline(),
				EngineConfig.builder().idleSleep(LONG).build());
		engine.start();
		Operation first = this.outbox.enqueue("http.post", "/a", "first");
		await().atMost(Duration.ofSeconds(10)).until(() -> engine.sendsInFlight() == 1);

		engine.pause();
		assertThat(engine.isPaused()).isTrue();
		Operation second = this.outbox.enqueue("http.post", "/a", "second");
		inFlightAnswer.complete(SendResult.ok());
		// The send in flight finishes and is recorded; nothing new is claimed.
		await().atMost(Duration.ofSeconds(10)).until(() -> stored(first).status() == OperationStatus.DONE);
		await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> sends.get() == 1);
		assertThat(engine.tick()).isZero();
		assertThat(stored(second).status()).isEqualTo(OperationStatus.PENDING);

		engine.resume();
		// The idle sleep is an hour: only resume's wake-up explains a prompt delivery.
		await().atMost(Duration.ofSeconds(10)).until(() -> stored(second).status() == OperationStatus.DONE);
		assertThat(engine.isPaused()).isFalse();
	}

	@Test
	void deliveryListenersHearEveryAttemptWithItsStoredOutcome() {
		this.outbox.enqueue("http.post", "/ok", "1");
		this.outbox.enqueue("http.post", "/bad", "2");
		FakeTransport transport = new FakeTransport().whenTarget("/bad").thenAnswer(SendResult.permanent("400"));
		SyncEngine engine = engine(transport, EngineConfig.defaults());
		Map<String, OperationStatus> heard = new ConcurrentHashMap<>();
		engine.addDeliveryListener((op, result, latency, stored) -> {
			assertThat(latency.isNegative()).isFalse();
			heard.put(op.target() + " " + result.outcome(), stored.status());
		});
		engine.tick();
		assertThat(heard).containsOnly(Map.entry("/ok DELIVERED", OperationStatus.DONE),
				Map.entry("/bad PERMANENT", OperationStatus.PERMANENTLY_FAILED));
	}

	@Test
	void backgroundLoopWakesAtOnceOnEnqueue() {
		FakeTransport transport = new FakeTransport();
		SyncEngine engine = engine(this.outbox, transport, NetworkProbe.alwaysOnline(),
				EngineConfig.builder().idleSleep(LONG).build());
		engine.start();
		Operation operation = this.outbox.enqueue("http.post", "/a", "1");
		// Without the wake-up it would sleep for an hour.
		await().atMost(Duration.ofSeconds(10)).until(() -> stored(operation).status() == OperationStatus.DONE);
	}

	@Test
	void backgroundLoopWakesWhenTheNetworkComesBack() {
		AtomicBoolean up = new AtomicBoolean(false);
		NetworkProbe probe = new NetworkProbe(up::get, LONG, Clock.systemUTC());
		FakeTransport transport = new FakeTransport();
		SyncEngine engine = engine(this.outbox, transport, probe,
				EngineConfig.builder().idleSleep(LONG).offlineSleep(LONG).build());
		engine.start();
		Operation operation = this.outbox.enqueue("http.post", "/a", "1");
		await().atMost(Duration.ofSeconds(10)).until(() -> probe.lastCheckedAt() != null);
		assertThat(transport.callCount()).isZero();
		up.set(true);
		probe.refresh();
		await().atMost(Duration.ofSeconds(10)).until(() -> stored(operation).status() == OperationStatus.DONE);
	}

	@Test
	void backgroundLoopSleepsTheOfflineSleepWhileOffline() {
		AtomicInteger checks = new AtomicInteger();
		NetworkProbe probe = new NetworkProbe(() -> {
			checks.incrementAndGet();
			return false;
		}, Duration.ZERO, Clock.systemUTC());
		// Idle sleep is short: an engine that slept it while offline (as the C++ one did) would check ~50 times.
		SyncEngine engine = engine(this.outbox, new FakeTransport(), probe,
				EngineConfig.builder().idleSleep(Duration.ofMillis(10)).offlineSleep(LONG).build());
		engine.start();
		await().atMost(Duration.ofSeconds(10)).until(() -> checks.get() == 1);
		await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> checks.get() == 1);
	}

	@Test
	void closeReturnsPromptlyAndLeavesNoEngineThread() {
		SyncEngine engine = engine(new FakeTransport(), EngineConfig.builder().idleSleep(LONG).build());
		engine.start();
		await().atMost(Duration.ofSeconds(10)).until(() -> threadsOf(engine) == 1);
		long started = System.nanoTime();
		engine.close();
		assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
		await().atMost(Duration.ofSeconds(5)).until(() -> threadsOf(engine) == 0);
		assertThat(engine.isRunning()).isFalse();
	}

	@Test
	void closeLetsAnInFlightSendFinishAndRecordItsResult() throws Exception {
		CompletableFuture<SendResult> answer = new CompletableFuture<>();
		SyncEngine engine = engine((op) -> answer, EngineConfig.defaults());
		engine.start();
		Operation operation = this.outbox.enqueue("http.post", "/a", "1");
		await().atMost(Duration.ofSeconds(10)).until(() -> engine.sendsInFlight() == 1);
		CompletableFuture<Void> closing = CompletableFuture.runAsync(engine::close);
		ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
		this.toClose.add(later::shutdownNow);
		later.schedule(() -> answer.complete(SendResult.ok()), 200, TimeUnit.MILLISECONDS);
		closing.get(10, TimeUnit.SECONDS);
		assertThat(stored(operation).status()).isEqualTo(OperationStatus.DONE);
		await().atMost(Duration.ofSeconds(5)).until(() -> threadsOf(engine) == 0);
	}

	@Test
	void theLoopSurvivesAFailingStoreAndResumesWhenItRecovers() {
		AtomicBoolean diskFull = new AtomicBoolean(false);
		IndexedOutboxStore flaky = new IndexedOutboxStore() {
			@Override
			protected long persist(List<Operation> upserts, List<String> removals) {
				if (diskFull.get() && upserts.stream().anyMatch((op) -> op.status() == OperationStatus.IN_FLIGHT)) {
					throw new StoreException("No space left on device");
				}
				return 0;
			}
		};
		this.toClose.add(flaky);
		Outbox flakyOutbox = new Outbox(flaky);
		FakeTransport transport = new FakeTransport();
		SyncEngine engine = engine(flakyOutbox, transport, NetworkProbe.alwaysOnline(),
				EngineConfig.builder().idleSleep(Duration.ofMillis(20)).build());
		diskFull.set(true);
		Operation operation = flakyOutbox.enqueue("http.post", "/a", "1");
		engine.start();
		await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> engine.isRunning());
		assertThat(transport.callCount()).isZero();
		assertThat(flakyOutbox.find(operation.id()).orElseThrow().status()).isEqualTo(OperationStatus.PENDING);
		diskFull.set(false);
		await().atMost(Duration.ofSeconds(10))
			.until(() -> flakyOutbox.find(operation.id()).orElseThrow().status() == OperationStatus.DONE);
	}

	@Test
	void operationsWithAnOrderingKeyArriveInEnqueueOrderOneAtATimeWhileOthersRunInParallel() {
		Outbox realTime = new Outbox(new InMemoryOutboxStore());
		Map<String, List<String>> arrivals = new ConcurrentHashMap<>();
		Map<String, AtomicInteger> inFlightPerKey = new ConcurrentHashMap<>();
		AtomicInteger worstPerKey = new AtomicInteger();
		AtomicInteger inFlight = new AtomicInteger();
		AtomicInteger mostInFlight = new AtomicInteger();
		ScheduledExecutorService network = Executors.newScheduledThreadPool(4);
		this.toClose.add(network::shutdownNow);
		Random random = new Random(7);
		SyncTransport transport = (op) -> {
			String key = (op.orderingKey() != null) ? op.orderingKey() : "none";
			AtomicInteger perKey = inFlightPerKey.computeIfAbsent(key, (k) -> new AtomicInteger());
			int now = perKey.incrementAndGet();
			if (op.orderingKey() != null) {
				worstPerKey.accumulateAndGet(now, Math::max);
			}
			mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
			arrivals.computeIfAbsent(key, (k) -> new CopyOnWriteArrayList<>()).add(op.payload());
			CompletableFuture<SendResult> answer = new CompletableFuture<>();
			int delay;
			synchronized (random) {
				delay = random.nextInt(3);
			}
			network.schedule(() -> {
				perKey.decrementAndGet();
				inFlight.decrementAndGet();
				answer.complete(SendResult.ok());
			}, delay, TimeUnit.MILLISECONDS);
			return answer;
		};
		SyncEngine engine = engine(realTime, transport, NetworkProbe.alwaysOnline(),
				EngineConfig.builder().concurrency(8).build());
		List<NewOperation> batch = new ArrayList<>();
		for (int i = 0; i < 40; i++) {
			for (String key : new String[] { "A", "B", "C" }) {
				batch.add(NewOperation.of("http.post", "/a", key + i).withOrderingKey(key));
			}
			batch.add(NewOperation.of("http.post", "/a", "free" + i));
		}
		realTime.enqueueAll(batch);
		engine.start();
		await().atMost(Duration.ofSeconds(30)).until(() -> realTime.stats().count(OperationStatus.DONE) == 160);
		for (String key : new String[] { "A", "B", "C" }) {
			List<String> expected = new ArrayList<>();
			for (int i = 0; i < 40; i++) {
				expected.add(key + i);
			}
			assertThat(arrivals.get(key)).containsExactlyElementsOf(expected);
		}
		assertThat(arrivals.get("none")).hasSize(40);
		assertThat(worstPerKey).hasValue(1);
		assertThat(mostInFlight.get()).isGreaterThan(1).isLessThanOrEqualTo(8);
	}

	@Test
	void invalidEngineSettingsAreRefusedWithTheirName() {
		assertThatIllegalArgumentException().isThrownBy(() -> EngineConfig.builder().concurrency(0).build())
			.withMessage("'concurrency' must be at least 1 but was 0");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> EngineConfig.builder().idleSleep(Duration.ZERO).build())
			.withMessage("'idleSleep' must be positive but was PT0S");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> EngineConfig.builder().sendTimeout(Duration.ofMinutes(5)).build())
			.withMessage("'sendTimeout' (PT5M) must be shorter than 'inFlightTimeout' (PT30S)");
	}

	@Test
	void tickStampsEachResultWithTheTimeItArrived() {
		Operation operation = this.outbox.enqueue("http.post", "/a", "1");
		Instant claimedAt = this.clock.instant();
		SyncEngine engine = engine((op) -> {
			this.clock.advance(Duration.ofSeconds(3));
			return CompletableFuture.completedFuture(SendResult.ok());
		}, EngineConfig.defaults());
		engine.tick();
		// The C++ engine used one "now" for a whole batch, however long its sends took.
		assertThat(stored(operation).updatedAt()).isEqualTo(claimedAt.plusSeconds(3));
		assertThat(this.outbox.list(Set.of(OperationStatus.DONE), null, 1)).hasSize(1);
	}

	@Test
	void deliveredOperationsArePurgedOnceTheirRetentionHasPassed() {
		Operation old = this.outbox.enqueue("http.post", "/a", "old");
		SyncEngine engine = engine(new FakeTransport(), EngineConfig.builder().doneRetention(Duration.ofHours(1)).build());
		engine.tick();
		this.clock.advance(Duration.ofMinutes(59));
		Operation recent = this.outbox.enqueue("http.post", "/a", "recent");
		engine.tick();
		assertThat(this.outbox.stats().count(OperationStatus.DONE)).isEqualTo(2);
		this.clock.advance(Duration.ofMinutes(2));
		engine.tick();
		assertThat(this.outbox.find(old.id())).isEmpty();
		assertThat(this.outbox.find(recent.id())).isPresent();
	}

	@Test
	@SuppressWarnings("try") // the server is closed inside the block, to see the check fail
	void networkChecksAnswerFromARealSocket() throws Exception {
		try (java.net.ServerSocket server = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
			int port = server.getLocalPort();
			assertThat(NetworkChecks.tcp("127.0.0.1", port, Duration.ofSeconds(2)).getAsBoolean()).isTrue();
			server.close();
			assertThat(NetworkChecks.tcp("127.0.0.1", port, Duration.ofSeconds(2)).getAsBoolean()).isFalse();
			assertThat(NetworkChecks.http(java.net.URI.create("http://127.0.0.1:" + port + "/health"),
					Duration.ofSeconds(2)).getAsBoolean()).isFalse();
		}
		com.sun.net.httpserver.HttpServer http = com.sun.net.httpserver.HttpServer
			.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
		http.createContext("/health", (exchange) -> {
			exchange.sendResponseHeaders(exchange.getRequestURI().getQuery() == null ? 204 : 503, -1);
			exchange.close();
		});
		http.start();
		try {
			String base = "http://127.0.0.1:" + http.getAddress().getPort() + "/health";
			assertThat(NetworkChecks.http(java.net.URI.create(base), Duration.ofSeconds(2)).getAsBoolean()).isTrue();
			assertThat(NetworkChecks.http(java.net.URI.create(base + "?down"), Duration.ofSeconds(2)).getAsBoolean())
				.isFalse();
		}
		finally {
			http.stop(0);
		}
		assertThatIllegalArgumentException()
			.isThrownBy(() -> NetworkChecks.http(java.net.URI.create("/relative"), Duration.ofSeconds(1)))
			.withMessageContaining("absolute http or https URL");
	}

	private static long threadsOf(SyncEngine engine) {
		return Thread.getAllStackTraces()
			.keySet()
			.stream()
			.filter((thread) -> thread.getName().startsWith(engine.threadNamePrefix()) && thread.isAlive())
			.count();
	}

}
