package io.offlinesync.store.file;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;

import org.jspecify.annotations.Nullable;

import io.offlinesync.StoreException;

/**
 * Group commit: many writers' changes share one force of the journal.
 *
 * <p>Every write gets a sequence number ({@link #written}), under the store's monitor. A writer then waits, without
 * that monitor, in {@link #awaitDurable}: the first to find no force running becomes the leader, writes what the
 * journal holds and forces the file for every write made so far, while others go on appending; the rest park until a
 * force covers their write. A leader that is done wakes exactly the writers it covered and, if some are left, one of
 * them to lead the next force. A writer that could lead parks briefly first when fewer writes are pending than the
 * last force covered, so that the writers that force just released join the next one. A write of 64 KB or more has
 * its force started at once on a thread of its own, while its writer still updates the index.
 *
 * <p>If a write or a force fails, the store undoes everything not yet durable ({@link #rollBack}) and every writer of
 * it throws. Guards: {@code syncState} for the fields that say so; sequence numbers are written under the store's
 * monitor and read anywhere.
 */
final class GroupCommit {

	/** After a force of more writes than this, the next one starts without gathering; see {@link #gatherWindow}. */
	private static final int MOST_TO_GATHER = 16;

	/** A write at least this long has its force started at once on another thread. */
	static final int FORCE_AHEAD_FROM = 1 << 16;

	private static final Thread[] NO_THREADS = {};

	/** What the commit needs of the journal and the store. */
	interface Journal {

		/** @return whether records are held for the leader to write; read without the store's monitor */
		boolean isHolding();

		/** Write the held records, taking the store's monitor. */
		void writeHeld() throws IOException;

		/** @return the channel to force */
		FileChannel channel();

		/** Undo everything not durable, taking the store's monitor; see {@link GroupCommit#rollBack}. */
		StoreException rollBack(IOException cause, String action);

	}

	private final Journal journal;

	/** What parked writers are parked on, as thread dumps show it: the store. */
	private final Object blocker;

	private final long gatherWaitNanos;

	private final Object syncState = new Object();

	/** How many writes were appended; written under the store's monitor only. */
	private volatile long writtenSeq;

	/** The last write whose bytes are all in the file (none of them held); written under the store's monitor. */
	private volatile long fileSeq;

	private volatile long durableSeq;

	/** How many writes the last force covered: how many the next leader waits for. */
	private volatile long lastBatch = 1;

	/** Whether a force (or a compaction's switch) runs; guarded by {@code syncState}. */
	private boolean syncing;

	/** The one writer that waits, until a deadline, for others to join its force; guarded by {@code syncState}. */
	private @Nullable Waiter gatherer;

	/** Writers parked until their write is durable or they may lead a force; guarded by {@code syncState}. */
	private final List<Waiter> waiters = new ArrayList<>();

	/**
	 * Ranges of writes undone by a failed force, replaced (never changed) under {@code syncState}, so that a released
	 * writer can tell its outcome without taking a lock. A range is published before a later force passes it.
	 */
	private volatile long[][] rolledBack = new long[0][];

	private volatile @Nullable StoreException rollbackCause;

	/** Starts the forces of large writes; created with the first, under the store's monitor. */
	private volatile @Nullable ExecutorService forceAhead;

	/** The last write whose force was started ahead: its writer leaves the forcing to that thread. */
	private volatile long forcedAheadSeq;

	GroupCommit(Journal journal, Object blocker, FileStoreSettings settings) {
		this.journal = journal;
		this.blocker = blocker;
		this.gatherWaitNanos = settings.gatherWait().toNanos();
	}

	/**
	 * With the store's monitor held: number a write just appended.
	 * @param held whether its bytes are held rather than in the file
	 * @param length its length, to start the force of a large one at once
	 * @return its ticket for {@link #awaitDurable}
	 */
	long written(boolean held, int length) {
		long seq = this.writtenSeq + 1;
		this.writtenSeq = seq;
		if (!this.journal.isHolding()) {
			this.fileSeq = seq;
		}
		if (!held && length >= FORCE_AHEAD_FROM) {
			startForce(seq);
		}
		return seq;
	}

	/** With the store's monitor held: every write so far is in the file. */
	void heldWritten() {
		this.fileSeq = this.writtenSeq;
	}

	/** @return the last durable write */
	long durable() {
		return this.durableSeq;
	}

	/**
	 * Begin making a write durable on another thread. The writer still waits in {@link #awaitDurable}, where it
	 * finds this force running (or done) and shares it; a failure reaches it there too, through the rollback.
	 */
	private void startForce(long seq) {
		if (this.forceAhead == null) {
			this.forceAhead = Executors.newSingleThreadExecutor((task) -> {
				Thread thread = new Thread(task, "offline-sync-journal-force");
				thread.setDaemon(true);
				return thread;
			});
		}
		try {
			this.forceAhead.execute(() -> {
				try {
					awaitDurable(seq, false);
				}
				catch (StoreException ex) {
					// Rolled back: the writer's own wait reports it.
				}
			});
			this.forcedAheadSeq = seq;
		}
		catch (RejectedExecutionException ex) {
			// Closing: the writer forces for itself.
		}
	}

	/** Wait, without the store's monitor, until a write is durable; throw if it was undone. */
	void awaitDurable(long ticket) {
		awaitDurable(ticket, true);
	}

	/**
	 * @param gather whether a leader waits, briefly, for the writers of the last batch to join its force
	 */
	private void awaitDurable(long ticket, boolean gather) {
		Waiter waiter = null;
		long gatherUntil = 0;
		while (true) {
			long parkFor;
			// A released writer returns from here without taking a lock: many are released at once, and taking a
			// monitor one after another would make them queue behind each other's wake-ups. durableSeq is read
			// first: a range undone before it passed this ticket is then visible.
			boolean durable = this.durableSeq >= ticket;
			if (isRolledBack(ticket)) {
				throw this.rollbackCause;
			}
			if (durable) {
				return;
			}
			synchronized (this.syncState) {
				if (this.durableSeq >= ticket || isRolledBack(ticket)) {
					continue;
				}
				if (waiter != null && this.gatherer == waiter) {
					this.gatherer = null;
				}
				long gatherFor = 0;
				if (mayLead(ticket, gather)) {
					// Until as many writes are pending as the last force covered, this writer parks, briefly, and the
					// one whose write completes the batch leads instead: a leader spinning for them would take one of
					// the cores they need. A writer working alone never waits (its batch is 1).
					if (gather && this.writtenSeq - this.durableSeq < this.lastBatch) {
						long now = System.nanoTime();
						if (gatherUntil == 0) {
							gatherUntil = now + gatherWindow(this.lastBatch);
						}
						gatherFor = gatherUntil - now;
					}
					if (gatherFor <= 0) {
						this.syncing = true;
						if (waiter != null && waiter.parked) {
							this.waiters.remove(waiter);
							waiter.parked = false;
						}
						break;
					}
					// One gathering writer keeps a deadline; the others wait for a force without one.
					if (this.gatherer != null) {
						gatherFor = 0;
					}
				}
				if (waiter == null) {
					waiter = new Waiter(ticket, gather);
				}
				if (gatherFor > 0) {
					this.gatherer = waiter;
				}
				if (!waiter.parked) {
					this.waiters.add(waiter);
					waiter.parked = true;
				}
				parkFor = gatherFor;
			}
			if (parkFor > 0) {
				LockSupport.parkNanos(this.blocker, parkFor);
			}
			else {
				LockSupport.park(this.blocker);
			}
			if (Thread.interrupted()) {
				abandon(waiter);
			}
		}
		lead();
	}

	/** As the leader: write what is held, force, and release the writers covered. */
	private void lead() {
		if (this.journal.isHolding()) {
			try {
				this.journal.writeHeld();
			}
			catch (IOException ex) {
				throw this.journal.rollBack(ex, "write to the outbox journal");
			}
		}
		// The force covers exactly the writes whose bytes are in the file by now.
		long target = this.fileSeq;
		try {
			this.journal.channel().force(false);
		}
		catch (IOException ex) {
			throw this.journal.rollBack(ex, "force the outbox journal to disk");
		}
		Thread[] released;
		synchronized (this.syncState) {
			if (target > this.durableSeq) {
				this.lastBatch = target - this.durableSeq;
				this.durableSeq = target;
			}
			this.syncing = false;
			released = takeReleased();
			this.syncState.notifyAll();
		}
		for (Thread thread : released) {
			LockSupport.unpark(thread);
		}
	}

	private void abandon(Waiter waiter) {
		synchronized (this.syncState) {
			if (waiter.parked) {
				this.waiters.remove(waiter);
				waiter.parked = false;
			}
			if (this.gatherer == waiter) {
				// The writers waiting without a deadline need someone to lead.
				this.gatherer = null;
				releaseWaiters();
			}
		}
		Thread.currentThread().interrupt();
		throw new StoreException("Interrupted while waiting for the outbox journal to be forced to disk; "
				+ "the change may or may not be durable");
	}

	/**
	 * With {@code syncState} held: whether a writer may start a force now. None may while one runs, and a write that
	 * a force started ahead will cover waits for that force rather than lead one (unless it is that force's own).
	 */
	private boolean mayLead(long ticket, boolean gather) {
		return !this.syncing && (!gather || ticket > this.forcedAheadSeq);
	}

	/**
	 * How long a writer gathers others for a force that should cover {@code batch} writes: the configured wait for a
	 * batch of 16, up to twice as long for smaller ones, and none for larger ones, whose writers join the next force
	 * anyway while waiting for them would leave the disk idle.
	 */
	private long gatherWindow(long batch) {
		if (batch > MOST_TO_GATHER) {
			return 0;
		}
		return this.gatherWaitNanos * Math.max(8, Math.min(16, 128 / Math.max(1, batch))) / 8;
	}

	private boolean isRolledBack(long ticket) {
		for (long[] range : this.rolledBack) {
			if (ticket >= range[0] && ticket <= range[1]) {
				return true;
			}
		}
		return false;
	}

	/**
	 * With {@code syncState} held: take the parked writers whose write is now durable or undone, and, if no force
	 * runs, one more to lead the next force (first, so that it starts soonest). The caller unparks them.
	 */
	private Thread[] takeReleased() {
		if (this.waiters.isEmpty()) {
			return NO_THREADS;
		}
		List<Thread> released = new ArrayList<>(this.waiters.size());
		Waiter leader = null;
		for (Iterator<Waiter> each = this.waiters.iterator(); each.hasNext();) {
			Waiter waiter = each.next();
			if (this.durableSeq >= waiter.ticket || isRolledBack(waiter.ticket)) {
				each.remove();
				waiter.parked = false;
				released.add(waiter.thread);
				if (this.gatherer == waiter) {
					this.gatherer = null;
				}
			}
			else if (mayLead(waiter.ticket, waiter.gather) && (leader == null || waiter.ticket < leader.ticket)) {
				leader = waiter;
			}
		}
		if (leader != null) {
			this.waiters.remove(leader);
			leader.parked = false;
			released.add(0, leader.thread);
		}
		return released.toArray(NO_THREADS);
	}

	/** With {@code syncState} held, for paths that are rare: release whom {@link #takeReleased} names, now. */
	private void releaseWaiters() {
		for (Thread thread : takeReleased()) {
			LockSupport.unpark(thread);
		}
		this.syncState.notifyAll();
	}

	/**
	 * With the store's monitor held, after a failed write or force: undo every write not yet durable, and fail their
	 * writers.
	 * @param undoFrom undoes the writes from the given ticket on (the store restores states and cuts the file)
	 * @return the failure each of those writers throws
	 */
	StoreException rollBack(String message, IOException cause, LongConsumer undoFrom) {
		synchronized (this.syncState) {
			long from = this.durableSeq + 1;
			StoreException failure = new StoreException(message, cause);
			undoFrom.accept(from);
			long[][] ranges = Arrays.copyOf(this.rolledBack, this.rolledBack.length + 1);
			ranges[ranges.length - 1] = new long[] { from, this.writtenSeq };
			// The cause first: a writer that finds its range reads it next.
			this.rollbackCause = failure;
			this.rolledBack = ranges;
			this.syncing = false;
			releaseWaiters();
			return failure;
		}
	}

	/**
	 * With the store's monitor held: take the journal to itself, as a force would, unless a force runs.
	 * @return whether it did; if so, {@link #endExclusive} must follow
	 */
	boolean tryBeginExclusive() {
		synchronized (this.syncState) {
			if (this.syncing) {
				return false;
			}
			this.syncing = true;
			return true;
		}
	}

	/** The whole journal was just forced by its owner: everything written so far is durable. */
	void endExclusive(boolean allDurable) {
		synchronized (this.syncState) {
			if (allDurable) {
				this.durableSeq = this.writtenSeq;
			}
			this.syncing = false;
			releaseWaiters();
		}
	}

	/** Wait until no force runs: one that fails needs the store's monitor, so never call this holding it. */
	void awaitNoForce() {
		synchronized (this.syncState) {
			while (this.syncing) {
				try {
					this.syncState.wait();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return;
				}
			}
		}
	}

	/** Let the forces already started finish; later large writes force for themselves. Store's monitor not held. */
	void close() {
		ExecutorService forcer = this.forceAhead;
		if (forcer != null) {
			forcer.shutdown();
			try {
				forcer.awaitTermination(Long.MAX_VALUE, TimeUnit.NANOSECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
		awaitNoForce();
	}

	/** A writer parked in {@link #awaitDurable}. */
	private static final class Waiter {

		private final Thread thread = Thread.currentThread();

		private final long ticket;

		private final boolean gather;

		/** In {@code waiters}; guarded by {@code syncState}. */
		private boolean parked;

		Waiter(long ticket, boolean gather) {
			this.ticket = ticket;
			this.gather = gather;
		}

	}

}
