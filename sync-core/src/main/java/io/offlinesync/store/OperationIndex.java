package io.offlinesync.store;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

import io.offlinesync.NewOperation;
import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;
import io.offlinesync.OutboxStats;

/**
 * The in-memory view of a store's operations, indexed so that claiming, sweeping, purging and counting cost
 * {@code O(log n)} per operation touched rather than a scan of everything stored. Not thread-safe: its owner
 * serialises access.
 *
 * <p>Claimable operations that may go next ("heads": no ordering key, or the oldest active operation of their key)
 * wait in {@code scheduled}, ordered by due time; once due they move to {@code due}, one set per priority ordered
 * by id: claims take the highest priority first, oldest first within it. Operations without an ordering key that
 * arrive in due-time and id order, as enqueued ones do, are appended to their priority's {@code scheduledInOrder}
 * queue instead of inserted into the tree: a new operation then costs one tree node fewer, for the index and for
 * the garbage collector that copies it. Being in id order too, they move to {@code due} only as a claim needs them,
 * however many have come due since the last claim.
 *
 * <p>Claimable operations with an expiry are also kept by expiry time, so that expiring them costs nothing for the
 * ones that have not expired.
 *
 * <p>The oldest active operation, which {@link #stats()} reports, is found by walking forward by id from the last one
 * found: each operation that left the active statuses since is passed over once (again only if an operator's retry
 * brings an older one back).
 *
 * @since 0.1.0
 */
public final class OperationIndex {

	private static final Comparator<Operation> BY_NEXT_ATTEMPT = byTimeThenId(Operation::nextAttemptAt);

	private static final Comparator<Operation> BY_UPDATED = byTimeThenId(Operation::updatedAt);

	/** Fewer stale entries than this stay in scheduledInOrder until they are polled. */
	private static final int MIN_STALE_TO_SWEEP = 512;

	private static final Comparator<Operation> BY_EXPIRY = byTimeThenId(OperationIndex::expiry);

	private static final int PRIORITIES = NewOperation.HIGHEST_PRIORITY + 1;

	private static final Comparator<Operation> CLAIM_ORDER = Comparator.comparingInt(Operation::priority)
		.reversed()
		.thenComparing(Operation::id);

	// Not final: putAll builds them anew, from sorted runs.
	private TreeMap<String, Operation> byId = new TreeMap<>();

	/**
	 * No active operation has a smaller id ({@literal null}: none is active). Lowered when an operation becomes
	 * active, moved forward only when {@link #stats()} asks, so that operations entering and leaving the active
	 * statuses cost no sorted set of their own.
	 */
	private @Nullable String noActiveBefore;

	private final Map<String, TreeSet<String>> activeByOrderingKey = new HashMap<>();

	private TreeSet<Operation> scheduled = new TreeSet<>(BY_NEXT_ATTEMPT);

	/**
	 * Scheduled operations without an ordering key, each after the one before it both in {@link #BY_NEXT_ATTEMPT}
	 * order and by id.
	 * An operation that changes or leaves is not looked for here: its entry stays, stale, until it is polled or
	 * enough are stale to drop them all at once. An entry is current while the index holds that very instance
	 * (every change makes a new one), whose status was then claimable.
	 */
	@SuppressWarnings("unchecked")
	private final ArrayDeque<Operation>[] scheduledInOrder = byPriority(ArrayDeque[]::new, ArrayDeque::new);

	/** How many entries of {@link #scheduledInOrder} went stale since it was last swept. */
	private int staleInOrder;

	/** The ids of due heads, by priority. */
	@SuppressWarnings("unchecked")
	private final TreeSet<String>[] due = byPriority(TreeSet[]::new, TreeSet::new);

	/** Claimable operations with an expiry, by expiry. */
	private TreeSet<Operation> expiring = new TreeSet<>(BY_EXPIRY);

	private TreeSet<Operation> inFlight = new TreeSet<>(BY_UPDATED);

	private TreeSet<Operation> done = new TreeSet<>(BY_UPDATED);

	private final long[] counts = new long[OperationStatus.values().length];

	// Written out rather than composed with Comparator.comparing: every enqueue and claim runs them.
	private static Comparator<Operation> byTimeThenId(Function<Operation, Instant> time) {
		return (a, b) -> {
			int byTime = time.apply(a).compareTo(time.apply(b));
			return (byTime != 0) ? byTime : a.id().compareTo(b.id());
		};
	}

	/** @return an array indexed by priority, one new element for each */
	private static <T> T[] byPriority(IntFunction<T[]> array, Supplier<T> element) {
		T[] elements = array.apply(PRIORITIES);
		for (int priority = NewOperation.LOWEST_PRIORITY; priority < PRIORITIES; priority++) {
			elements[priority] = element.get();
		}
		return elements;
	}

	/** @return the operation with this id, or {@literal null} if none is held */
	public @Nullable Operation get(String id) {
		return this.byId.get(id);
	}

	/** @return the greatest id held, or {@literal null} if none is */
	public @Nullable String lastId() {
		return this.byId.isEmpty() ? null : this.byId.lastKey();
	}

	/** @return how many operations are held */
	public int size() {
		return this.byId.size();
	}

	/** @return every operation, in id order, unmodifiable */
	public Collection<Operation> all() {
		return Collections.unmodifiableCollection(this.byId.values());
	}

	/**
	 * Add an operation, or replace the one with its id.
	 * @param operation the new state
	 */
	public void put(Operation operation) {
		Operation old = this.byId.put(operation.id(), operation);
		if (old != null) {
			removeFromStatusIndexes(old);
		}
		boolean wasActive = old != null && old.status().isActive();
		boolean isActive = operation.status().isActive();
		if (isActive && !wasActive) {
			enterActive(operation);
		}
		addToStatusIndexes(operation);
		if (wasActive && !isActive) {
			leaveActive(operation);
		}
	}

	/**
	 * Fill an empty index at once, as opening a store does with up to millions of operations: the trees are built
	 * from sorted runs in linear time, and the operations waiting to be claimed are sorted once by due time and queued
	 * as far as their ids ascend too (the others, such as retries, go into a tree built the same way), instead of each
	 * being inserted into a tree. The outcome is that of {@link #put} for each operation, in any order.
	 * @param operations operations with distinct ids, best in id order (as an outbox makes them)
	 * @throws IllegalStateException if the index is not empty
	 * @throws IllegalArgumentException if an id is given twice
	 */
	public void putAll(List<Operation> operations) {
		if (!this.byId.isEmpty()) {
			throw new IllegalStateException("Only an empty index can be filled at once; this one holds " + size()
					+ ((size() == 1) ? " operation" : " operations"));
		}
		List<Operation> inIdOrder = SortedRuns.inIdOrder(operations);
		this.byId = new TreeMap<>(new SortedRuns.ById(inIdOrder));
		// In id order an operation joins its ordering key's queue behind every one there: no head is displaced.
		for (Operation operation : inIdOrder) {
			if (operation.status().isActive()) {
				enterActive(operation);
			}
		}
		List<Operation> inOrder = new ArrayList<>();
		List<Operation> waiting = new ArrayList<>();
		List<Operation> claimed = new ArrayList<>();
		List<Operation> finished = new ArrayList<>();
		List<Operation> withExpiry = new ArrayList<>();
		for (Operation operation : inIdOrder) {
			this.counts[operation.status().ordinal()]++;
			switch (operation.status()) {
				case PENDING, FAILED -> {
					if (operation.orderingKey() == null) {
						inOrder.add(operation);
					}
					else if (isHead(operation)) {
						waiting.add(operation);
					}
					if (operation.expiresAt() != null) {
						withExpiry.add(operation);
					}
				}
				case IN_FLIGHT -> claimed.add(operation);
				case DONE, EXPIRED -> finished.add(operation);
				case PERMANENTLY_FAILED -> {
				}
			}
		}
		inOrder.sort(BY_NEXT_ATTEMPT);
		for (Operation operation : inOrder) {
			if (fitsInOrder(operation)) {
				this.scheduledInOrder[operation.priority()].addLast(operation);
			}
			else {
				waiting.add(operation);
			}
		}
		this.scheduled = sortedSet(waiting, BY_NEXT_ATTEMPT);
		this.inFlight = sortedSet(claimed, BY_UPDATED);
		this.done = sortedSet(finished, BY_UPDATED);
		this.expiring = sortedSet(withExpiry, BY_EXPIRY);
	}

	private static TreeSet<Operation> sortedSet(List<Operation> operations, Comparator<Operation> order) {
		operations.sort(order);
		return new TreeSet<>(new SortedRuns.Run<>(operations, order));
	}

	/**
	 * Remove an operation.
	 * @param id the id
	 * @return the removed operation, or {@literal null}
	 */
	public @Nullable Operation remove(String id) {
		Operation old = this.byId.remove(id);
		if (old != null) {
			removeFromStatusIndexes(old);
			if (old.status().isActive()) {
				leaveActive(old);
			}
		}
		return old;
	}

	/**
	 * The earlier active operation an operation must wait for because they share an ordering key.
	 * @param operation an operation
	 * @return the id of the oldest active operation with its key if that is an earlier one, otherwise
	 * {@literal null}
	 */
	public @Nullable String earlierWithSameKey(Operation operation) {
		String orderingKey = operation.orderingKey();
		if (orderingKey == null) {
			return null;
		}
		TreeSet<String> queue = this.activeByOrderingKey.get(orderingKey);
		if (queue == null || queue.isEmpty()) {
			return null;
		}
		String head = queue.first();
		return (head.compareTo(operation.id()) < 0) ? head : null;
	}

	/**
	 * The operations a claim at {@code now} would take, at most one per ordering key: the highest priority first,
	 * oldest first within a priority, except that {@code oldest} of them are the oldest due ones, whatever their
	 * priority (so that a constant stream of urgent work cannot starve the rest). Returned in that claim order.
	 * @param now the current time
	 * @param limit the most to return
	 * @param oldest how many of them to take oldest first; at most {@code limit}
	 * @return the operations, unchanged
	 */
	public List<Operation> dueCandidates(Instant now, int limit, int oldest) {
		List<Operation> comeDue = new ArrayList<>();
		while (!this.scheduled.isEmpty() && !this.scheduled.first().nextAttemptAt().isAfter(now)) {
			comeDue.add(this.scheduled.pollFirst());
		}
		addDue(comeDue);
		// The first `limit` due operations of each queue have smaller ids than any it holds after them, so no more
		// need to move: after a long time without a claim, the others would hold up every writer while they move.
		for (int priority = NewOperation.HIGHEST_PRIORITY; priority >= NewOperation.LOWEST_PRIORITY; priority--) {
			ArrayDeque<Operation> queue = this.scheduledInOrder[priority];
			int moved = 0;
			while (moved < limit && !queue.isEmpty() && !queue.peekFirst().nextAttemptAt().isAfter(now)) {
				Operation operation = queue.pollFirst();
				if (isCurrent(operation)) {
					this.due[priority].add(operation.id());
					moved++;
				}
				else if (this.staleInOrder > 0) {
					this.staleInOrder--;
				}
			}
		}
		List<Operation> candidates = new ArrayList<>(Math.min(limit, 1_024));
		Set<String> takenOldest = new HashSet<>();
		for (int i = 0; i < oldest && candidates.size() < limit; i++) {
			Operation first = oldestDue(now, takenOldest);
			if (first == null) {
				break;
			}
			candidates.add(first);
			takenOldest.add(first.id());
		}
		for (int priority = NewOperation.HIGHEST_PRIORITY; priority >= NewOperation.LOWEST_PRIORITY; priority--) {
			Iterator<String> ids = this.due[priority].iterator();
			while (candidates.size() < limit && ids.hasNext()) {
				String id = ids.next();
				Operation operation = held(id);
				// A clock that went backwards can make a due operation not due again: it waits, in place.
				if (!operation.nextAttemptAt().isAfter(now) && !takenOldest.contains(id)) {
					candidates.add(operation);
				}
			}
		}
		if (!takenOldest.isEmpty()) {
			// Sent in claim order: the oldest ones taken for their age go after the urgent ones.
			candidates.sort(CLAIM_ORDER);
		}
		return candidates;
	}

	/** @return the due operation with the smallest id not taken yet, whatever its priority, or {@literal null} */
	private @Nullable Operation oldestDue(Instant now, Set<String> taken) {
		Operation oldest = null;
		for (int priority = NewOperation.LOWEST_PRIORITY; priority < PRIORITIES; priority++) {
			for (String id : this.due[priority]) {
				Operation operation = held(id);
				if (!operation.nextAttemptAt().isAfter(now) && !taken.contains(id)) {
					if (oldest == null || id.compareTo(oldest.id()) < 0) {
						oldest = operation;
					}
					break;
				}
			}
		}
		return oldest;
	}

	private void addDue(List<Operation> comeDue) {
		if (comeDue.size() > 1) {
			// Many come due at once at the first claim after opening or after a pause: sorted once and each set
			// built from them in linear time when it is empty, instead of a tree insert each (350 to 570 ms for
			// 500,000).
			comeDue.sort(Comparator.comparingInt(Operation::priority).thenComparing(Operation::id));
		}
		int from = 0;
		while (from < comeDue.size()) {
			int priority = comeDue.get(from).priority();
			int to = from;
			List<String> ids = new ArrayList<>();
			while (to < comeDue.size() && comeDue.get(to).priority() == priority) {
				ids.add(comeDue.get(to++).id());
			}
			if (this.due[priority].isEmpty() && ids.size() > 1) {
				this.due[priority].addAll(new SortedRuns.Run<>(ids, null));
			}
			else {
				this.due[priority].addAll(ids);
			}
			from = to;
		}
	}

	/**
	 * @param now the current time
	 * @param limit the most to return
	 * @return claimable operations whose expiry is at or before {@code now}, soonest expired first
	 */
	public List<Operation> expiredBy(Instant now, int limit) {
		return upTo(this.expiring, OperationIndex::expiry, now, limit);
	}

	/** @return the soonest expiry of a claimable operation, or {@literal null} if none has one */
	public @Nullable Instant nextExpiry() {
		return this.expiring.isEmpty() ? null : this.expiring.first().expiresAt();
	}

	/**
	 * @param claimedBefore the cutoff
	 * @return operations in flight whose claim is at or before the cutoff
	 */
	public List<Operation> inFlightClaimedBefore(Instant claimedBefore) {
		return upTo(this.inFlight, Operation::updatedAt, claimedBefore, Integer.MAX_VALUE);
	}

	/**
	 * @param updatedBefore the cutoff
	 * @return done and expired operations last updated at or before the cutoff
	 */
	public List<Operation> doneBefore(Instant updatedBefore) {
		return upTo(this.done, Operation::updatedAt, updatedBefore, Integer.MAX_VALUE);
	}

	/** @return the first operations of a set in the order of a time, up to the cutoff and at most the limit */
	private static List<Operation> upTo(TreeSet<Operation> byTime, Function<Operation, Instant> time, Instant cutoff,
			int limit) {
		List<Operation> result = new ArrayList<>();
		for (Operation operation : byTime) {
			if (result.size() == limit || time.apply(operation).isAfter(cutoff)) {
				break;
			}
			result.add(operation);
		}
		return result;
	}

	/**
	 * List operations in id order.
	 * @param statuses statuses to include; empty for all
	 * @param afterId start after this id, or {@literal null}
	 * @param limit the most to return
	 * @return the operations
	 */
	public List<Operation> list(Set<OperationStatus> statuses, @Nullable String afterId, int limit) {
		NavigableMap<String, Operation> range = (afterId != null) ? this.byId.tailMap(afterId, false) : this.byId;
		List<Operation> result = new ArrayList<>();
		for (Operation operation : range.values()) {
			if (statuses.isEmpty() || statuses.contains(operation.status())) {
				result.add(operation);
				if (result.size() == limit) {
					break;
				}
			}
		}
		return result;
	}

	/** @return the counts by status and the oldest active operation */
	public OutboxStats stats() {
		Map<OperationStatus, Long> byStatus = new EnumMap<>(OperationStatus.class);
		for (OperationStatus status : OperationStatus.values()) {
			byStatus.put(status, this.counts[status.ordinal()]);
		}
		return new OutboxStats(byStatus, oldestActiveCreatedAt());
	}

	/** @return how many operations are still to be delivered (pending, in flight, failed) */
	public long activeCount() {
		long active = 0;
		for (OperationStatus status : OperationStatus.values()) {
			if (status.isActive()) {
				active += this.counts[status.ordinal()];
			}
		}
		return active;
	}

	private @Nullable Instant oldestActiveCreatedAt() {
		long active = activeCount();
		if (active == 0 || this.noActiveBefore == null) {
			this.noActiveBefore = null;
			return null;
		}
		for (Operation operation : this.byId.tailMap(this.noActiveBefore, true).values()) {
			if (operation.status().isActive()) {
				this.noActiveBefore = operation.id();
				return operation.createdAt();
			}
		}
		throw new IllegalStateException("Counted " + active + " active operations but found none");
	}

	private void enterActive(Operation operation) {
		if (this.noActiveBefore == null || operation.id().compareTo(this.noActiveBefore) < 0) {
			this.noActiveBefore = operation.id();
		}
		String orderingKey = operation.orderingKey();
		if (orderingKey != null) {
			TreeSet<String> queue = this.activeByOrderingKey.computeIfAbsent(orderingKey, (key) -> new TreeSet<>());
			String previousHead = queue.isEmpty() ? null : queue.first();
			queue.add(operation.id());
			if (previousHead != null && !previousHead.equals(queue.first())) {
				// An older operation came back (an operator retry): the former head must wait for it again.
				unschedule(held(previousHead));
			}
		}
	}

	private void leaveActive(Operation operation) {
		String orderingKey = operation.orderingKey();
		if (orderingKey != null) {
			TreeSet<String> queue = queueOf(orderingKey);
			boolean wasHead = queue.first().equals(operation.id());
			queue.remove(operation.id());
			if (queue.isEmpty()) {
				this.activeByOrderingKey.remove(orderingKey);
			}
			else if (wasHead) {
				schedule(held(queue.first()));
			}
		}
	}

	private boolean isHead(Operation operation) {
		String orderingKey = operation.orderingKey();
		return orderingKey == null || queueOf(orderingKey).first().equals(operation.id());
	}

	/** An operation the index holds: one its other indexes name by id. */
	private Operation held(String id) {
		return Objects.requireNonNull(this.byId.get(id), id);
	}

	/** The queue of an ordering key that has an active operation. */
	private TreeSet<String> queueOf(String orderingKey) {
		return Objects.requireNonNull(this.activeByOrderingKey.get(orderingKey), orderingKey);
	}

	/** The expiry of an operation in {@link #expiring}, which holds only operations with one. */
	private static Instant expiry(Operation operation) {
		return Objects.requireNonNull(operation.expiresAt(), operation.id());
	}

	private void addToStatusIndexes(Operation operation) {
		this.counts[operation.status().ordinal()]++;
		switch (operation.status()) {
			case PENDING, FAILED -> {
				if (isHead(operation)) {
					schedule(operation);
				}
				if (operation.expiresAt() != null) {
					this.expiring.add(operation);
				}
			}
			case IN_FLIGHT -> this.inFlight.add(operation);
			case DONE, EXPIRED -> this.done.add(operation);
			case PERMANENTLY_FAILED -> {
			}
		}
	}

	private void removeFromStatusIndexes(Operation operation) {
		this.counts[operation.status().ordinal()]--;
		switch (operation.status()) {
			case PENDING, FAILED -> {
				unschedule(operation);
				if (operation.expiresAt() != null) {
					this.expiring.remove(operation);
				}
			}
			case IN_FLIGHT -> this.inFlight.remove(operation);
			case DONE, EXPIRED -> this.done.remove(operation);
			case PERMANENTLY_FAILED -> {
			}
		}
	}

	private void schedule(Operation operation) {
		if (!operation.status().isClaimable()) {
			return;
		}
		if (operation.orderingKey() == null && fitsInOrder(operation)) {
			this.scheduledInOrder[operation.priority()].addLast(operation);
		}
		else {
			this.scheduled.add(operation);
		}
	}

	/** Whether an operation without an ordering key may go after every one in its {@code scheduledInOrder}. */
	private boolean fitsInOrder(Operation operation) {
		Operation last = this.scheduledInOrder[operation.priority()].peekLast();
		return last == null
				|| (BY_NEXT_ATTEMPT.compare(last, operation) < 0 && last.id().compareTo(operation.id()) < 0);
	}

	private boolean isCurrent(Operation operation) {
		return this.byId.get(operation.id()) == operation;
	}

	private void unschedule(Operation operation) {
		boolean wasWaiting = this.scheduled.remove(operation);
		boolean wasDue = this.due[operation.priority()].remove(operation.id());
		if (!wasWaiting && !wasDue && operation.orderingKey() == null) {
			// Its entry in scheduledInOrder is stale now. Operations that change before they come due (claimed by
			// id, cancelled) must not pile up there: once half the entries are stale, they all go, at a cost per
			// entry that the changes which made them stale have paid for.
			this.staleInOrder++;
			int queued = 0;
			for (int priority = NewOperation.LOWEST_PRIORITY; priority < PRIORITIES; priority++) {
				queued += this.scheduledInOrder[priority].size();
			}
			if (this.staleInOrder > MIN_STALE_TO_SWEEP && this.staleInOrder > queued / 2) {
				for (int priority = NewOperation.LOWEST_PRIORITY; priority < PRIORITIES; priority++) {
					this.scheduledInOrder[priority].removeIf((entry) -> !isCurrent(entry));
				}
				this.staleInOrder = 0;
			}
		}
	}

}
