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

import org.jspecify.annotations.Nullable;

/**
 * Whether the remote can be reached, from two kinds of evidence: a check function, whose answer is reused for an
 * interval, and what deliveries report ({@link #reportUnreachable} when a send could not reach the remote,
 * {@link #reportReachable} when one got an answer).
 *
 * <p>An outage begins with the first failed check or unreachable report. While it lasts the probe answers "offline"
 * and re-checks with a backoff that grows from {@link Builder#recheckDelays initialDelay} to {@code maxDelay} and
 * stays there, however long the outage. When a re-check passes, the probe answers "online" again but the outage is
 * not over until a send has reached the remote: until then the link is <em>unconfirmed</em>
 * ({@link #isConfirmed()}), and the engine sends one operation at a time, so that a check that cannot tell (such as
 * {@link #alwaysOnline()}, whose check always passes) costs one trial send per re-check, not a burst of them.
 *
 * <p>Thread-safe: one caller runs a due check while the others get the current answer. Listeners hear every change
 * between online and offline; the engine uses that to wake up at once when the link returns.
 *
 * @since 0.1.0
 */
public final class NetworkProbe {

	/** Default first delay before re-checking a link that went down. */
	public static final Duration DEFAULT_RECHECK_INITIAL_DELAY = Duration.ofSeconds(1);

	/** Default longest delay between re-checks of a link that is down: how late delivery may resume at worst. */
	public static final Duration DEFAULT_RECHECK_MAX_DELAY = Duration.ofSeconds(15);

	private static final System.Logger logger = System.getLogger(NetworkProbe.class.getName());

	private final BooleanSupplier check;

	private final Duration interval;

	private final Duration recheckInitialDelay;

	private final Duration recheckMaxDelay;

	private final Clock clock;

	/** Held while a check runs or the state changes; the state itself is read without it. */
	private final ReentrantLock checking = new ReentrantLock();

	private final List<Consumer<Boolean>> listeners = new CopyOnWriteArrayList<>();

	/** Replaced, never changed, under {@link #checking}; {@literal null} before the first answer. */
	private volatile @Nullable State state;

	/**
	 * A probe that re-checks a link that went down with the default backoff.
	 * @param check answers whether the network is up; an exception counts as "down"
	 * @param interval how long an "online" answer is reused; not negative
	 * @param clock the clock
	 */
	public NetworkProbe(BooleanSupplier check, Duration interval, Clock clock) {
		this(builder(check).interval(interval).clock(clock));
	}

	private NetworkProbe(Builder builder) {
		this.check = Objects.requireNonNull(builder.check, "'check' must not be null");
		this.interval = requireNotNegative("interval", builder.interval);
		this.recheckInitialDelay = requirePositive("recheckInitialDelay", builder.recheckInitialDelay);
		this.recheckMaxDelay = requirePositive("recheckMaxDelay", builder.recheckMaxDelay);
		if (this.recheckMaxDelay.compareTo(this.recheckInitialDelay) < 0) {
			throw new IllegalArgumentException("'recheckMaxDelay' (" + this.recheckMaxDelay
					+ ") must not be shorter than 'recheckInitialDelay' (" + this.recheckInitialDelay + ")");
		}
		this.clock = Objects.requireNonNull(builder.clock, "'clock' must not be null");
	}

	private static Duration requireNotNegative(String name, Duration value) {
		Objects.requireNonNull(value, () -> "'" + name + "' must not be null");
		if (value.isNegative()) {
			throw new IllegalArgumentException("'" + name + "' must not be negative but was " + value);
		}
		return value;
	}

	private static Duration requirePositive(String name, Duration value) {
		requireNotNegative(name, value);
		if (value.isZero()) {
			throw new IllegalArgumentException("'" + name + "' must be positive but was " + value);
		}
		return value;
	}

	/**
	 * A probe whose check always passes: the transport's reports are the only evidence. After a send finds the remote
	 * unreachable, the probe answers "offline" until its next re-check, and then lets one trial send through.
	 * @return the probe, with the system clock
	 */
	public static NetworkProbe alwaysOnline() {
		return builder(() -> true).build();
	}

	/**
	 * Start building a probe.
	 * @param check answers whether the network is up; an exception counts as "down"
	 * @return a builder with an interval of zero (every question runs the check), the default re-check delays and
	 * the system clock
	 */
	public static Builder builder(BooleanSupplier check) {
		return new Builder(check);
	}

	/**
	 * Whether the link is up: the current answer while it is fresh (online) or its re-check is not due (offline),
	 * otherwise a new check. A caller that finds another thread checking gets the current answer instead of waiting.
	 * @return whether the link is up
	 */
	public boolean isOnline() {
		State current = this.state;
		if (current != null && !isCheckDue(current)) {
			return current.online();
		}
		if (current != null) {
			if (!this.checking.tryLock()) {
				return current.online();
			}
		}
		else {
			this.checking.lock();
		}
		try {
			current = this.state;
			if (current != null && !isCheckDue(current)) {
				return current.online();
			}
			return runCheck();
		}
		finally {
			this.checking.unlock();
		}
	}

	/**
	 * Whether the link is up and its last outage, if any, has ended with a send that reached the remote. While the
	 * link is online but unconfirmed, the engine sends one operation at a time.
	 * @return whether deliveries may go at full speed
	 */
	public boolean isConfirmed() {
		State current = this.state;
		return current != null && current.online() && current.outageSince() == null;
	}

	/**
	 * Check now, whatever the age of the current answer or the re-check backoff (for example when the platform
	 * reports a connectivity change).
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
	 * Record that a send could not reach the remote (connection refused, unreachable, name not resolved, connect
	 * timeout): the link is offline until a re-check passes. Reports that arrive while the link is already offline
	 * (the other sends of the same burst) change nothing but the reason.
	 * @param reason why, for the log and health
	 */
	public void reportUnreachable(String reason) {
		this.checking.lock();
		try {
			Instant now = this.clock.instant();
			State current = this.state;
			if (current != null && !current.online()) {
				this.state = current.withReason(reason);
				return;
			}
			goOffline(current, reason, now);
		}
		finally {
			this.checking.unlock();
		}
	}

	/**
	 * Record that a send reached the remote (whatever it answered): the link is online and an outage, if any, is over.
	 */
	public void reportReachable() {
		State current = this.state;
		if (current != null && current.online() && current.outageSince() == null) {
			return;
		}
		this.checking.lock();
		try {
			current = this.state;
			Instant now = this.clock.instant();
			if (current != null && current.outageSince() != null) {
				Instant since = current.outageSince();
				logger.log(System.Logger.Level.INFO,
						() -> "Remote reachable again after an outage of " + Durations.format(Duration.between(since, now))
								+ "; delivery resumes");
			}
			update(new State(true, now, now, null, null, 0, null));
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
		State current = this.state;
		return current != null && current.online();
	}

	/** @return the time of the last answer, or {@literal null} before the first */
	public @Nullable Instant lastCheckedAt() {
		State current = this.state;
		return (current != null) ? current.checkedAt() : null;
	}

	/** @return the link's state as last known, without checking; for health and the endpoint */
	public Status status() {
		State current = this.state;
		if (current == null) {
			return new Status(false, false, null, null, null, null);
		}
		return new Status(current.online(), current.online() && current.outageSince() == null, current.changedAt(),
				current.outageSince(), current.reason(), current.nextCheckAt());
	}

	/** @return how long an "online" answer is reused */
	public Duration interval() {
		return this.interval;
	}

	/**
	 * The delay before the n-th re-check of an outage: the initial delay, doubled each time, capped at the maximum.
	 * @param failures failed checks and reports so far in this outage, at least 1
	 * @return the delay
	 */
	Duration recheckDelay(int failures) {
		int doublings = Math.min(Math.max(0, failures - 1), 30);
		Duration delay = this.recheckInitialDelay.multipliedBy(1L << doublings);
		return (delay.compareTo(this.recheckMaxDelay) > 0) ? this.recheckMaxDelay : delay;
	}

	private boolean isCheckDue(State current) {
		Instant now = this.clock.instant();
		if (current.online()) {
			return !now.isBefore(current.checkedAt().plus(this.interval));
		}
		return !now.isBefore(current.nextCheckAt());
	}

	private boolean runCheck() {
		boolean up;
		String reason = "the network check failed";
		try {
			up = this.check.getAsBoolean();
		}
		catch (RuntimeException ex) {
			logger.log(System.Logger.Level.DEBUG, "Network check failed; taking the network as down", ex);
			up = false;
			reason = "the network check failed: " + ex;
		}
		Instant now = this.clock.instant();
		State current = this.state;
		if (up) {
			Instant changedAt = (current != null && current.online()) ? current.changedAt() : now;
			Instant outageSince = (current != null) ? current.outageSince() : null;
			int failures = (current != null) ? current.failures() : 0;
			if (outageSince != null) {
				logger.log(System.Logger.Level.DEBUG, "Network check passed during an outage; trying one send");
			}
			update(new State(true, now, changedAt, outageSince, null, failures, null));
		}
		else if (current != null && !current.online()) {
			int failures = current.failures() + 1;
			this.state = new State(false, now, current.changedAt(), current.outageSince(), current.reason(), failures,
					now.plus(recheckDelay(failures)));
		}
		else {
			goOffline(current, reason, now);
		}
		return up;
	}

	private void goOffline(@Nullable State current, String reason, Instant now) {
		Instant outageSince = (current != null && current.outageSince() != null) ? current.outageSince() : now;
		int failures = ((current != null) ? current.failures() : 0) + 1;
		Duration delay = recheckDelay(failures);
		if (failures == 1) {
			logger.log(System.Logger.Level.INFO, () -> "Remote unreachable (" + reason
					+ "); delivery paused, re-checking in " + Durations.format(delay) + " and then with backoff up to "
					+ Durations.format(this.recheckMaxDelay));
		}
		else {
			logger.log(System.Logger.Level.DEBUG, () -> "Still unreachable (" + reason + "); next check in "
					+ Durations.format(delay));
		}
		update(new State(false, now, now, outageSince, reason, failures, now.plus(delay)));
	}

	private void update(State next) {
		State before = this.state;
		this.state = next;
		if (before == null || before.online() != next.online()) {
			for (Consumer<Boolean> listener : this.listeners) {
				try {
					listener.accept(next.online());
				}
				catch (RuntimeException ex) {
					logger.log(System.Logger.Level.WARNING, "Network probe listener " + listener + " failed", ex);
				}
			}
		}
	}

	/**
	 * The link's state.
	 * @param online whether the last answer was "online"
	 * @param confirmed whether it is online and no outage is open
	 * @param changedAt when it last changed between online and offline, or {@literal null} before the first answer
	 * @param outageSince when the open outage began, or {@literal null} if none is open
	 * @param reason why it is offline, or {@literal null} while online
	 * @param nextCheckAt when it is re-checked while offline, or {@literal null} while online
	 *
	 * @since 0.1.0
	 */
	public record Status(boolean online, boolean confirmed, @Nullable Instant changedAt, @Nullable Instant outageSince,
			@Nullable String reason, @Nullable Instant nextCheckAt) {
	}

	private record State(boolean online, Instant checkedAt, Instant changedAt, @Nullable Instant outageSince,
			@Nullable String reason, int failures, @Nullable Instant nextCheckAt) {

		State withReason(String newReason) {
			return new State(this.online, this.checkedAt, this.changedAt, this.outageSince, newReason, this.failures,
					this.nextCheckAt);
		}

	}

	/**
	 * Builds a {@link NetworkProbe}.
	 *
	 * @since 0.1.0
	 */
	public static final class Builder {

		private final BooleanSupplier check;

		private Duration interval = Duration.ZERO;

		private Duration recheckInitialDelay = DEFAULT_RECHECK_INITIAL_DELAY;

		private Duration recheckMaxDelay = DEFAULT_RECHECK_MAX_DELAY;

		private Clock clock = Clock.systemUTC();

		private Builder(BooleanSupplier check) {
			this.check = check;
		}

		/**
		 * @param interval how long an "online" answer is reused before the check runs again; not negative
		 * @return this builder
		 */
		public Builder interval(Duration interval) {
			this.interval = interval;
			return this;
		}

		/**
		 * @param initialDelay the delay before the first re-check of a link that went down; positive
		 * @param maxDelay the longest delay between re-checks; not shorter than the initial delay
		 * @return this builder
		 */
		public Builder recheckDelays(Duration initialDelay, Duration maxDelay) {
			this.recheckInitialDelay = initialDelay;
			this.recheckMaxDelay = maxDelay;
			return this;
		}

		/**
		 * @param clock the clock
		 * @return this builder
		 */
		public Builder clock(Clock clock) {
			this.clock = clock;
			return this;
		}

		/** @return the validated probe */
		public NetworkProbe build() {
			return new NetworkProbe(this);
		}

	}

}
