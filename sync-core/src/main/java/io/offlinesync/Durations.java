package io.offlinesync;

import java.time.Duration;

/**
 * Durations as a person reads them in a log line: {@code 250ms}, {@code 15s}, {@code 3m 5s}, {@code 2h 0m}.
 */
final class Durations {

	private Durations() {
	}

	static String format(Duration duration) {
		long millis = duration.toMillis();
		if (millis < 1000) {
			return millis + "ms";
		}
		long seconds = duration.toSeconds();
		if (seconds < 60) {
			long tenths = (millis % 1000) / 100;
			return (tenths == 0) ? seconds + "s" : seconds + "." + tenths + "s";
		}
		if (seconds < 3600) {
			return (seconds / 60) + "m " + (seconds % 60) + "s";
		}
		return (seconds / 3600) + "h " + ((seconds % 3600) / 60) + "m";
	}

}
