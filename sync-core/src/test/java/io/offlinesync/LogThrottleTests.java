package io.offlinesync;

import java.time.Duration;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class LogThrottleTests {

	private final List<String> lines = new CopyOnWriteArrayList<>();

	private final List<Throwable> traces = new CopyOnWriteArrayList<>();

	private final System.Logger capturing = new Capturing(true);

	/** Records what it is given, or, when nothing is loggable, fails the test if anything reaches it. */
	private final class Capturing implements System.Logger {

		private final boolean loggable;

		Capturing(boolean loggable) {
			this.loggable = loggable;
		}

		@Override
		public String getName() {
			return "test";
		}

		@Override
		public boolean isLoggable(Level level) {
			return this.loggable;
		}

		@Override
		public void log(Level level, ResourceBundle bundle, String message, Throwable thrown) {
			assertThat(this.loggable).as("logged %s", message).isTrue();
			LogThrottleTests.this.lines.add(level + " " + message);
			if (thrown != null) {
				LogThrottleTests.this.traces.add(thrown);
			}
		}

		@Override
		public void log(Level level, ResourceBundle bundle, String format, Object... params) {
			log(level, bundle, format, (Throwable) null);
		}

	}

	@Test
	void aStormOfOneCauseIsLoggedAFewTimesThenSummarisedWithOneStackTrace() {
		LogThrottle throttle = new LogThrottle(this.capturing, Duration.ofMillis(200), 10);
		IllegalStateException diskFull = new IllegalStateException("No space left on device");
		for (int i = 0; i < 10_000; i++) {
			int n = i;
			throttle.log(System.Logger.Level.WARNING, "store: " + diskFull, () -> "write " + n + " failed", diskFull);
		}
		throttle.log(System.Logger.Level.WARNING, "parked: HTTP 400", () -> "op parked", null);
		assertThat(this.lines).hasSize(11);
		assertThat(this.traces).containsExactly(diskFull);
		assertThat(this.lines.get(1)).endsWith("(" + diskFull + "; its stack trace was logged before)");

		await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).until(() -> {
			throttle.flush();
			return this.lines.size() == 12;
		});
		assertThat(this.lines.get(11))
			.isEqualTo("WARNING 9990 more like the above in 200ms, not logged one by one: store: " + diskFull);

		// A new window logs again, without the stack trace.
		throttle.log(System.Logger.Level.WARNING, "store: " + diskFull, () -> "write failed again", diskFull);
		assertThat(this.lines).last().asString().startsWith("WARNING write failed again (");
		assertThat(this.traces).hasSize(1);
	}

	@Test
	void eventsThatAreNotLoggableCostNothing() {
		Supplier<String> message = () -> {
			throw new AssertionError("message built");
		};
		new LogThrottle(new Capturing(false), Duration.ofMinutes(1), 10).log(System.Logger.Level.DEBUG, "cause", message,
				null);
		assertThat(this.lines).isEmpty();
	}

}
