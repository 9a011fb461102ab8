package io.offlinesync;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

/**
 * Keeps a storm of like events (thousands of operations parked for one reason, a store that cannot write) from
 * flooding the log. Events are grouped by a cause the caller names; in each window of time the first few of a cause
 * are logged in full and the rest are counted and summarised in one line when the window ends. A stack trace is
 * logged once per cause, not with every event.
 */
final class LogThrottle {

	/** More causes than this at once are not a storm of one kind: they are summarised and forgotten. */
	private static final int MAX_CAUSES = 512;

	private final System.Logger logger;

	private final long windowNanos;

	private final String windowText;

	private final int perWindow;

	/** Guarded by this. */
	private final Map<String, Window> windows = new LinkedHashMap<>();

	/** Causes whose stack trace was logged; guarded by this. */
	private final Set<String> traced = new LinkedHashSet<>();

	LogThrottle(System.Logger logger, Duration window, int perWindow) {
		this.logger = logger;
		this.windowNanos = window.toNanos();
		this.windowText = Durations.format(window);
		this.perWindow = perWindow;
	}

	/**
	 * Log an event, unless its cause has been logged often enough in this window.
	 * @param level the level
	 * @param cause what groups like events, for example the error that parked an operation
	 * @param message the event's line
	 * @param error its exception, or {@literal null}; the stack trace is logged the first time of a cause only
	 */
	synchronized void log(System.Logger.Level level, String cause, Supplier<String> message, @Nullable Throwable error) {
		if (!this.logger.isLoggable(level)) {
			return;
		}
		long now = System.nanoTime();
		summariseEnded(now);
		if (this.windows.size() >= MAX_CAUSES) {
			summarise(this.windows.entrySet().iterator(), Long.MAX_VALUE);
		}
		Window window = this.windows.computeIfAbsent(cause, (key) -> new Window(now, level));
		if (window.logged >= this.perWindow) {
			window.suppressed++;
			return;
		}
		window.logged++;
		if (error == null) {
			this.logger.log(level, message.get());
		}
		else if (this.traced.add(cause)) {
			if (this.traced.size() > MAX_CAUSES) {
				Iterator<String> oldest = this.traced.iterator();
				oldest.next();
				oldest.remove();
			}
			this.logger.log(level, message.get(), error);
		}
		else {
			this.logger.log(level, message.get() + " (" + error + "; its stack trace was logged before)");
		}
	}

	/** Summarise the causes whose window has ended; called now and then, so that a storm that stopped is told. */
	synchronized void flush() {
		summariseEnded(System.nanoTime());
	}

	private void summariseEnded(long now) {
		summarise(this.windows.entrySet().iterator(), now);
	}

	private void summarise(Iterator<Map.Entry<String, Window>> entries, long now) {
		while (entries.hasNext()) {
			Map.Entry<String, Window> entry = entries.next();
			Window window = entry.getValue();
			if (now == Long.MAX_VALUE || now - window.start >= this.windowNanos) {
				if (window.suppressed > 0) {
					this.logger.log(window.level, window.suppressed + " more like the above in " + this.windowText
							+ ", not logged one by one: " + entry.getKey());
				}
				entries.remove();
			}
		}
	}

	private static final class Window {

		private final long start;

		private final System.Logger.Level level;

		private int logged;

		private long suppressed;

		Window(long start, System.Logger.Level level) {
			this.start = start;
			this.level = level;
		}

	}

}
