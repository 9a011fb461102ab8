package io.offlinesync.receiver;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Handled keys on the heap: at most {@code maxEntries} (the oldest are forgotten first) and each for at most its time
 * to live. A repeat that comes after its key was forgotten is handled again; size both above what the sender can
 * repeat (its in-flight timeout, its retention of claims across an outage). Lost on restart. Thread-safe.
 *
 * @since 0.1.0
 */
public final class InMemoryIdempotencyStore implements IdempotencyStore {

	private final int maxEntries;

	private final Duration timeToLive;

	private final Clock clock;

	/** Handled keys and when, oldest first; guarded by itself. */
	private final LinkedHashMap<String, Instant> handled = new LinkedHashMap<>();

	/** One lock per key being handled, held while any caller needs it; guarded by itself. */
	private final Map<String, KeyLock> locks = new HashMap<>();

	/**
	 * @param maxEntries the most keys remembered; at least 1
	 * @param timeToLive how long a key is remembered; positive
	 * @param clock the clock
	 */
	public InMemoryIdempotencyStore(int maxEntries, Duration timeToLive, Clock clock) {
		if (maxEntries < 1) {
			throw new IllegalArgumentException("'maxEntries' must be at least 1 but was " + maxEntries);
		}
		if (timeToLive == null || timeToLive.isNegative() || timeToLive.isZero()) {
			throw new IllegalArgumentException("'timeToLive' must be positive but was " + timeToLive);
		}
		this.maxEntries = maxEntries;
		this.timeToLive = timeToLive;
		this.clock = Objects.requireNonNull(clock, "'clock' must not be null");
	}

	@Override
	public boolean handleOnce(String idempotencyKey, Runnable handling) {
		KeyLock lock;
		synchronized (this.locks) {
			lock = this.locks.computeIfAbsent(idempotencyKey, (key) -> new KeyLock());
			lock.users++;
		}
		try {
			synchronized (lock) {
				if (wasHandled(idempotencyKey)) {
					return false;
				}
				handling.run();
				remember(idempotencyKey);
				return true;
			}
		}
		finally {
			synchronized (this.locks) {
				if (--lock.users == 0) {
					this.locks.remove(idempotencyKey);
				}
			}
		}
	}

	/** @return how many keys are remembered now */
	public int size() {
		synchronized (this.handled) {
			forgetExpired(this.clock.instant());
			return this.handled.size();
		}
	}

	private boolean wasHandled(String key) {
		synchronized (this.handled) {
			Instant at = this.handled.get(key);
			return at != null && at.plus(this.timeToLive).isAfter(this.clock.instant());
		}
	}

	private void remember(String key) {
		synchronized (this.handled) {
			Instant now = this.clock.instant();
			this.handled.remove(key);
			this.handled.put(key, now);
			forgetExpired(now);
			while (this.handled.size() > this.maxEntries) {
				Iterator<String> oldest = this.handled.keySet().iterator();
				oldest.next();
				oldest.remove();
			}
		}
	}

	/** A key's lock and how many callers hold or wait for it; counted under the map's monitor. */
	private static final class KeyLock {

		private int users;

	}

	private void forgetExpired(Instant now) {
		Iterator<Map.Entry<String, Instant>> entries = this.handled.entrySet().iterator();
		while (entries.hasNext() && !entries.next().getValue().plus(this.timeToLive).isAfter(now)) {
			entries.remove();
		}
	}

}
