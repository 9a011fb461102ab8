package io.offlinesync.store;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.offlinesync.InvalidOperationException;
import io.offlinesync.NewOperation;
import io.offlinesync.Operation;
import io.offlinesync.OperationFilter;
import io.offlinesync.OperationNotFoundException;
import io.offlinesync.OperationStateException;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.OutboxConfig;
import io.offlinesync.OutboxStats;
import io.offlinesync.RetryPolicy;
import io.offlinesync.SendResult;
import io.offlinesync.StoreException;
import io.offlinesync.test.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The behaviour every {@link OutboxStore} must have. A store's test class extends this and says how to create and
 * reopen its store; durable stores are also checked across a reopen.
 */
public abstract class AbstractOutboxStoreContractTests {

	protected final MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");

	protected OutboxStore store;

	protected Outbox outbox;

	/** @return a new, empty store */
	protected abstract OutboxStore createStore() throws Exception;

	/**
	 * Close the store and open it again from what it persisted. A store that persists nothing returns itself, so
	 * that the other checks still run against it.
	 * @return the reopened store
	 */
	protected abstract OutboxStore reopen(OutboxStore store) throws Exception;

	@BeforeEach
	void openStore() throws Exception {
		this.store = createStore();
		this.outbox = outboxOn(this.store);
	}

	@AfterEach
	void closeStore() {
		this.store.close();
	}

	private Outbox outboxOn(OutboxStore store) {
		RetryPolicy retry = RetryPolicy.builder().jitterRatio(0).build();
		return new Outbox(store, OutboxConfig.builder().retryPolicy(retry).build(), this.clock);
	}

	protected void reopenStore() throws Exception {
		this.store = reopen(this.store);
		this.outbox = outboxOn(this.store);
	}

	private Operation stored(String id) {
		return this.store.find(id).orElseThrow();
	}

	@Test
	void enqueuedOperationIsFoundWithEveryField() throws Exception {
		Operation enqueued = this.outbox.enqueue(NewOperation.of("http.put", "/api/notes/7", "{\"text\":\"hi\"}")
			.withHeader("X-Tenant", "acme")
			.withIdempotencyKey("note-7-v2")
			.withOrderingKey("note-7"));
		reopenStore();
		Operation found = stored(enqueued.id());
		assertThat(found).isEqualTo(enqueued);
		assertThat(found.status()).isEqualTo(OperationStatus.PENDING);
		assertThat(found.attempt()).isZero();
		assertThat(found.headers()).containsExactly(Map.entry("X-Tenant", "acme"));
		assertThat(found.idempotencyKey()).isEqualTo("note-7-v2");
		assertThat(found.orderingKey()).isEqualTo("note-7");
		assertThat(found.createdAt()).isEqualTo(this.clock.instant());
	}

	@Test
	void idempotencyKeyDefaultsToTheId() {
		Operation enqueued = this.outbox.enqueue("http.post", "/api/messages", "{}");
		assertThat(enqueued.idempotencyKey()).isEqualTo(enqueued.id());
	}

	static Stream<String> unusualPayloads() {
		return Stream.of("", "plain", "emoji 😀🎉 and flags 🇫🇷", "control \u0000\u0001\u001f\u007f chars",
				"line\nbreaks\r\nand\ttabs", "quotes \" and \\ backslashes \\\" \\n", "\u2028\u2029 separators",
				"中文 العربية עברית", "e\u0301 combining", "{\"json\": [1, 2, {\"nested\": null}]}", "\uFEFFbom",
				"max bmp \uFFFF and supplementary \uD834\uDD1E");
	}

	@ParameterizedTest
	@MethodSource("unusualPayloads")
	void anyValidUnicodePayloadRoundTripsExactly(String payload) throws Exception {
		Operation enqueued = this.outbox.enqueue("http.post", "/api/messages", payload);
		reopenStore();
		assertThat(stored(enqueued.id()).payload()).isEqualTo(payload);
	}

	@Test
	void insertOfABatchThatRepeatsAnIdIsRefusedAndStoresNothing() {
		Operation a = Operation.builder().id("0000-a").kind("k").target("/t").createdAt(this.clock.instant()).build();
		Operation b = a.toBuilder().id("0000-b").build();
		assertThatThrownBy(() -> this.store.insert(List.of(a, a)))
			.isInstanceOf(IllegalArgumentException.class)
			.hasMessageContaining("0000-a");
		assertThatThrownBy(() -> this.store.insert(List.of(b, a, b)))
			.isInstanceOf(IllegalArgumentException.class)
			.hasMessageContaining("0000-b");
		assertThat(this.store.find("0000-a")).isEmpty();
		assertThat(this.store.find("0000-b")).isEmpty();
		this.store.insert(List.of(a, b));
		assertThat(this.store.find("0000-b")).isPresent();
	}

	@Test
	void insertOfAnIdAlreadyStoredIsRefusedAndStoresNothing() {
		Operation first = this.outbox.enqueue("http.post", "/a", "1");
		Operation fresh = first.toBuilder().payload("other").build();
		Operation other = Operation.builder()
			.id("0000-new")
			.kind("k")
			.target("/t")
			.createdAt(this.clock.instant())
			.build();
		assertThatThrownBy(() -> this.store.insert(List.of(other, fresh)))
			.isInstanceOf(IllegalArgumentException.class)
			.hasMessageContaining(first.id());
		// The greatest id stored, alone: a batch must come after it to be new.
		assertThatThrownBy(() -> this.store.insert(List.of(fresh)))
			.isInstanceOf(IllegalArgumentException.class)
			.hasMessageContaining(first.id());
		assertThat(this.store.find("0000-new")).isEmpty();
		assertThat(stored(first.id()).payload()).isEqualTo("1");
	}

	@Test
	void enqueueAllStoresEveryOperationInOrder() throws Exception {
		List<Operation> stored = this.outbox.enqueueAll(List.of(NewOperation.of("http.post", "/a", "1"),
				NewOperation.of("http.post", "/b", "2"), NewOperation.of("http.post", "/c", "3")));
		reopenStore();
		assertThat(stored).extracting(Operation::id).isSorted().doesNotHaveDuplicates();
		assertThat(this.outbox.list(Set.of(), null, 10)).containsExactlyElementsOf(stored);
	}

	@Test
	void claimReadyTakesTheOldestDueOperationsUpToTheLimit() {
		List<String> ids = Stream.of("1", "2", "3", "4")
			.map((payload) -> {
				Operation operation = this.outbox.enqueue("http.post", "/a", payload);
				this.clock.advance(Duration.ofMillis(1));
				return operation.id();
			})
			.toList();
		List<Operation> claimed = this.outbox.claimReady(3);
		assertThat(claimed).extracting(Operation::id).containsExactlyElementsOf(ids.subList(0, 3));
		assertThat(claimed).allSatisfy((operation) -> {
			assertThat(operation.status()).isEqualTo(OperationStatus.IN_FLIGHT);
			assertThat(operation.attempt()).isEqualTo(1);
			assertThat(operation.claimToken()).isNotBlank();
			assertThat(stored(operation.id())).isEqualTo(operation);
		});
		assertThat(this.outbox.claimReady(3)).extracting(Operation::id).containsExactly(ids.get(3));
		assertThat(this.outbox.claimReady(3)).isEmpty();
	}

	@Test
	void claimTokensAreUniquePerClaim() {
		Operation operation = this.outbox.enqueue("http.post", "/a", "1");
		Operation first = this.outbox.claim(operation.id());
		this.outbox.markFailed(first, SendResult.retryable("boom"));
		this.clock.advance(Duration.ofMinutes(1));
		Operation second = this.outbox.claim(operation.id());
		assertThat(second.claimToken()).isNotEqualTo(first.claimToken());
		assertThat(second.attempt()).isEqualTo(2);
	}

	@Test
	void operationsNotYetDueAreNotClaimed() {
		Operation operation = this.outbox.enqueue("http.post", "/a", "1");
		Operation failed = this.outbox.markFailed(this.outbox.claim(operation.id()), SendResult.retryable("503"));
		assertThat(failed.nextAttemptAt()).isEqualTo(this.clock.instant().plusMillis(500));
		assertThat(this.outbox.claimReady(10)).isEmpty();
		assertThatThrownBy(() -> this.outbox.claim(operation.id())).isInstanceOf(OperationStateException.class)
			.hasMessageContaining("not due until " + failed.nextAttemptAt());
		this.clock.advance(Duration.ofMillis(500));
		assertThat(this.outbox.claimReady(10)).extracting(Operation::id).containsExactly(operation.id());
	}

	@Test
	void claimOfAnInFlightOrFinishedOperationIsRefusedAndChangesNothing() {
		Operation operation = this.outbox.enqueue("http.post", "/a", "1");
		Operation claimed = this.outbox.claim(operation.id());
		assertThatThrownBy(() -> this.outbox.claim(operation.id())).isInstanceOf(OperationStateException.class)
			.hasMessageContaining("its status is IN_FLIGHT");
		assertThat(stored(operation.id())).isEqualTo(claimed);
		Operation done = this.outbox.markDone(claimed);
		assertThatThrownBy(() -> this.outbox.claim(operation.id())).isInstanceOf(OperationStateException.class)
			.hasMessageContaining("its status is DONE");
		assertThat(stored(operation.id())).isEqualTo(done);
	}

	@Test
	void parkedOperationsAreNeverClaimed() {
		Operation operation = this.outbox.enqueue("http.post", "/a", "1");
		this.outbox.markFailed(this.outbox.claim(operation.id()), SendResult.permanent("400 Bad Request"));
		this.clock.advance(Duration.ofDays(1));
		assertThat(this.outbox.claimReady(10)).isEmpty();
		assertThatThrownBy(() -> this.outbox.claim(operation.id())).isInstanceOf(OperationStateException.class)
			.hasMessageContaining("PERMANENTLY_FAILED");
	}

	@Test
	void unknownIdsAreReportedAsNotFound() {
		assertThatExceptionOfType(OperationNotFoundException.class).isThrownBy(() -> this.outbox.claim("missing"))
			.withMessageContaining("'missing'");
		assertThatExceptionOfType(OperationNotFoundException.class).isThrownBy(() -> this.outbox.retry("missing"));
		assertThatExceptionOfType(OperationNotFoundException.class).isThrownBy(() -> this.outbox.discard("missing"));
		assertThat(this.outbox.find("missing")).isEmpty();
	}

	@Test
	void onlyTheCurrentClaimCanCompleteOrFail() throws Exception {
		Operation operation = this.outbox.enqueue("http.post", "/a", "1");
		Operation staleClaim = this.outbox.claim(operation.id());
		this.clock.advance(Duration.ofMinutes(1));
		this.outbox.requeueStale(Duration.ofSeconds(30));
		Operation currentClaim = this.outbox.claim(operation.id());
		assertThatThrownBy(() -> this.outbox.markDone(staleClaim)).isInstanceOf(OperationStateException.class)
			.hasMessageContaining("no longer current");
		assertThatThrownBy(() -> this.outbox.markFailed(staleClaim, SendResult.permanent("late")))
			.isInstanceOf(OperationStateException.class);
		reopenStore();
		assertThat(stored(operation.id())).isEqualTo(currentClaim);
		assertThat(this.outbox.markDone(currentClaim).status()).isEqualTo(OperationStatus.DONE);
	}

	@Test
	void completingManyAtOnceSkipsOnlyTheClaimsThatEnded() throws Exception {
		for (int i = 0; i < 5; i++) {
			this.outbox.enqueue("http.post", "/a", "n" + i);
		}
		List<Operation> staleClaims = this.outbox.claimReady(10);
		this.clock.advance(Duration.ofMinutes(1));
		assertThat(this.outbox.requeueStale(Duration.ofSeconds(30))).isEqualTo(5);
		List<Operation> current = this.outbox.claimReady(10);
		Operation alreadyDone = this.outbox.markDone(current.get(0));

		assertThat(this.outbox.markAllDone(staleClaims)).as("claims that were requeued").isEmpty();
		List<Operation> completed = this.outbox.markAllDone(List.of(current.get(3), current.get(0), current.get(1),
				current.get(4), current.get(2)));

		assertThat(completed).extracting(Operation::id)
			.containsExactly(current.get(3).id(), current.get(1).id(), current.get(4).id(), current.get(2).id());
		assertThat(completed).allSatisfy((operation) -> {
			assertThat(operation.status()).isEqualTo(OperationStatus.DONE);
			assertThat(operation.claimToken()).isNull();
			assertThat(operation.updatedAt()).isEqualTo(this.clock.instant());
		});
		assertThat(stored(alreadyDone.id())).isEqualTo(alreadyDone);
		reopenStore();
		assertThat(this.outbox.stats().count(OperationStatus.DONE)).isEqualTo(5);
		completed.forEach((operation) -> assertThat(stored(operation.id())).isEqualTo(operation));
	}

	@Test
	void aFinishedOperationCannotBeCompletedOrFailedAgain() {
		Operation operation = this.outbox.enqueue("http.post", "/a", "1");
		Operation claimed = this.outbox.claim(operation.id());
		Operation done = this.outbox.markDone(claimed);
		assertThatThrownBy(() -> this.outbox.markFailed(claimed, SendResult.retryable("late")))
			.isInstanceOf(OperationStateException.class)
			.hasMessageContaining("not in flight (status DONE)");
		assertThat(stored(operation.id())).isEqualTo(done);
	}

	@Test
	void failedAttemptsBackOffAndTheLastOneParks() {
		RetryPolicy policy = this.outbox.config().retryPolicy();
		Operation operation = this.outbox.enqueue("http.post", "/a", "1");
		long expectedDelay = 500;
		for (int attempt = 1; attempt < policy.maxAttempts(); attempt++) {
			Operation failed = this.outbox.markFailed(this.outbox.claim(operation.id()), SendResult.retryable("503"));
			assertThat(failed.status()).isEqualTo(OperationStatus.FAILED);
			assertThat(failed.attempt()).isEqualTo(attempt);
			assertThat(Duration.between(this.clock.instant(), failed.nextAttemptAt()))
				.isEqualTo(Duration.ofMillis(Math.min(expectedDelay, 30_000)));
			expectedDelay *= 2;
			this.clock.set(failed.nextAttemptAt());
		}
		Operation parked = this.outbox.markFailed(this.outbox.claim(operation.id()), SendResult.retryable("503"));
		assertThat(parked.status()).isEqualTo(OperationStatus.PERMANENTLY_FAILED);
		assertThat(parked.attempt()).isEqualTo(policy.maxAttempts());
		assertThat(parked.lastError()).isEqualTo("gave up after 8 attempts: 503");
	}

	@Test
	void retryAfterLongerThanTheBackoffWins() {
		Operation operation = this.outbox.enqueue("http.post", "/a", "1");
		Operation failed = this.outbox.markFailed(this.outbox.claim(operation.id()),
				SendResult.retryable("429 Too Many Requests", Duration.ofSeconds(120)));
		assertThat(failed.nextAttemptAt()).isEqualTo(this.clock.instant().plusSeconds(120));
	}

	@Test
	void releaseGivesTheClaimBackWithoutCountingAnAttempt() {
		Operation operation = this.outbox.enqueue("http.post", "/a", "1");
		Operation released = this.outbox.release(this.outbox.claim(operation.id()));
		assertThat(released.status()).isEqualTo(OperationStatus.PENDING);
		assertThat(released.attempt()).isZero();
		assertThat(this.outbox.claimReady(1)).extracting(Operation::id).containsExactly(operation.id());
	}

	@Test
	void staleClaimsAreRequeuedWithTheirAttemptCounted() throws Exception {
		Operation old = this.outbox.enqueue("http.post", "/a", "old");
		this.outbox.claim(old.id());
		this.clock.advance(Duration.ofSeconds(20));
		Operation recent = this.outbox.enqueue("http.post", "/a", "recent");
		this.outbox.claim(recent.id());
		this.clock.advance(Duration.ofSeconds(15));
		assertThat(this.outbox.requeueStale(Duration.ofSeconds(30))).isEqualTo(1);
		reopenStore();
		Operation requeued = stored(old.id());
		assertThat(requeued.status()).isEqualTo(OperationStatus.FAILED);
		assertThat(requeued.attempt()).isEqualTo(1);
		assertThat(requeued.lastError()).isEqualTo(Transitions.STALE_CLAIM_ERROR);
		assertThat(requeued.isDue(this.clock.instant())).isTrue();
		assertThat(stored(recent.id()).status()).isEqualTo(OperationStatus.IN_FLIGHT);
	}

	@Test
	void staleClaimOfTheLastAttemptParks() {
		Operation operation = this.outbox.enqueue("http.post", "/a", "1");
		this.outbox.claim(operation.id());
		assertThat(this.store.requeueStale(this.clock.instant(), 1, this.clock.instant())).isEqualTo(1);
		assertThat(stored(operation.id()).status()).isEqualTo(OperationStatus.PERMANENTLY_FAILED);
	}

	@Test
	void operatorRetryMakesAParkedOperationPendingAgain() throws Exception {
		Operation operation = this.outbox.enqueue("http.post", "/a", "1");
		this.outbox.markFailed(this.outbox.claim(operation.id()), SendResult.permanent("400"));
		Operation retried = this.outbox.retry(operation.id());
		reopenStore();
		assertThat(stored(operation.id())).isEqualTo(retried);
		assertThat(retried.status()).isEqualTo(OperationStatus.PENDING);
		assertThat(retried.attempt()).isZero();
		assertThat(retried.lastError()).isNull();
		assertThat(this.outbox.claimReady(1)).hasSize(1);
	}

	@Test
	void operatorRetryOfAPendingOrDoneOperationIsRefused() {
		Operation operation = this.outbox.enqueue("http.post", "/a", "1");
		assertThatThrownBy(() -> this.outbox.retry(operation.id())).isInstanceOf(OperationStateException.class)
			.hasMessageContaining("its status is PENDING");
		this.outbox.markDone(this.outbox.claim(operation.id()));
		assertThatThrownBy(() -> this.outbox.retry(operation.id())).isInstanceOf(OperationStateException.class)
			.hasMessageContaining("its status is DONE");
	}

	@Test
	void discardRemovesAnOperationUnlessInFlight() throws Exception {
		Operation kept = this.outbox.enqueue("http.post", "/a", "kept");
		Operation discarded = this.outbox.enqueue("http.post", "/a", "discarded");
		Operation claimed = this.outbox.claim(kept.id());
		assertThatThrownBy(() -> this.outbox.discard(kept.id())).isInstanceOf(OperationStateException.class)
			.hasMessageContaining("IN_FLIGHT");
		assertThat(this.outbox.discard(discarded.id())).isEqualTo(discarded);
		reopenStore();
		assertThat(this.outbox.find(discarded.id())).isEmpty();
		assertThat(stored(kept.id())).isEqualTo(claimed);
	}

	@Test
	void bulkActionsSelectByStatusKindTargetErrorAndAgeUpToTheLimit() throws Exception {
		Operation old503 = park(NewOperation.of("http.post", "/orders/1", "a"), "HTTP 503 Service Unavailable");
		this.clock.advance(Duration.ofHours(1));
		Instant cutoff = this.clock.instant();
		Operation new503 = park(NewOperation.of("http.post", "/orders/2", "b"), "HTTP 503 Service Unavailable");
		Operation put503 = park(NewOperation.of("http.put", "/orders/3", "c"), "HTTP 503 Service Unavailable");
		Operation other400 = park(NewOperation.of("http.post", "/users/4", "d"), "HTTP 400 Bad Request");
		Operation literal = park(NewOperation.of("http.post", "/a_b%/5", "e"), "100% _odd_ error");
		Operation pending = this.outbox.enqueue("http.post", "/orders/6", "f");
		Operation inFlight = this.outbox.claim(this.outbox.enqueue("http.post", "/orders/7", "g").id());

		OperationFilter orders503 = OperationFilter.parked().withTargetPrefix("/orders/").withErrorContaining("503");
		assertThat(this.outbox.count(orders503)).isEqualTo(3);
		assertThat(this.outbox.count(orders503.withKind("http.post"))).isEqualTo(2);
		assertThat(this.outbox.count(orders503.createdBefore(cutoff))).isEqualTo(1);
		assertThat(this.outbox.count(orders503.withLimit(2))).isEqualTo(2);
		// LIKE's wildcards in a filter are plain text.
		assertThat(this.outbox.count(OperationFilter.parked().withTargetPrefix("/a_b%").withErrorContaining("0% _")))
			.isEqualTo(1);
		assertThat(this.outbox.count(OperationFilter.parked().withTargetPrefix("/a%"))).isZero();

		assertThat(this.outbox.retryAll(orders503.withKind("http.post"))).isEqualTo(2);
		reopenStore();
		assertThat(List.of(stored(old503.id()), stored(new503.id()))).allSatisfy((retried) -> {
			assertThat(retried.status()).isEqualTo(OperationStatus.PENDING);
			assertThat(retried.attempt()).isZero();
			assertThat(retried.lastError()).isNull();
			assertThat(retried.isDue(this.clock.instant())).isTrue();
		});
		assertThat(stored(put503.id()).status()).isEqualTo(OperationStatus.PERMANENTLY_FAILED);

		OperationFilter everythingButDone = OperationFilter.withStatuses(Set.of(OperationStatus.PENDING,
				OperationStatus.IN_FLIGHT, OperationStatus.PERMANENTLY_FAILED));
		assertThat(this.outbox.discardAll(everythingButDone.withTargetPrefix("/orders/"))).as("all but the one in flight")
			.isEqualTo(4);
		reopenStore();
		assertThat(this.outbox.list(Set.of(), null, 100)).extracting(Operation::id)
			.containsExactly(other400.id(), literal.id(), inFlight.id());
		assertThat(this.outbox.find(pending.id())).isEmpty();
	}

	private Operation park(NewOperation operation, String error) {
		Operation enqueued = this.outbox.enqueue(operation);
		return this.outbox.markFailed(this.outbox.claim(enqueued.id()), SendResult.permanent(error));
	}

	@Test
	void priorityExpiryAndTraceContextSurviveAReopen() throws Exception {
		Operation enqueued = this.outbox.enqueue(NewOperation.of("http.post", "/alarms", "{}")
			.withPriority(NewOperation.HIGHEST_PRIORITY)
			.withTimeToLive(Duration.ofMinutes(10))
			.withTraceContext(Map.of("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")));
		Operation plain = this.outbox.enqueue("http.post", "/notes", "{}");
		reopenStore();
		assertThat(stored(enqueued.id())).isEqualTo(enqueued);
		assertThat(stored(enqueued.id()).priority()).isEqualTo(NewOperation.HIGHEST_PRIORITY);
		assertThat(stored(enqueued.id()).expiresAt()).isEqualTo(this.clock.instant().plus(Duration.ofMinutes(10)));
		assertThat(stored(enqueued.id()).traceContext()).containsOnlyKeys("traceparent");
		assertThat(stored(plain.id()).priority()).isEqualTo(NewOperation.DEFAULT_PRIORITY);
		assertThat(stored(plain.id()).expiresAt()).isNull();
		assertThat(stored(plain.id()).traceContext()).isEmpty();
	}

	@Test
	void higherPriorityIsClaimedFirstAndOldestFirstWithinAPriority() throws Exception {
		Operation low = enqueueWithPriority(2);
		Operation normal = enqueueWithPriority(NewOperation.DEFAULT_PRIORITY);
		Operation high = enqueueWithPriority(9);
		Operation secondNormal = enqueueWithPriority(NewOperation.DEFAULT_PRIORITY);
		Operation secondHigh = enqueueWithPriority(9);
		reopenStore();
		assertThat(this.outbox.claimReady(3)).extracting(Operation::id)
			.containsExactly(high.id(), secondHigh.id(), normal.id());
		assertThat(this.outbox.claimReady(3)).extracting(Operation::id).containsExactly(secondNormal.id(), low.id());
	}

	private Operation enqueueWithPriority(int priority) {
		Operation operation = this.outbox.enqueue(NewOperation.of("http.post", "/p" + priority, "{}").withPriority(priority));
		this.clock.advance(Duration.ofMillis(1));
		return operation;
	}

	@Test
	void anOperationNeverOvertakesAnEarlierOneOfItsOrderingKeyWhateverItsPriority() {
		Operation first = this.outbox.enqueue(NewOperation.of("http.post", "/a", "1").withOrderingKey("k").withPriority(1));
		Operation urgent = this.outbox.enqueue(NewOperation.of("http.post", "/a", "2").withOrderingKey("k").withPriority(9));
		assertThat(this.outbox.claimReady(5)).extracting(Operation::id).containsExactly(first.id());
		this.outbox.markDone(this.outbox.find(first.id()).orElseThrow());
		assertThat(this.outbox.claimReady(5)).extracting(Operation::id).containsExactly(urgent.id());
	}

	@Test
	void oneClaimInTenTakesTheOldestDueOperationWhateverItsPriority() {
		Operation old = enqueueWithPriority(NewOperation.LOWEST_PRIORITY);
		for (int i = 0; i < 30; i++) {
			enqueueWithPriority(NewOperation.HIGHEST_PRIORITY);
		}
		List<Operation> claimed = new ArrayList<>();
		for (int i = 0; i < OldestShare.EVERY; i++) {
			claimed.addAll(this.outbox.claimReady(1));
		}
		assertThat(claimed).hasSize(OldestShare.EVERY);
		assertThat(claimed.subList(0, OldestShare.EVERY - 1))
			.allSatisfy((operation) -> assertThat(operation.priority()).isEqualTo(NewOperation.HIGHEST_PRIORITY));
		assertThat(claimed.get(OldestShare.EVERY - 1).id()).isEqualTo(old.id());
	}

	@Test
	void anExpiredOperationIsNeverClaimedAndExpiresToAFinalStatus() throws Exception {
		Operation brief = this.outbox.enqueue(NewOperation.of("http.post", "/eta", "{}").withTimeToLive(Duration.ofMinutes(2)));
		Operation lasting = this.outbox.enqueue("http.post", "/notes", "{}");
		this.clock.advance(Duration.ofMinutes(3));
		assertThat(this.outbox.claimReady(5)).extracting(Operation::id).containsExactly(lasting.id());
		assertThatExceptionOfType(OperationStateException.class).isThrownBy(() -> this.outbox.claim(brief.id()))
			.withMessageContaining("expired at");
		List<Operation> expired = this.outbox.expireDue(100);
		assertThat(expired).extracting(Operation::id, Operation::status)
			.containsExactly(Tuple.tuple(brief.id(), OperationStatus.EXPIRED));
		assertThat(this.outbox.expireDue(100)).isEmpty();
		reopenStore();
		assertThat(stored(brief.id()).status()).isEqualTo(OperationStatus.EXPIRED);
		assertThat(this.outbox.stats().count(OperationStatus.EXPIRED)).isOne();
		assertThatExceptionOfType(OperationStateException.class).isThrownBy(() -> this.outbox.retry(brief.id()));
		this.clock.advance(Duration.ofHours(2));
		assertThat(this.outbox.purgeDone(Duration.ofHours(1))).isOne();
		assertThat(this.outbox.find(brief.id())).isEmpty();
	}

	@Test
	void aSendUnderWayWhenItsOperationExpiresFinishesAndAFailedOneExpiresBeforeItsRetry() {
		Operation sending = this.outbox.enqueue(NewOperation.of("http.post", "/a", "1").withTimeToLive(Duration.ofMinutes(1)));
		Operation failing = this.outbox.enqueue(NewOperation.of("http.post", "/b", "2").withTimeToLive(Duration.ofMinutes(1)));
		Operation inFlight = this.outbox.claim(sending.id());
		this.outbox.markFailed(this.outbox.claim(failing.id()), SendResult.retryable("503"));
		this.clock.advance(Duration.ofMinutes(2));
		assertThat(this.outbox.expireDue(100)).extracting(Operation::id).containsExactly(failing.id());
		assertThat(this.outbox.markDone(inFlight).status()).isEqualTo(OperationStatus.DONE);
	}

	@Test
	void anExpiryThatHasPassedIsRefusedAtEnqueue() {
		assertThatExceptionOfType(InvalidOperationException.class)
			.isThrownBy(() -> this.outbox.enqueue(NewOperation.of("http.post", "/a", "1")
				.withExpiresAt(this.clock.instant().minusSeconds(1))))
			.withMessageContaining("'expiresAt'")
			.withMessageContaining("has passed");
		assertThat(this.outbox.list(Set.of(), null, 10)).isEmpty();
	}

	@Test
	void purgeRemovesOnlyDoneOperationsOlderThanTheRetention() throws Exception {
		Operation old = this.outbox.enqueue("http.post", "/a", "old");
		this.outbox.markDone(this.outbox.claim(old.id()));
		this.clock.advance(Duration.ofHours(2));
		Operation recent = this.outbox.enqueue("http.post", "/a", "recent");
		this.outbox.markDone(this.outbox.claim(recent.id()));
		Operation pending = this.outbox.enqueue("http.post", "/a", "pending");
		assertThat(this.outbox.purgeDone(Duration.ofHours(1))).isEqualTo(1);
		reopenStore();
		assertThat(this.outbox.find(old.id())).isEmpty();
		assertThat(this.outbox.find(recent.id())).isPresent();
		assertThat(this.outbox.find(pending.id())).isPresent();
	}

	@Test
	void statsCountEveryStatusAndTheOldestUndelivered() throws Exception {
		Instant start = this.clock.instant();
		Operation done = this.outbox.enqueue("http.post", "/a", "1");
		this.outbox.markDone(this.outbox.claim(done.id()));
		this.clock.advance(Duration.ofSeconds(5));
		Operation parked = this.outbox.enqueue("http.post", "/a", "2");
		this.outbox.markFailed(this.outbox.claim(parked.id()), SendResult.permanent("400"));
		this.clock.advance(Duration.ofSeconds(5));
		Operation failed = this.outbox.enqueue("http.post", "/a", "3");
		this.outbox.markFailed(this.outbox.claim(failed.id()), SendResult.retryable("503"));
		this.outbox.enqueue("http.post", "/a", "4");
		this.outbox.enqueue("http.post", "/a", "5");
		Operation inFlight = this.outbox.enqueue("http.post", "/a", "6");
		this.outbox.claim(inFlight.id());
		reopenStore();
		OutboxStats stats = this.outbox.stats();
		assertThat(stats.counts()).containsEntry(OperationStatus.DONE, 1L)
			.containsEntry(OperationStatus.PERMANENTLY_FAILED, 1L)
			.containsEntry(OperationStatus.FAILED, 1L)
			.containsEntry(OperationStatus.PENDING, 2L)
			.containsEntry(OperationStatus.IN_FLIGHT, 1L);
		assertThat(stats.backlog()).isEqualTo(4);
		assertThat(stats.total()).isEqualTo(6);
		assertThat(stats.oldestUndeliveredCreatedAt()).contains(start.plusSeconds(10));
		this.clock.advance(Duration.ofSeconds(3));
		assertThat(stats.oldestUndeliveredAge(this.clock.instant())).isEqualTo(Duration.ofSeconds(3));
	}

	@Test
	void oldestUndeliveredFollowsDeliveriesParkingAndRetries() {
		Instant start = this.clock.instant();
		Operation a = this.outbox.enqueue("http.post", "/a", "a");
		this.clock.advance(Duration.ofSeconds(1));
		Operation b = this.outbox.enqueue("http.post", "/a", "b");
		this.clock.advance(Duration.ofSeconds(1));
		Operation c = this.outbox.enqueue("http.post", "/a", "c");
		assertThat(this.outbox.stats().oldestUndeliveredCreatedAt()).contains(start);
		this.outbox.markDone(this.outbox.claim(a.id()));
		assertThat(this.outbox.stats().oldestUndeliveredCreatedAt()).contains(start.plusSeconds(1));
		this.outbox.markFailed(this.outbox.claim(b.id()), SendResult.permanent("400"));
		assertThat(this.outbox.stats().oldestUndeliveredCreatedAt()).contains(start.plusSeconds(2));
		// An operator's retry makes the older one undelivered again.
		this.outbox.retry(b.id());
		assertThat(this.outbox.stats().oldestUndeliveredCreatedAt()).contains(start.plusSeconds(1));
		this.outbox.markDone(this.outbox.claim(b.id()));
		this.outbox.markDone(this.outbox.claim(c.id()));
		assertThat(this.outbox.stats().oldestUndeliveredCreatedAt()).isEmpty();
		this.clock.advance(Duration.ofSeconds(1));
		this.outbox.enqueue("http.post", "/a", "d");
		assertThat(this.outbox.stats().oldestUndeliveredCreatedAt()).contains(start.plusSeconds(3));
		this.outbox.discard(a.id());
		assertThat(this.outbox.stats().oldestUndeliveredCreatedAt()).contains(start.plusSeconds(3));
	}

	@Test
	void emptyStoreHasNoOldestUndelivered() {
		assertThat(this.outbox.stats().oldestUndeliveredCreatedAt()).isEmpty();
		assertThat(this.outbox.stats().oldestUndeliveredAge(this.clock.instant())).isZero();
	}

	@Test
	void operationsWithOneOrderingKeyAreClaimedOneAtATimeInEnqueueOrder() throws Exception {
		Operation a1 = this.outbox.enqueue(NewOperation.of("http.post", "/a", "a1").withOrderingKey("A"));
		Operation b1 = this.outbox.enqueue(NewOperation.of("http.post", "/b", "b1").withOrderingKey("B"));
		Operation a2 = this.outbox.enqueue(NewOperation.of("http.post", "/a", "a2").withOrderingKey("A"));
		Operation free = this.outbox.enqueue("http.post", "/c", "free");
		Operation a3 = this.outbox.enqueue(NewOperation.of("http.post", "/a", "a3").withOrderingKey("A"));

		List<Operation> first = this.outbox.claimReady(10);
		assertThat(first).extracting(Operation::id).containsExactly(a1.id(), b1.id(), free.id());
		assertThatThrownBy(() -> this.outbox.claim(a2.id())).isInstanceOf(OperationStateException.class)
			.hasMessageContaining("'" + a1.id() + "' with the same ordering key 'A' must be delivered first");

		// A retryable failure keeps the head of the key in front: a2 waits for a1's retry.
		Operation a1Failed = this.outbox.markFailed(first.get(0), SendResult.retryable("503"));
		this.clock.set(a1Failed.nextAttemptAt());
		reopenStore();
		List<Operation> second = this.outbox.claimReady(10);
		assertThat(second).extracting(Operation::id).containsExactly(a1.id());
		this.outbox.markDone(second.get(0));
		assertThat(this.outbox.claimReady(10)).extracting(Operation::id).containsExactly(a2.id());
		assertThat(this.outbox.claimReady(10)).isEmpty();
		assertThat(stored(a3.id()).status()).isEqualTo(OperationStatus.PENDING);
	}

	@Test
	void aParkedOperationDoesNotBlockItsOrderingKey() {
		Operation a1 = this.outbox.enqueue(NewOperation.of("http.post", "/a", "a1").withOrderingKey("A"));
		Operation a2 = this.outbox.enqueue(NewOperation.of("http.post", "/a", "a2").withOrderingKey("A"));
		this.outbox.markFailed(this.outbox.claim(a1.id()), SendResult.permanent("400"));
		assertThat(this.outbox.claimReady(10)).extracting(Operation::id).containsExactly(a2.id());
	}

	@Test
	void retryOfAnOlderParkedOperationPutsItBackInFrontOfItsKey() {
		Operation a1 = this.outbox.enqueue(NewOperation.of("http.post", "/a", "a1").withOrderingKey("A"));
		Operation a2 = this.outbox.enqueue(NewOperation.of("http.post", "/a", "a2").withOrderingKey("A"));
		this.outbox.markFailed(this.outbox.claim(a1.id()), SendResult.permanent("400"));
		this.outbox.retry(a1.id());
		assertThat(this.outbox.claimReady(10)).extracting(Operation::id).containsExactly(a1.id());
		assertThat(stored(a2.id()).status()).isEqualTo(OperationStatus.PENDING);
	}

	@Test
	void listFiltersByStatusAndPagesInEnqueueOrder() {
		List<Operation> operations = Stream.of("1", "2", "3", "4", "5")
			.map((payload) -> this.outbox.enqueue("http.post", "/a", payload))
			.toList();
		this.outbox.markFailed(this.outbox.claim(operations.get(1).id()), SendResult.permanent("400"));
		this.outbox.markFailed(this.outbox.claim(operations.get(3).id()), SendResult.permanent("400"));
		assertThat(this.outbox.list(Set.of(OperationStatus.PERMANENTLY_FAILED), null, 10)).extracting(Operation::id)
			.containsExactly(operations.get(1).id(), operations.get(3).id());
		List<Operation> firstPage = this.outbox.list(Set.of(), null, 2);
		List<Operation> secondPage = this.outbox.list(Set.of(), firstPage.get(1).id(), 2);
		assertThat(firstPage).extracting(Operation::payload).containsExactly("1", "2");
		assertThat(secondPage).extracting(Operation::payload).containsExactly("3", "4");
	}

	@Test
	void aClosedStoreRefusesCalls() {
		this.store.close();
		assertThatThrownBy(() -> this.outbox.enqueue("http.post", "/a", "1")).isInstanceOf(StoreException.class)
			.hasMessageContaining("closed");
	}

	@Test
	void everyChangeSurvivesAReopen() throws Exception {
		Operation done = this.outbox.enqueue("http.post", "/a", "done");
		Operation parked = this.outbox.enqueue("http.post", "/a", "parked");
		Operation failed = this.outbox.enqueue("http.post", "/a", "failed");
		List<Operation> expected = List.of(this.outbox.markDone(this.outbox.claim(done.id())),
				this.outbox.markFailed(this.outbox.claim(parked.id()), SendResult.permanent("400")),
				this.outbox.markFailed(this.outbox.claim(failed.id()), SendResult.retryable("503")));
		reopenStore();
		assertThat(this.outbox.list(Set.of(), null, 10)).containsExactlyElementsOf(expected);
	}

}
