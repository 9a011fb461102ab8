package io.offlinesync.store;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.offlinesync.NewOperation;
import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

class OperationIndexTests {

	private static final Instant START = Instant.parse("2026-11-26T00:00:00Z");

	private static final OperationStatus[] STATUSES = OperationStatus.values();

	/**
	 * Random changes, mostly new operations in id and due-time order (as an outbox makes them, which is the path that
	 * skips the tree), checked against a plain list filtered on every claim.
	 */
	@ParameterizedTest
	@ValueSource(longs = { 1, 2, 3, 4, 5 })
	void claimsExactlyWhatAFilterOverAllOperationsWould(long seed) {
		Random random = new Random(seed);
		OperationIndex index = new OperationIndex();
		// In id order, as claims go.
		Map<String, Operation> model = new TreeMap<>();
		int nextId = 0;
		long clock = 0;
		for (int step = 0; step < 20_000; step++) {
			int action = random.nextInt(100);
			if (action < 45 || model.isEmpty()) {
				// A new operation, now or (rarely) later; the clock now and then goes backwards.
				clock += (random.nextInt(10) == 0) ? -random.nextInt(5) : random.nextInt(3);
				long due = clock + ((random.nextInt(3) == 0) ? random.nextInt(30) : 0);
				Operation operation = prioritized(operation(id(nextId++), pick(random, null, null, null, "a", "b"),
						OperationStatus.PENDING, due));
				index.put(operation);
				model.put(operation.id(), operation);
			}
			else if (action < 70) {
				// Another state of a stored operation, as a claim, failure, completion or operator retry makes.
				Operation current = model.get(id(random.nextInt(nextId)));
				if (current != null) {
					Operation changed = prioritized(operation(current.id(), current.orderingKey(),
							STATUSES[random.nextInt(STATUSES.length)], clock + random.nextInt(10) - 2));
					index.put(changed);
					model.put(changed.id(), changed);
				}
			}
			else if (action < 75) {
				// The same instance again, as a rollback that restores an earlier state does.
				Operation current = model.get(id(random.nextInt(nextId)));
				if (current != null) {
					index.put(current);
				}
			}
			else if (action < 85) {
				String id = id(random.nextInt(nextId));
				assertThat(index.remove(id)).isSameAs(model.remove(id));
			}
			else {
				Instant now = at(clock);
				int limit = 1 + random.nextInt(20);
				int oldest = Math.min(limit, random.nextInt(3));
				assertThat(ids(index.dueCandidates(now, limit, oldest))).as("step %d", step)
					.isEqualTo(ids(expectedCandidates(model, now, limit, oldest)));
				assertThat(ids(index.expiredBy(now, limit))).as("step %d", step)
					.isEqualTo(ids(expectedExpired(model, now, limit)));
			}
		}
		assertThat(ids(index.dueCandidates(at(clock + 1_000), Integer.MAX_VALUE, 0)))
			.isEqualTo(ids(expectedCandidates(model, at(clock + 1_000), Integer.MAX_VALUE, 0)));
	}

	/**
	 * Filling an empty index at once (as opening a store does) must leave it as putting each operation would: what it
	 * lists, counts, claims and sweeps is compared, then again through further changes. Odd seeds give the ids in
	 * order, even ones shuffled.
	 */
	@ParameterizedTest
	@ValueSource(longs = { 1, 2, 3, 4, 5, 6 })
	void fillingAnEmptyIndexAtOnceLeavesItAsPuttingEachOperationWould(long seed) {
		Random random = new Random(seed);
		List<Operation> operations = new ArrayList<>();
		for (int i = 0; i < 3_000; i++) {
			// Created in id order, so that the oldest undelivered one tells which is first.
			operations.add(prioritized(operation(id(i), pick(random, null, null, null, "a", "b", "c"),
					STATUSES[random.nextInt(STATUSES.length)], random.nextInt(200)))
				.toBuilder()
				.createdAt(at(i - 10_000))
				.build());
		}
		if (seed % 2 == 0) {
			Collections.shuffle(operations, random);
		}
		OperationIndex oneByOne = new OperationIndex();
		operations.forEach(oneByOne::put);
		OperationIndex atOnce = new OperationIndex();
		atOnce.putAll(operations);
		assertSameView(atOnce, oneByOne, operations.size());
		long clock = 0;
		for (int step = 0; step < 3_000; step++) {
			clock += random.nextInt(2);
			int action = random.nextInt(10);
			String id = id(random.nextInt(operations.size() + 100));
			if (action < 6) {
				Operation current = oneByOne.get(id);
				Operation changed = prioritized(operation(id,
						(current != null) ? current.orderingKey() : pick(random, null, "a"),
						STATUSES[random.nextInt(STATUSES.length)], clock + random.nextInt(20)));
				oneByOne.put(changed);
				atOnce.put(changed);
			}
			else if (action < 8) {
				assertThat(atOnce.remove(id)).isSameAs(oneByOne.remove(id));
			}
			else {
				int limit = 1 + random.nextInt(30);
				int oldest = Math.min(limit, random.nextInt(3));
				assertThat(ids(atOnce.dueCandidates(at(clock), limit, oldest))).as("step %d", step)
					.isEqualTo(ids(oneByOne.dueCandidates(at(clock), limit, oldest)));
			}
		}
		assertSameView(atOnce, oneByOne, operations.size() + 100);
	}

	@Test
	void onlyAnEmptyIndexIsFilledAtOnce() {
		OperationIndex index = new OperationIndex();
		Operation stored = operation(id(1), null, OperationStatus.PENDING, 0);
		index.put(stored);
		assertThatIllegalStateException()
			.isThrownBy(() -> index.putAll(List.of(operation(id(2), null, OperationStatus.PENDING, 0))))
			.withMessage("Only an empty index can be filled at once; this one holds 1 operation");
		assertThat(index.all()).containsExactly(stored);
	}

	@Test
	void anIdGivenTwiceIsRefusedWhenFillingAtOnce() {
		OperationIndex index = new OperationIndex();
		List<Operation> twice = List.of(operation(id(2), null, OperationStatus.PENDING, 0),
				operation(id(1), null, OperationStatus.PENDING, 0), operation(id(2), null, OperationStatus.DONE, 0));
		assertThatIllegalArgumentException().isThrownBy(() -> index.putAll(twice))
			.withMessage("Operation id 'op-000002' is given twice");
		assertThat(index.size()).isZero();
	}

	/** Compare what two indexes show; claiming moves operations between their queues, alike in both. */
	private static void assertSameView(OperationIndex actual, OperationIndex expected, int ids) {
		assertThat(actual.size()).isEqualTo(expected.size());
		assertThat(actual.lastId()).isEqualTo(expected.lastId());
		assertThat(actual.all()).containsExactlyElementsOf(expected.all());
		assertThat(actual.stats()).usingRecursiveComparison().isEqualTo(expected.stats());
		for (OperationStatus status : STATUSES) {
			assertThat(actual.list(Set.of(status), id(ids / 3), 500))
				.containsExactlyElementsOf(expected.list(Set.of(status), id(ids / 3), 500));
		}
		for (int i = 0; i < ids; i++) {
			Operation operation = expected.get(id(i));
			if (operation != null) {
				assertThat(actual.earlierWithSameKey(operation)).isEqualTo(expected.earlierWithSameKey(operation));
			}
		}
		assertThat(actual.inFlightClaimedBefore(at(100))).containsExactlyElementsOf(expected.inFlightClaimedBefore(at(100)));
		assertThat(actual.doneBefore(at(100))).containsExactlyElementsOf(expected.doneBefore(at(100)));
		for (long time : new long[] { 0, 50, 120, 5_000 }) {
			assertThat(actual.dueCandidates(at(time), Integer.MAX_VALUE, 0))
				.containsExactlyElementsOf(expected.dueCandidates(at(time), Integer.MAX_VALUE, 0));
		}
	}

	@Test
	void anOperationClaimedByIdBeforeItIsDueIsNotClaimedAgain() {
		OperationIndex index = new OperationIndex();
		Operation first = operation(id(1), null, OperationStatus.PENDING, 0);
		Operation second = operation(id(2), null, OperationStatus.PENDING, 0);
		index.put(first);
		index.put(second);
		index.put(operation(id(1), null, OperationStatus.IN_FLIGHT, 0));
		assertThat(ids(index.dueCandidates(at(0), 10, 0))).containsExactly(id(2));
		index.put(operation(id(1), null, OperationStatus.FAILED, 5));
		assertThat(ids(index.dueCandidates(at(5), 10, 0))).containsExactly(id(1), id(2));
	}

	@Test
	void anOlderOperationBroughtBackMakesTheNextOfItsKeyWaitAgain() {
		OperationIndex index = new OperationIndex();
		index.put(operation(id(1), "key", OperationStatus.PENDING, 0));
		index.put(operation(id(1), "key", OperationStatus.DONE, 0));
		index.put(operation(id(2), "key", OperationStatus.PENDING, 10));
		// An operator retries the first one: the second must wait for it again.
		index.put(operation(id(1), "key", OperationStatus.PENDING, 0));
		assertThat(ids(index.dueCandidates(at(10), 10, 0))).containsExactly(id(1));
	}

	/**
	 * A claim after a long time without one (an outage, a restart) finds many operations due; only as many as it can
	 * take move out of the queue, under the lock that every writer waits for, and the rest follow claim by claim.
	 */
	@ParameterizedTest
	@ValueSource(booleans = { false, true })
	void aClaimMovesOnlyAsManyDueOperationsAsItTakes(boolean filledAtOnce) {
		List<Operation> operations = new ArrayList<>();
		for (int i = 0; i < 10_000; i++) {
			operations.add(operation(id(i), null, OperationStatus.PENDING, i));
		}
		OperationIndex index = filled(operations, filledAtOnce);
		assertThat(ids(index.dueCandidates(at(20_000), 10, 0))).isEqualTo(ids(operations.subList(0, 10)));
		operations.subList(0, 10).forEach((taken) -> index.put(operation(taken.id(), null, OperationStatus.DONE, 0)));
		assertThat(ids(index.dueCandidates(at(20_000), 10, 0))).isEqualTo(ids(operations.subList(10, 20)));
		assertThat(claimEveryDue(index, at(20_000), 1_000)).isEqualTo(ids(operations.subList(10, 10_000)));
	}

	/** An operation retried later than newer ones come due is still claimed in id order among the due ones. */
	@ParameterizedTest
	@ValueSource(booleans = { false, true })
	void aRetriedOperationIsClaimedInIdOrderWhenClaimsTakeFewAtATime(boolean filledAtOnce) {
		List<Operation> operations = new ArrayList<>();
		for (int i = 0; i < 100; i++) {
			operations.add(operation(id(i), null, OperationStatus.PENDING, i));
		}
		operations.add(operation(id(50), null, OperationStatus.FAILED, 150));
		for (int i = 100; i < 200; i++) {
			operations.add(operation(id(i), null, OperationStatus.PENDING, i + 100));
		}
		if (filledAtOnce) {
			// Only the latest state of each operation.
			operations.remove(50);
		}
		OperationIndex index = filled(operations, filledAtOnce);
		assertThat(claimEveryDue(index, at(1_000), 10)).hasSize(200).isSorted();
	}

	/**
	 * Operations retried at times in the reverse of their id order all come due together, as at the first claim after
	 * a restart, while none or one other is due already: they are claimed in id order all the same.
	 */
	@ParameterizedTest
	@ValueSource(booleans = { false, true })
	void retriedOperationsComingDueTogetherAreClaimedInIdOrder(boolean oneDueBefore) {
		List<Operation> operations = new ArrayList<>();
		for (int i = 0; i < 1_000; i++) {
			operations.add(operation(id(i), null, OperationStatus.FAILED, 5_000 - i));
		}
		if (oneDueBefore) {
			operations.add(operation(id(1_000), null, OperationStatus.FAILED, 10));
		}
		OperationIndex index = filled(operations, true);
		if (oneDueBefore) {
			assertThat(ids(index.dueCandidates(at(100), 10, 0))).containsExactly(id(1_000));
		}
		assertThat(claimEveryDue(index, at(10_000), 7)).hasSize(operations.size()).isSorted();
	}

	/**
	 * Claim what is due {@code limit} at a time, each claimed operation then done, until nothing is due; at most as
	 * many rounds as the index holds operations, so that claims that never run out fail rather than loop.
	 * @return the ids claimed, in the order they were
	 */
	private static List<String> claimEveryDue(OperationIndex index, Instant now, int limit) {
		List<String> claimed = new ArrayList<>();
		List<Operation> taken;
		for (long round = 0; round <= index.size() && !(taken = index.dueCandidates(now, limit, 0)).isEmpty(); round++) {
			taken.forEach((operation) -> index.put(operation(operation.id(), null, OperationStatus.DONE, 0)));
			claimed.addAll(ids(taken));
		}
		return claimed;
	}

	/** @return an index holding the operations, put one by one or filled at once */
	private static OperationIndex filled(List<Operation> operations, boolean atOnce) {
		OperationIndex index = new OperationIndex();
		if (atOnce) {
			index.putAll(operations);
		}
		else {
			operations.forEach(index::put);
		}
		return index;
	}

	/**
	 * The other sweep is polling: a store whose operations only ever change by id must not keep their old states
	 * reachable. Weak references to the old states tell, once they are collected.
	 */
	@Test
	void staleStatesAreDroppedWithoutAClaim() {
		OperationIndex index = new OperationIndex();
		List<WeakReference<Operation>> oldStates = new ArrayList<>();
		for (int i = 0; i < 100_000; i++) {
			Operation pending = operation(id(i), null, OperationStatus.PENDING, i);
			index.put(pending);
			index.put(operation(pending.id(), null, OperationStatus.DONE, i));
			if (i < 1_000) {
				oldStates.add(new WeakReference<>(pending));
			}
		}
		await().atMost(Duration.ofSeconds(30)).until(() -> {
			System.gc();
			return oldStates.stream().allMatch((state) -> state.get() == null);
		});
		assertThat(index.dueCandidates(at(200_000), 10, 0)).isEmpty();
	}

	private static List<Operation> expectedCandidates(Map<String, Operation> model, Instant now, int limit, int oldest) {
		// An operation with an ordering key may go only as the oldest active one of its key.
		Map<String, String> oldestActiveByKey = new HashMap<>();
		for (Operation operation : model.values()) {
			if (operation.orderingKey() != null && operation.status().isActive()) {
				oldestActiveByKey.putIfAbsent(operation.orderingKey(), operation.id());
			}
		}
		List<Operation> eligible = model.values()
			.stream()
			.filter((operation) -> operation.status().isClaimable() && !operation.nextAttemptAt().isAfter(now))
			.filter((operation) -> operation.orderingKey() == null
					|| operation.id().equals(oldestActiveByKey.get(operation.orderingKey())))
			.toList();
		// The oldest, as many as asked; then the highest priority, oldest first within it; all in that claim order.
		Comparator<Operation> claimOrder = Comparator.comparingInt(Operation::priority)
			.reversed()
			.thenComparing(Operation::id);
		List<Operation> expected = new ArrayList<>(eligible.subList(0, Math.min(oldest, eligible.size())));
		eligible.stream()
			.filter((operation) -> !expected.contains(operation))
			.sorted(claimOrder)
			.limit(Math.max(0, (long) limit - expected.size()))
			.forEach(expected::add);
		expected.sort(claimOrder);
		return expected;
	}

	/**
	 * The operation with a priority, and for one in four an expiry, that its id decides, so that every state of it
	 * has the same ones.
	 */
	private static Operation prioritized(Operation operation) {
		int hash = operation.id().hashCode();
		return operation.toBuilder()
			.priority(NewOperation.LOWEST_PRIORITY + Math.floorMod(hash, NewOperation.HIGHEST_PRIORITY))
			.expiresAt((Math.floorMod(hash, 4) == 0) ? at(Math.floorMod(hash * 31, 20_000)) : null)
			.build();
	}

	private static List<Operation> expectedExpired(Map<String, Operation> model, Instant now, int limit) {
		return model.values()
			.stream()
			.filter((operation) -> operation.status().isClaimable() && operation.expiresAt() != null
					&& !operation.expiresAt().isAfter(now))
			.sorted(Comparator.comparing(Operation::expiresAt).thenComparing(Operation::id))
			.limit(limit)
			.toList();
	}

	private static Operation operation(String id, String orderingKey, OperationStatus status, long due) {
		return Operation.builder()
			.id(id)
			.kind("http.post")
			.target("/notes")
			.payload("{}")
			.orderingKey(orderingKey)
			.status(status)
			.claimToken((status == OperationStatus.IN_FLIGHT) ? "token" : null)
			.createdAt(START)
			.updatedAt(at(due))
			.nextAttemptAt(at(due))
			.build();
	}

	private static String id(int number) {
		return String.format("op-%06d", number);
	}

	private static Instant at(long seconds) {
		return START.plusSeconds(seconds);
	}

	private static List<String> ids(List<Operation> operations) {
		List<String> ids = new ArrayList<>();
		operations.forEach((operation) -> ids.add(operation.id()));
		return ids;
	}

	@SafeVarargs
	private static <T> T pick(Random random, T... choices) {
		return choices[random.nextInt(choices.length)];
	}

}
