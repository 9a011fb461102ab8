package io.offlinesync.store.file;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One instance of each of the few kinds and targets that most operations share, so that a reopened queue does
 * not hold a copy of them per operation. Bounded: targets may also all differ.
 */
final class SharedStrings {

	private static final int MOST = 4_096;

	private final Map<String, String> instances = new ConcurrentHashMap<>();

	/** Thread-safe: the journal's decoders share one. */
	String canonical(String value) {
		String shared = this.instances.get(value);
		if (shared != null) {
			return shared;
		}
		if (this.instances.size() < MOST) {
			shared = this.instances.putIfAbsent(value, value);
		}
		return (shared != null) ? shared : value;
	}

}
