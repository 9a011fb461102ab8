package io.offlinesync;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Answers "is the network up?" from a check function, cached for an interval. Thread-safe: one caller runs the
 * check while the others get the cached answer. Listeners hear every flip, which is how the engine wakes up when
 * the network comes back.
 *
 * @since 0.1.0
 */
public final class NetworkProbe {

	private static final System.Logger logger = System.getLogger(NetworkProbe.class.getName());

	private final BooleanSupplier check;

	private final Duration interval;

	private final Clock clock;

	private final ReentrantLock checking = new ReentrantLock();

	private final List<Consumer<Boolean>> listeners = new CopyOnWriteArrayList<>();

	private volatile boolean online;

	private volatile Instant checkedAt;

	/**
	 * A probe.
	 * @param check answers whether the network is up; an exception counts as "down"
	 * @param interval how long an answer is reused; not negative
	 * @param clock the clock
	 */
	public NetworkProbe(BooleanSupplier check, Duration interval, Clock clock) {
		this.check = Objects.requireNonNull(check, "'check' must not be null");
		Objects.requireNonNull(interval, "'interval' must not be null");
		if (interval.isNegative()) {
			throw new IllegalArgumentException("'interval' must not be negative but was " + interval);
		}
		this.interval = interval;
		this.clock = Objects.requireNonNull(clock, "'clock' must not be null");
	}

	/**
	 * A probe that always answers "online": for transports whose own failures are the only signal. A
	 * {@link #reportOffline} holds only until the next question.
	 * @return the probe
	 */
	public static NetworkProbe alwaysOnline() {
		return new NetworkProbe(() -> true, Duration.ZERO, Clock.systemUTC());
	}

	/**
	 * Whether the network is up: the cached answer while it is fresh, otherwise a new check. A caller that finds
	 * another thread checking gets the cached answer instead of waiting.
	 * @return whether the network is up
	 */
	public boolean isOnline() {
		Instant last = this.checkedAt;
		if (last != null && this.clock.instant().isBefore(last.plus(this.interval))) {
			return this.online;
		}
		if (last != null && !this.checking.tryLock()) {
			return this.online;
		}
		if (last == null) {
			this.checking.lock();
		}
		try {
			return runCheck();
		}
		finally {
			this.checking.unlock();
		}
	}

	/**
	 * Check now, whatever the age of the cached answer (for example when the platform reports a connectivity
	 * change).
	 * @return whether the network is up
	 */
	public boolean refresh() {
		this.checking.lock();
		try {
			return runCheck();
		}
		finally {
			this.checking.unlock();
		}
	}

	/**
	 * Record that the network is down without running the check, for example after a connection failure; the next
	 * check runs once the interval has passed.
	 * @param reason why, for the log
	 */
	public void reportOffline(String reason) {
		this.checking.lock();
		try {
			logger.log(System.Logger.Level.DEBUG, () -> "Network reported offline: " + reason);
			update(false);
		}
		finally {
			this.checking.unlock();
		}
	}

	/**
	 * Hear every change between online and offline, on the thread that noticed it. A listener must be quick.
	 * @param listener receives the new state
	 */
	public void addListener(Consumer<Boolean> listener) {
		this.listeners.add(Objects.requireNonNull(listener, "'listener' must not be null"));
	}

	/**
	 * @param listener a listener added before
	 */
	public void removeListener(Consumer<Boolean> listener) {
		this.listeners.remove(listener);
	}

	/** @return the last answer, without checking; {@code false} before the first check */
	public boolean lastKnownOnline() {
		return this.online;
	}

	/** @return the time of the last answer, or {@literal null} before the first */
	public Instant lastCheckedAt() {
		return this.checkedAt;
	}

	/** @return how long an answer is reused */
	public Duration interval() {
		return this.interval;
	}

	private boolean runCheck() {
		boolean result;
		try {
			result = this.check.getAsBoolean();
		}
		catch (RuntimeException ex) {
			logger.log(System.Logger.Level.DEBUG, "Network check failed; taking the network as down", ex);
			result = false;
		}
		update(result);
		return result;
	}

	private void update(boolean now) {
		boolean before = this.online;
		boolean first = this.checkedAt == null;
		this.online = now;
		this.checkedAt = this.clock.instant();
		if (before != now || first) {
			for (Consumer<Boolean> listener : this.listeners) {
				try {
					listener.accept(now);
				}
				catch (RuntimeException ex) {
					logger.log(System.Logger.Level.WARNING, "Network probe listener " + listener + " failed", ex);
				}
			}
		}
	}

}
