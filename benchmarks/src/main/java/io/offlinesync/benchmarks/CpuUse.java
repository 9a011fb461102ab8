package io.offlinesync.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The CPU time of a drain, by component: the threads of this JVM grouped by name, and the PostgreSQL server's
 * processes (from {@code /proc}, in clock ticks of 10 ms). Taken between {@link #drainStarts()} and
 * {@link #drainEnds()}, before the engine's threads end; threads that end earlier are missed.
 */
final class CpuUse {

	private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

	private static final String[] GROUPS = { "engine", "recording", "transport", "sink", "other JVM" };

	private static Map<Long, Long> threadsAtStart;

	private static long postgresTicksAtStart;

	private static Map<String, Long> lastNanos;

	private static long lastPostgresTicks;

	private CpuUse() {
	}

	static synchronized void drainStarts() {
		threadsAtStart = new HashMap<>();
		for (long id : THREADS.getAllThreadIds()) {
			threadsAtStart.put(id, Math.max(0, THREADS.getThreadCpuTime(id)));
		}
		postgresTicksAtStart = postgresTicks();
	}

	static synchronized void drainEnds() {
		Map<String, Long> byGroup = new LinkedHashMap<>();
		for (String group : GROUPS) {
			byGroup.put(group, 0L);
		}
		for (long id : THREADS.getAllThreadIds()) {
			ThreadInfo info = THREADS.getThreadInfo(id);
			long now = THREADS.getThreadCpuTime(id);
			if (info != null && now >= 0) {
				byGroup.merge(group(info.getThreadName()), now - threadsAtStart.getOrDefault(id, 0L), Long::sum);
			}
		}
		lastNanos = byGroup;
		lastPostgresTicks = postgresTicks() - postgresTicksAtStart;
	}

	/** @return microseconds of CPU per operation of the last drain, by component */
	static synchronized String lastDrain(int operations) {
		StringBuilder out = new StringBuilder();
		lastNanos.forEach((group, nanos) -> out.append(String.format("%s %.0f, ", group, nanos / 1e3 / operations)));
		return out.append(String.format("PostgreSQL %.0f", lastPostgresTicks * 10_000.0 / operations)).toString();
	}

	private static String group(String thread) {
		if (thread.matches("offline-sync-\\d+-engine")) {
			return "engine";
		}
		if (thread.contains("recorder")) {
			return "recording";
		}
		if (thread.startsWith("reactor-http") || thread.startsWith("HttpClient") || thread.startsWith("sender-")) {
			return "transport";
		}
		if (thread.startsWith("sink-") || thread.startsWith("HTTP-Dispatcher")) {
			return "sink";
		}
		return "other JVM";
	}

	/** @return utime + stime of every process named postgres, in clock ticks; 0 where /proc is not there */
	private static long postgresTicks() {
		Path proc = Path.of("/proc");
		if (!Files.isDirectory(proc)) {
			return 0;
		}
		long ticks = 0;
		try (Stream<Path> entries = Files.list(proc)) {
			for (Path entry : entries.filter((path) -> path.getFileName().toString().matches("\\d+")).toList()) {
				try {
					String stat = Files.readString(entry.resolve("stat"));
					int close = stat.lastIndexOf(')');
					if (!stat.substring(stat.indexOf('(') + 1, close).startsWith("postgres")) {
						continue;
					}
					String[] fields = stat.substring(close + 2).split(" ");
					ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
				}
				catch (IOException | RuntimeException ex) {
					// A process that ended meanwhile.
				}
			}
		}
		catch (IOException ex) {
			return 0;
		}
		return ticks;
	}

}
