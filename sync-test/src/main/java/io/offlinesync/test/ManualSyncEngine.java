package io.offlinesync.test;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.SyncEngine;

/**
 * Steps a {@link SyncEngine} that does not run in the background, and moves a {@link SettableClock} from one due
 * retry to the next, so that a test of a whole retry schedule ("three failures, 0.5 s, 1 s and 2 s apart, then
 * parked") runs in milliseconds and the same way every time.
 *
 * <pre class="code">
 * ManualSyncEngine manual = new ManualSyncEngine(engine, outbox, clock);
 * Operation note = outbox.enqueue("http.post", "/notes", "{}");
 * manual.runUntilIdle();
 * </pre>
 *
 * @since 0.1.0
 */
public final class ManualSyncEngine {

	/** The most passes {@link #runUntilIdle()} makes before it gives up. */
	public static final int MAX_PASSES = 10_000;

	private final SyncEngine engine;

	private final Outbox outbox;

	private final SettableClock clock;

	/**
	 * @param engine an engine that is not started
	 * @param outbox its outbox
	 * @param clock the outbox's clock
	 */
	public ManualSyncEngine(SyncEngine engine, Outbox outbox, SettableClock clock) {
		this.engine = Objects.requireNonNull(engine, "'engine' must not be null");
		this.outbox = Objects.requireNonNull(outbox, "'outbox' must not be null");
		this.clock = Objects.requireNonNull(clock, "'clock' must not be null");
		if (outbox.clock() != clock) {
			throw new IllegalArgumentException("The outbox must run on the given clock, or moving it moves nothing");
		}
	}

	/**
	 * One pass of the engine.
	 * @return how many operations it attempted
	 */
	public int tick() {
		return this.engine.tick();
	}

	/** @return when the earliest operation waiting for an attempt is due, or empty if none waits */
	public Optional<Instant> nextAttemptAt() {
		Instant earliest = null;
		String after = null;
		while (true) {
			List<Operation> page = this.outbox.list(Set.of(OperationStatus.PENDING, OperationStatus.FAILED), after, 500);
			for (Operation operation : page) {
				if (earliest == null || operation.nextAttemptAt().isBefore(earliest)) {
					earliest = operation.nextAttemptAt();
				}
			}
			if (page.size() < 500) {
				return Optional.ofNullable(earliest);
			}
			after = page.get(page.size() - 1).id();
		}
	}

	/**
	 * Pass after pass, moving the clock to the next due attempt whenever nothing is due, until no operation waits
	 * for an attempt (all delivered or parked), or the engine attempts nothing though some are due (it is offline or
	 * paused).
	 * @return how many passes it made
	 * @throws IllegalStateException if the outbox is not idle after {@value #MAX_PASSES} passes
	 */
	public int runUntilIdle() {
		for (int passes = 1; passes <= MAX_PASSES; passes++) {
			int attempted = tick();
			Optional<Instant> next = nextAttemptAt();
			if (next.isEmpty()) {
				return passes;
			}
			if (next.get().isAfter(this.clock.instant())) {
				this.clock.set(next.get());
			}
			else if (attempted == 0) {
				return passes;
			}
		}
		throw new IllegalStateException("Still not idle after " + MAX_PASSES + " passes:"
				+ OutboxAwait.describe(this.outbox.list(Set.of(OperationStatus.PENDING, OperationStatus.IN_FLIGHT,
						OperationStatus.FAILED), null, 20)));
	}

	/** @return the clock it moves */
	public SettableClock clock() {
		return this.clock;
	}

}
