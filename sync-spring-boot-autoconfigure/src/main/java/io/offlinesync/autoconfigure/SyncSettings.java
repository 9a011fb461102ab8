package io.offlinesync.autoconfigure;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.offlinesync.EngineConfig;
import io.offlinesync.KindDefaults;
import io.offlinesync.NetworkChecks;
import io.offlinesync.NetworkProbe;
import io.offlinesync.NewOperation;
import io.offlinesync.OperationValidator;
import io.offlinesync.OutboxConfig;
import io.offlinesync.RetryPolicy;
import io.offlinesync.TraceContextCapture;

/**
 * Maps {@link SyncProperties} onto the core's settings in one place. The core validates; this class translates the
 * core's setting names in its messages into the property names a user wrote.
 */
final class SyncSettings {

	private static final Map<String, String> PROPERTY_NAMES = Map.ofEntries(
			Map.entry("maxAttempts", "sync.retry.max-attempts"), Map.entry("initialDelay", "sync.retry.initial-delay"),
			Map.entry("maxDelay", "sync.retry.max-delay"), Map.entry("multiplier", "sync.retry.multiplier"),
			Map.entry("jitterRatio", "sync.retry.jitter-ratio"), Map.entry("concurrency", "sync.engine.concurrency"),
			Map.entry("batchLimit", "sync.engine.batch-limit"), Map.entry("idleSleep", "sync.engine.tick-interval"),
			Map.entry("offlineSleep", "sync.engine.offline-interval"),
			Map.entry("inFlightTimeout", "sync.engine.in-flight-timeout"),
			Map.entry("sendTimeout", "sync.engine.send-timeout"),
			Map.entry("doneRetention", "sync.engine.done-retention"),
			Map.entry("maxPayloadBytes", "sync.store.max-payload-size"), Map.entry("interval", "sync.probe.interval"),
			Map.entry("timeout", "sync.probe.timeout"), Map.entry("url", "sync.probe.url"),
			Map.entry("host", "sync.probe.host"), Map.entry("port", "sync.probe.port"),
			Map.entry("tableName", "sync.store.jdbc.table-name"), Map.entry("owner", "sync.store.jdbc.owner"),
			Map.entry("damagedCopiesToKeep", "sync.store.file.damaged-copies-to-keep"),
			Map.entry("recheckInitialDelay", "sync.probe.recheck-initial-delay"),
			Map.entry("recheckMaxDelay", "sync.probe.recheck-max-delay"),
			Map.entry("linger", "sync.transport.batch.linger"));

	private static final Pattern QUOTED_NAME = Pattern.compile("'([a-zA-Z]+)'");

	private SyncSettings() {
	}

	static RetryPolicy retryPolicy(SyncProperties.Retry retry) {
		return validated(() -> RetryPolicy.builder()
			.maxAttempts(retry.getMaxAttempts())
			.initialDelay(retry.getInitialDelay())
			.maxDelay(retry.getMaxDelay())
			.multiplier(retry.getMultiplier())
			.jitterRatio(retry.getJitterRatio())
			.build());
	}

	static OutboxConfig outboxConfig(SyncProperties properties, RetryPolicy retryPolicy,
			List<OperationValidator> validators, TraceContextCapture traceContextCapture) {
		long bytes = properties.getStore().getMaxPayloadSize().toBytes();
		Map<String, KindDefaults> kindDefaults = new LinkedHashMap<>();
		properties.getDefaults().forEach((kind, defaults) -> kindDefaults.put(kind, kindDefaults(kind, defaults)));
		return validated(() -> {
			OutboxConfig.Builder config = OutboxConfig.builder()
				.maxPayloadBytes((int) Math.min(Integer.MAX_VALUE, bytes))
				.retryPolicy(retryPolicy)
				.traceContextCapture(traceContextCapture);
			validators.forEach(config::validator);
			kindDefaults.forEach(config::kindDefaults);
			return config.build();
		});
	}

	private static KindDefaults kindDefaults(String kind, SyncProperties.KindDefaults defaults) {
		String prefix = "sync.defaults[" + kind + "].";
		Integer priority = defaults.getPriority();
		if (priority != null && (priority < NewOperation.LOWEST_PRIORITY || priority > NewOperation.HIGHEST_PRIORITY)) {
			throw new InvalidSyncPropertyException(prefix + "priority", "'" + prefix + "priority' must be between "
					+ NewOperation.LOWEST_PRIORITY + " and " + NewOperation.HIGHEST_PRIORITY + " but was " + priority);
		}
		Duration timeToLive = defaults.getTimeToLive();
		if (timeToLive != null && (timeToLive.isNegative() || timeToLive.isZero())) {
			throw new InvalidSyncPropertyException(prefix + "time-to-live",
					"'" + prefix + "time-to-live' must be positive but was " + timeToLive);
		}
		return new KindDefaults(priority, timeToLive);
	}

	static NetworkProbe networkProbe(SyncProperties.Probe probe, Clock clock) {
		return validated(() -> {
			BooleanSupplier check = switch (probe.getMode()) {
				case ALWAYS -> () -> true;
				case HTTP -> {
					if (probe.getUrl() == null) {
						throw new IllegalArgumentException("'url' must be set when sync.probe.mode is http");
					}
					yield NetworkChecks.http(probe.getUrl(), probe.getTimeout());
				}
				case TCP -> {
					if (probe.getHost() == null || probe.getPort() == null) {
						throw new IllegalArgumentException("'host' and 'port' must be set when sync.probe.mode is tcp");
					}
					yield NetworkChecks.tcp(probe.getHost(), probe.getPort(), probe.getTimeout());
				}
			};
			// A check that always passes need not be cached; the others are, for the interval.
			Duration interval = (probe.getMode() == SyncProperties.ProbeMode.ALWAYS) ? Duration.ZERO
					: probe.getInterval();
			return NetworkProbe.builder(check)
				.interval(interval)
				.recheckDelays(probe.getRecheckInitialDelay(), probe.getRecheckMaxDelay())
				.clock(clock)
				.build();
		});
	}

	static EngineConfig engineConfig(SyncProperties.Engine engine) {
		return engineConfig(engine, Duration.ZERO);
	}

	static EngineConfig engineConfig(SyncProperties.Engine engine, Duration linger) {
		return validated(() -> EngineConfig.builder()
			.linger(linger)
			.concurrency(engine.getConcurrency())
			.batchLimit(engine.getBatchLimit())
			.idleSleep(engine.getTickInterval())
			.offlineSleep(engine.getOfflineInterval())
			.inFlightTimeout(engine.getInFlightTimeout())
			.sendTimeout(engine.getSendTimeout())
			.doneRetention(engine.getDoneRetention())
			.build());
	}

	/**
	 * Run a core builder, turning its validation failure into one that names the property.
	 */
	static <T> T validated(Supplier<T> build) {
		try {
			return build.get();
		}
		catch (IllegalArgumentException | NullPointerException ex) {
			String message = String.valueOf(ex.getMessage());
			Matcher name = QUOTED_NAME.matcher(message);
			String property = null;
			StringBuilder translated = new StringBuilder();
			while (name.find()) {
				String mapped = PROPERTY_NAMES.getOrDefault(name.group(1), name.group(1));
				if (property == null) {
					property = mapped;
				}
				name.appendReplacement(translated, Matcher.quoteReplacement("'" + mapped + "'"));
			}
			name.appendTail(translated);
			throw new InvalidSyncPropertyException((property != null) ? property : "sync", translated.toString());
		}
	}

}
