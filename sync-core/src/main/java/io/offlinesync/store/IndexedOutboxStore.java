package io.offlinesync.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import org.jspecify.annotations.Nullable;

import io.offlinesync.Operation;
import io.offlinesync.OperationFilter;
import io.offlinesync.OperationNotFoundException;
import io.offlinesync.OperationStatus;
import io.offlinesync.OutboxStats;
import io.offlinesync.StoreException;

/**
 * Base of the stores that keep every operation's state in an {@link OperationIndex}. Under the store's monitor a
 * change is checked, handed to {@link #persist} (which writes it, or fails and changes nothing) and applied to the
 * index; then, outside the monitor, the caller waits in {@link #awaitDurable} until the change is durable. Waiting
 * outside the monitor lets concurrent changes share one forced write (group commit). A call returns only once its
 * change is durable; a subclass that cannot make it durable undoes it (see {@link #awaitDurable}).
 *
 * @since 0.1.0
 */
public abstract class IndexedOutboxStore implements OutboxStore {

	private static final System.Logger logger = System.getLogger(IndexedOutboxStore.class.getName());

	private final OperationIndex index = new OperationIndex();

	private boolean closed;

	/** Changes waiting to be applied under the monitor; see {@link #commit}. */
	private final Queue<Change<?>> changes = new ConcurrentLinkedQueue<>();

	/** Whether a caller is applying the queued changes. */
	private final AtomicBoolean applying = new AtomicBoolean();

	/** Operations whose state could not be read back; guarded by the monitor. */
	private final Map<String, QuarantinedOperation> quarantined = new LinkedHashMap<>();

	private final OldestShare oldestShare = new OldestShare();

	/** Claim tokens whose claimer is known to have ended; guarded by the monitor. See {@link #abandonClaimsInFlight}. */
	private final Set<String> abandonedClaims = new HashSet<>();

	/**
	 * Write changes. Called with the store's monitor held, before the changes reach the index (which still holds
	 * the previous state of each operation).
	 * @param upserts operations to add or replace, in order
	 * @param removals ids to remove
	 * @return a ticket to pass to {@link #awaitDurable}, or 0 if the changes are as durable as they will get
	 * @throws StoreException if they could not be written; nothing of them may then be visible after a reopen
	 */
	protected abstract long persist(List<Operation> upserts, List<String> removals);

	/**
	 * Wait, without the store's monitor, until the changes of a ticket are durable.
	 * @param ticket a ticket from {@link #persist}, never 0
	 * @throws StoreException if they could not be made durable; the subclass has then undone them in the index
	 */
	protected void awaitDurable(long ticket) {
	}

	/**
	 * Called after a persisted change has been applied to the index, with the store's monitor held: the place for
	 * housekeeping that must see the new state, such as compaction. Must not throw.
	 */
	protected void afterChange() {
	}

	/**
	 * The form an operation is kept in by the index; called, with the monitor held, for every state that is put in
	 * it. A store that keeps payloads off the heap returns a copy without one. This default keeps it as it is.
	 * @param operation the whole operation
	 * @return what the index keeps
	 */
	protected Operation indexed(Operation operation) {
		return operation;
	}

	/**
	 * The whole operation for a state the index keeps; called, with the monitor held, for every operation that
	 * leaves the store. The inverse of {@link #indexed}; this default returns it as it is.
	 * @param indexed what the index keeps
	 * @return the whole operation
	 * @throws UnreadableOperationException if it cannot be read back: the operation is then quarantined
	 */
	protected Operation materialized(Operation indexed) {
		return indexed;
	}

	/**
	 * Release the subclass's resources; called once, with the store's monitor held.
	 */
	protected void onClose() {
	}

	/**
	 * The index, for subclasses that load or undo state (with the monitor held).
	 * @return the index
	 */
	protected final OperationIndex index() {
		return this.index;
	}

	@Override
	public void insert(List<Operation> operations) {
		commit(() -> {
			requireOpen();
			// Ids in ascending order (as an Outbox makes them) cannot repeat within the batch, and if the first
			// comes after every stored id none of them is stored; only other batches need a lookup per id and a set.
			boolean ascending = true;
			for (int i = 1; i < operations.size() && ascending; i++) {
				ascending = operations.get(i - 1).id().compareTo(operations.get(i).id()) < 0;
			}
			String last = this.index.lastId();
			boolean allNew = ascending && !operations.isEmpty()
					&& (last == null || last.compareTo(operations.get(0).id()) < 0);
			if (!allNew) {
				for (Operation operation : operations) {
					if (this.index.get(operation.id()) != null) {
						throw alreadyStored(operation.id());
					}
				}
			}
			if (!ascending) {
				Set<String> ids = new HashSet<>();
				for (Operation operation : operations) {
					if (!ids.add(operation.id())) {
						throw alreadyStored(operation.id());
					}
				}
			}
			return new Committed<>(operations, apply(operations, List.of()));
		});
	}

	@Override
	public synchronized Optional<Operation> find(String id) {
		requireOpen();
		Operation indexed = this.index.get(id);
		return (indexed != null) ? Optional.ofNullable(readable(indexed)) : Optional.empty();
	}

	@Override
	public synchronized List<Operation> list(Set<OperationStatus> statuses, @Nullable String afterId, int limit) {
		requireOpen();
		requirePositive(limit);
		List<Operation> whole = new ArrayList<>();
		for (Operation indexed : this.index.list(statuses, afterId, limit)) {
			Operation operation = readable(indexed);
			if (operation != null) {
				whole.add(operation);
			}
		}
		return whole;
	}

	@Override
	public List<Operation> claimReady(Instant now, int limit) {
		return commit(() -> {
			requireOpen();
			requirePositive(limit);
			List<Operation> claimed = new ArrayList<>();
			List<Operation> whole = new ArrayList<>();
			for (Operation candidate : this.index.dueCandidates(now, limit, this.oldestShare.oldestOf(limit))) {
				if (Transitions.hasExpired(candidate, now)) {
					// Never sent once expired; the next sweep expires it (expire).
					continue;
				}
				// Read before it is claimed: one that cannot be read is set aside, and the others go on.
				Operation readable = readable(candidate);
				if (readable != null) {
					Operation claim = Transitions.claim(candidate, null, Transitions.newClaimToken(), now);
					claimed.add(claim);
					whole.add(claim.toBuilder().payload(readable.payload()).build());
				}
			}
			long ticket = apply(claimed, List.of());
			this.oldestShare.claimed(claimed.size());
			return new Committed<>(whole, ticket);
		});
	}

	@Override
	public Operation claim(String id, Instant now) {
		return change(id, (operation) -> Transitions.claim(operation, this.index.earlierWithSameKey(operation),
				Transitions.newClaimToken(), now));
	}

	@Override
	public Operation complete(String id, @Nullable String claimToken, Instant now) {
		return change(id, (operation) -> Transitions.complete(operation, claimToken, now));
	}

	/**
	 * All completions in one persisted change, so that they share one forced write.
	 */
	@Override
	public List<Operation> completeAll(List<Operation> claimed, Instant now) {
		return commit(() -> {
			requireOpen();
			List<Operation> completed = new ArrayList<>(claimed.size());
			for (Operation operation : claimed) {
				Operation current = this.index.get(operation.id());
				if (current != null && Transitions.holdsClaim(current, operation.claimToken())) {
					completed.add(Transitions.complete(current, operation.claimToken(), now));
				}
			}
			long ticket = apply(completed, List.of());
			return new Committed<>(materializedAll(completed), ticket);
		});
	}

	@Override
	public Operation fail(String id, @Nullable String claimToken, String error, @Nullable Instant retryAt,
			Instant now) {
		return change(id, (operation) -> Transitions.fail(operation, claimToken, error, retryAt, now));
	}

	@Override
	public Operation release(String id, @Nullable String claimToken, Instant now) {
		return change(id, (operation) -> Transitions.release(operation, claimToken, now));
	}

	@Override
	public int requeueStale(Instant claimedBefore, int maxAttempts, Instant now) {
		return commit(() -> {
			requireOpen();
			Map<String, Operation> requeued = new LinkedHashMap<>();
			if (!this.abandonedClaims.isEmpty()) {
				for (Operation claimed : this.index.inFlightClaimedBefore(Instant.MAX)) {
					if (this.abandonedClaims.contains(claimed.claimToken())) {
						requeued.put(claimed.id(), Transitions.requeueAbandoned(claimed, maxAttempts, now));
					}
				}
				this.abandonedClaims.clear();
			}
			for (Operation stale : this.index.inFlightClaimedBefore(claimedBefore)) {
				requeued.putIfAbsent(stale.id(), Transitions.requeueStale(stale, maxAttempts, now));
			}
			List<Operation> changes = new ArrayList<>(requeued.values());
			return new Committed<>(changes.size(), apply(changes, List.of()));
		});
	}

	/**
	 * Mark every operation now in flight as abandoned, for a store that knows their claimers ended (one just opened
	 * under an exclusive lock): the next {@link #requeueStale} requeues them whatever the age of their claim.
	 * @return how many
	 */
	protected final synchronized int abandonClaimsInFlight() {
		for (Operation claimed : this.index.inFlightClaimedBefore(Instant.MAX)) {
			this.abandonedClaims.add(claimed.claimToken());
		}
		return this.abandonedClaims.size();
	}

	@Override
	public Operation retry(String id, Instant now) {
		return change(id, (operation) -> Transitions.retry(operation, now));
	}

	@Override
	public Operation discard(String id) {
		return commit(() -> {
			requireOpen();
			Operation operation = require(id);
			Transitions.requireDiscardable(operation);
			Operation readable = readable(operation);
			Operation whole = (readable != null) ? readable : operation;
			return new Committed<>(whole, apply(List.of(), List.of(id)));
		});
	}

	/** Every retry in one persisted change. */
	@Override
	public int retryMatching(OperationFilter filter, Instant now) {
		return commit(() -> {
			requireOpen();
			List<Operation> retried = new ArrayList<>();
			for (Operation operation : selectMatching(filter)) {
				if (operation.status() == OperationStatus.PERMANENTLY_FAILED
						|| operation.status() == OperationStatus.FAILED) {
					retried.add(Transitions.retry(operation, now));
				}
			}
			return new Committed<>(retried.size(), apply(retried, List.of()));
		});
	}

	/** Every removal in one persisted change. */
	@Override
	public int discardMatching(OperationFilter filter) {
		return commit(() -> {
			requireOpen();
			List<String> ids = new ArrayList<>();
			for (Operation operation : selectMatching(filter)) {
				if (operation.status() != OperationStatus.IN_FLIGHT) {
					ids.add(operation.id());
				}
			}
			return new Committed<>(ids.size(), apply(List.of(), ids));
		});
	}

	@Override
	public synchronized int countMatching(OperationFilter filter) {
		requireOpen();
		return selectMatching(filter).size();
	}

	/** With the monitor held: what the filter selects, from the index (payloads are not needed to select). */
	private List<Operation> selectMatching(OperationFilter filter) {
		return Selection.matching(filter, (after, limit) -> this.index.list(filter.statuses(), after, limit));
	}

	@Override
	public int purgeDone(Instant updatedBefore) {
		return commit(() -> {
			requireOpen();
			List<String> ids = this.index.doneBefore(updatedBefore).stream().map(Operation::id).toList();
			return new Committed<>(ids.size(), apply(List.of(), ids));
		});
	}

	@Override
	public List<Operation> expire(Instant now, int limit) {
		return commit(() -> {
			requireOpen();
			requirePositive(limit);
			List<Operation> expired = new ArrayList<>();
			for (Operation operation : this.index.expiredBy(now, limit)) {
				expired.add(Transitions.expire(operation, now));
			}
			long ticket = apply(expired, List.of());
			return new Committed<>(expired.stream().map((operation) -> operation.toBuilder().payload("").build())
				.toList(), ticket);
		});
	}

	@Override
	public synchronized List<QuarantinedOperation> quarantined() {
		return List.copyOf(this.quarantined.values());
	}

	/**
	 * @return the whole operation, or {@literal null} if it could not be read back: it is then quarantined, out of
	 * the index, so that it neither stalls claims nor fails listings
	 */
	private @Nullable Operation readable(Operation indexed) {
		try {
			return materialized(indexed);
		}
		catch (UnreadableOperationException ex) {
			this.index.remove(indexed.id());
			this.quarantined.put(indexed.id(),
					new QuarantinedOperation(indexed.id(), String.valueOf(ex.getMessage()), Instant.now()));
			logger.log(System.Logger.Level.WARNING, "Operation " + indexed.id() + " quarantined, the others go on: "
					+ ex.getMessage());
			return null;
		}
	}

	@Override
	public synchronized OutboxStats stats() {
		requireOpen();
		return this.index.stats();
	}

	@Override
	public synchronized void close() {
		if (!this.closed) {
			this.closed = true;
			onClose();
		}
	}

	/**
	 * @return whether {@link #close()} was called
	 */
	protected final synchronized boolean isClosed() {
		return this.closed;
	}

	private Operation change(String id, UnaryOperator<Operation> transition) {
		return commit(() -> {
			requireOpen();
			Operation changed = transition.apply(require(id));
			long ticket = apply(List.of(changed), List.of());
			Operation whole = readable(changed);
			// The change is stored; an operation just quarantined is returned as the index kept it.
			return new Committed<>((whole != null) ? whole : changed, ticket);
		});
	}

	/**
	 * Run a change under the monitor, then wait for its durability outside it.
	 *
	 * <p>Changes are combined: each caller queues its change, and whichever caller finds no one applying them takes
	 * the monitor, applies every queued change in order, lets go, waits until the latest of them is durable and then
	 * wakes their callers. Many writers released by one forced write come back at once; taking the monitor one after
	 * another, each would wait for the previous one to be scheduled again, and each would then sleep a second time
	 * until its write is durable. A change that fails throws in its own caller (with the applying thread's stack
	 * trace); each caller still checks the durability of its own change, which a failed force may have undone.
	 */
	private <T> T commit(Supplier<Committed<T>> body) {
		Committed<T> committed;
		if (Thread.holdsLock(this)) {
			committed = body.get();
		}
		else {
			Change<T> change = new Change<>(body);
			this.changes.add(change);
			awaitCombined(change);
			committed = change.result();
		}
		if (committed.ticket() != 0) {
			awaitDurable(committed.ticket());
		}
		return committed.value();
	}

	private void awaitCombined(Change<?> change) {
		boolean interrupted = false;
		while (!change.finished) {
			// Once applied by another caller, the change waits for that caller to see it durable.
			if (!change.applied && this.applying.compareAndSet(false, true)) {
				combine();
			}
			else {
				LockSupport.park(this);
				// Uninterruptible, like taking a monitor: the change may already be applied.
				interrupted |= Thread.interrupted();
			}
		}
		if (interrupted) {
			Thread.currentThread().interrupt();
		}
	}

	/** With {@code applying} set: apply the queued changes, then see them durable and wake their callers. */
	private void combine() {
		List<Change<?>> served = new ArrayList<>();
		long latest = 0;
		try {
			synchronized (this) {
				Change<?> next;
				while ((next = this.changes.poll()) != null) {
					latest = Math.max(latest, next.apply());
					served.add(next);
				}
			}
		}
		finally {
			this.applying.set(false);
		}
		// A change queued after the queue was drained, whose caller found this one still applying, would otherwise
		// wait for no one: its caller is woken to apply it.
		Change<?> waiting = this.changes.peek();
		if (waiting != null) {
			LockSupport.unpark(waiting.caller);
		}
		try {
			if (latest != 0) {
				awaitDurable(latest);
			}
		}
		catch (RuntimeException ex) {
			// Each caller learns the outcome of its own change from awaitDurable.
		}
		finally {
			Thread self = Thread.currentThread();
			for (Change<?> change : served) {
				change.finished = true;
				if (change.caller != self) {
					LockSupport.unpark(change.caller);
				}
			}
		}
	}

	private long apply(List<Operation> upserts, List<String> removals) {
		if (upserts.isEmpty() && removals.isEmpty()) {
			return 0;
		}
		long ticket = persist(upserts, removals);
		upserts.forEach((operation) -> this.index.put(indexed(operation)));
		removals.forEach(this.index::remove);
		afterChange();
		return ticket;
	}

	private List<Operation> materializedAll(List<Operation> operations) {
		List<Operation> whole = new ArrayList<>(operations.size());
		for (Operation operation : operations) {
			Operation readable = readable(operation);
			whole.add((readable != null) ? readable : operation);
		}
		return whole;
	}

	private Operation require(String id) {
		Operation operation = this.index.get(id);
		if (operation == null) {
			throw new OperationNotFoundException(id);
		}
		return operation;
	}

	private void requireOpen() {
		if (this.closed) {
			throw new StoreException("The outbox store " + this + " is closed");
		}
	}

	private static IllegalArgumentException alreadyStored(String id) {
		return new IllegalArgumentException("Operation id '" + id + "' is already stored");
	}

	private static void requirePositive(int limit) {
		if (limit < 1) {
			throw new IllegalArgumentException("'limit' must be at least 1 but was " + limit);
		}
	}

	private record Committed<T>(T value, long ticket) {
	}

	/** A change waiting in the queue of {@link #commit}, and its outcome. */
	private static final class Change<T> {

		private final Supplier<Committed<T>> body;

		private final Thread caller = Thread.currentThread();

		private @Nullable Committed<T> committed;

		private @Nullable Throwable failure;

		/** Applied (or refused); written after the outcome, read without the monitor. */
		private volatile boolean applied;

		/** Applied, and durable if it could be made so. */
		private volatile boolean finished;

		Change(Supplier<Committed<T>> body) {
			this.body = body;
		}

		/** @return the change's durability ticket, 0 if none */
		long apply() {
			try {
				this.committed = this.body.get();
				return this.committed.ticket();
			}
			catch (RuntimeException | Error ex) {
				this.failure = ex;
				return 0;
			}
			finally {
				this.applied = true;
			}
		}

		Committed<T> result() {
			if (this.failure instanceof RuntimeException ex) {
				throw ex;
			}
			if (this.failure instanceof Error error) {
				throw error;
			}
			// Without a failure, the change was applied and its outcome set.
			return Objects.requireNonNull(this.committed);
		}

	}

}
