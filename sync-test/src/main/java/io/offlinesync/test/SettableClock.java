package io.offlinesync.test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A clock a test sets and moves by hand. Give it to the {@link io.offlinesync.Outbox} (and so to the retry schedule
 * and the engine's passes) and to the {@link io.offlinesync.NetworkProbe}, and "retried after 30 s" is one call to
 * {@link #advance}. Listeners hear every change; the Spring test support wakes the engine with it. Thread-safe.
 *
 * @since 0.1.0
 */
public final class SettableClock extends Clock {

	private final List<Consumer<Instant>> listeners = new CopyOnWriteArrayList<>();

	private final ZoneId zone;

	private volatile Instant now;

	private SettableClock(Instant start, ZoneId zone) {
		this.now = Objects.requireNonNull(start, "'start' must not be null");
		this.zone = zone;
	}

	/**
	 * @param start the first instant
	 * @return a clock standing at that instant, in UTC
	 */
	public static SettableClock startingAt(Instant start) {
		return new SettableClock(start, ZoneOffset.UTC);
	}

	/**
	 * @param start the first instant, such as {@code 2026-01-01T00:00:00Z}
	 * @return a clock standing at that instant, in UTC
	 */
	public static SettableClock startingAt(String start) {
		return startingAt(Instant.parse(start));
	}

	/** @return a clock standing at the current time (to the millisecond), in UTC */
	public static SettableClock startingNow() {
		return startingAt(Instant.now().truncatedTo(ChronoUnit.MILLIS));
	}

	/**
	 * Move the clock forward.
	 * @param duration how far; not negative
	 * @return the new instant
	 */
	public Instant advance(Duration duration) {
		Objects.requireNonNull(duration, "'duration' must not be null");
		if (duration.isNegative()) {
			throw new IllegalArgumentException("'duration' must not be negative but was " + duration);
		}
		Instant moved;
		synchronized (this) {
			moved = this.now.plus(duration);
			this.now = moved;
		}
		notifyListeners(moved);
		return moved;
	}

	/**
	 * Set the clock, forward or back.
	 * @param instant the new instant
	 */
	public void set(Instant instant) {
		Objects.requireNonNull(instant, "'instant' must not be null");
		synchronized (this) {
			this.now = instant;
		}
		notifyListeners(instant);
	}

	/**
	 * Hear every change of the clock, on the thread that made it.
	 * @param listener receives the new instant; must be quick
	 */
	public void addListener(Consumer<Instant> listener) {
		this.listeners.add(Objects.requireNonNull(listener, "'listener' must not be null"));
	}

	@Override
	public Instant instant() {
		return this.now;
	}

	@Override
	public ZoneId getZone() {
		return this.zone;
	}

	/** @return a view of this clock in another zone: it shows the same instant and moves with it */
	@Override
	public Clock withZone(ZoneId zone) {
		SettableClock source = this;
		return new Clock() {

			@Override
			public ZoneId getZone() {
				return zone;
			}

			@Override
			public Clock withZone(ZoneId other) {
				return source.withZone(other);
			}

			@Override
			public Instant instant() {
				return source.instant();
			}

		};
	}

	private void notifyListeners(Instant instant) {
		for (Consumer<Instant> listener : this.listeners) {
			listener.accept(instant);
		}
	}

	@Override
	public String toString() {
		return "SettableClock[" + this.now + "]";
	}

}
