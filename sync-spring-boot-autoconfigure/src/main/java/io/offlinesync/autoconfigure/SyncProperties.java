package io.offlinesync.autoconfigure;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Configuration properties of the offline-sync outbox, under {@code sync.*}. Defaults are the core's defaults
 * (checked by a test).
 *
 * @since 0.1.0
 */
@ConfigurationProperties("sync")
public class SyncProperties {

	/**
	 * Whether to enable the offline-sync outbox.
	 */
	private boolean enabled = true;

	private final Store store = new Store();

	private final Retry retry = new Retry();

	private final Engine engine = new Engine();

	private final Probe probe = new Probe();

	private final Transport transport = new Transport();

	private final Health health = new Health();

	private final Endpoint endpoint = new Endpoint();

	/**
	 * What operations of each kind get when they do not say otherwise, by kind (for example
	 * {@code sync.defaults[http.post].priority=7}).
	 */
	private final Map<String, KindDefaults> defaults = new LinkedHashMap<>();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public Store getStore() {
		return this.store;
	}

	public Retry getRetry() {
		return this.retry;
	}

	public Engine getEngine() {
		return this.engine;
	}

	public Probe getProbe() {
		return this.probe;
	}

	public Transport getTransport() {
		return this.transport;
	}

	public Health getHealth() {
		return this.health;
	}

	public Endpoint getEndpoint() {
		return this.endpoint;
	}

	public Map<String, KindDefaults> getDefaults() {
		return this.defaults;
	}

	/**
	 * Defaults of the operations of one kind.
	 */
	public static class KindDefaults {

		/**
		 * Priority, from 1 (lowest) to 9 (highest); due operations of a higher priority are claimed first. 5 when
		 * unset.
		 */
		private @Nullable Integer priority;

		/**
		 * How long after enqueue an operation is no longer worth sending: not delivered by then, it expires and is
		 * never sent. Never when unset.
		 */
		private @Nullable Duration timeToLive;

		public @Nullable Integer getPriority() {
			return this.priority;
		}

		public void setPriority(@Nullable Integer priority) {
			this.priority = priority;
		}

		public @Nullable Duration getTimeToLive() {
			return this.timeToLive;
		}

		public void setTimeToLive(@Nullable Duration timeToLive) {
			this.timeToLive = timeToLive;
		}

	}

	/**
	 * Where operations are kept.
	 */
	public static class Store {

		/**
		 * Kind of store: a crash-safe journal on disk, a table in the application's database (shared by several
		 * instances; enqueue joins the caller's transaction), or memory only (lost on restart).
		 */
		private StoreType type = StoreType.FILE;

		/**
		 * Largest payload accepted, in UTF-8 bytes; at most 64MB, what the file journal carries.
		 */
		private DataSize maxPayloadSize = DataSize.ofMegabytes(1);

		private final File file = new File();

		private final Jdbc jdbc = new Jdbc();

		public StoreType getType() {
			return this.type;
		}

		public void setType(StoreType type) {
			this.type = type;
		}

		public DataSize getMaxPayloadSize() {
			return this.maxPayloadSize;
		}

		public void setMaxPayloadSize(DataSize maxPayloadSize) {
			this.maxPayloadSize = maxPayloadSize;
		}

		public File getFile() {
			return this.file;
		}

		public Jdbc getJdbc() {
			return this.jdbc;
		}

		/**
		 * The file store.
		 */
		public static class File {

			/**
			 * Directory of the journal; created if missing. Only one process may use it at a time.
			 */
			private Path directory = Path.of("data", "offline-sync");

			/**
			 * Whether each change is forced to disk before the call returns. Without it, a power loss (not a process
			 * crash) can lose the last changes.
			 */
			private boolean fsync = true;

			/**
			 * How many copies of journals in which recovery found damage to keep in the directory, at least 1. When
			 * recovery makes a new copy, the oldest beyond this many are deleted.
			 */
			private int damagedCopiesToKeep = 3;

			public Path getDirectory() {
				return this.directory;
			}

			public void setDirectory(Path directory) {
				this.directory = directory;
			}

			public boolean isFsync() {
				return this.fsync;
			}

			public void setFsync(boolean fsync) {
				this.fsync = fsync;
			}

			public int getDamagedCopiesToKeep() {
				return this.damagedCopiesToKeep;
			}

			public void setDamagedCopiesToKeep(int damagedCopiesToKeep) {
				this.damagedCopiesToKeep = damagedCopiesToKeep;
			}

		}

		/**
		 * The JDBC store, on the application's DataSource.
		 */
		public static class Jdbc {

			/**
			 * Table of the operations, optionally qualified by its schema.
			 */
			private String tableName = "offline_sync_outbox";

			/**
			 * When to create the table and its indexes if they are missing: on an embedded database (H2) only,
			 * always, or never (create them with the script in the sync-core jar).
			 */
			private SchemaInitialization initializeSchema = SchemaInitialization.EMBEDDED;

			/**
			 * Name this instance records on the operations it claims; host name, process id and a random suffix
			 * when not set.
			 */
			private @Nullable String owner;

			public String getTableName() {
				return this.tableName;
			}

			public void setTableName(String tableName) {
				this.tableName = tableName;
			}

			public SchemaInitialization getInitializeSchema() {
				return this.initializeSchema;
			}

			public void setInitializeSchema(SchemaInitialization initializeSchema) {
				this.initializeSchema = initializeSchema;
			}

			public @Nullable String getOwner() {
				return this.owner;
			}

			public void setOwner(@Nullable String owner) {
				this.owner = owner;
			}

		}

	}

	/**
	 * When the JDBC store creates its schema.
	 */
	public enum SchemaInitialization {

		/**
		 * Only on an embedded database.
		 */
		EMBEDDED,

		/**
		 * Whenever it is missing.
		 */
		ALWAYS,

		/**
		 * Never; the table must exist.
		 */
		NEVER

	}

	/**
	 * Kinds of store.
	 */
	public enum StoreType {

		/**
		 * Append-only journal on the local disk; survives crashes.
		 */
		FILE,

		/**
		 * A table in the application's database, through its DataSource.
		 */
		JDBC,

		/**
		 * Heap only; the queue is lost when the application stops.
		 */
		MEMORY

	}

	/**
	 * Retries of failed deliveries.
	 */
	public static class Retry {

		/**
		 * Attempts in all, the first included; after the last one the operation is parked.
		 */
		private int maxAttempts = 8;

		/**
		 * Delay after the first failed attempt.
		 */
		private Duration initialDelay = Duration.ofMillis(500);

		/**
		 * Upper bound of any delay between attempts.
		 */
		private Duration maxDelay = Duration.ofSeconds(30);

		/**
		 * Growth factor between consecutive delays.
		 */
		private double multiplier = 2.0;

		/**
		 * Fraction of a delay by which it is moved at random, either way, so that clients do not retry in step.
		 */
		private double jitterRatio = 0.2;

		public int getMaxAttempts() {
			return this.maxAttempts;
		}

		public void setMaxAttempts(int maxAttempts) {
			this.maxAttempts = maxAttempts;
		}

		public Duration getInitialDelay() {
			return this.initialDelay;
		}

		public void setInitialDelay(Duration initialDelay) {
			this.initialDelay = initialDelay;
		}

		public Duration getMaxDelay() {
			return this.maxDelay;
		}

		public void setMaxDelay(Duration maxDelay) {
			this.maxDelay = maxDelay;
		}

		public double getMultiplier() {
			return this.multiplier;
		}

		public void setMultiplier(double multiplier) {
			this.multiplier = multiplier;
		}

		public double getJitterRatio() {
			return this.jitterRatio;
		}

		public void setJitterRatio(double jitterRatio) {
			this.jitterRatio = jitterRatio;
		}

	}

	/**
	 * The delivery engine.
	 */
	public static class Engine {

		/**
		 * Whether to start delivering when the application context starts.
		 */
		private boolean autoStartup = true;

		/**
		 * Sends in flight at once; non-blocking transports need no thread each.
		 */
		private int concurrency = 32;

		/**
		 * Operations claimed per pass.
		 */
		private int batchLimit = 64;

		/**
		 * Longest pause between passes when nothing is ready; the engine also wakes at once on enqueue and when the
		 * network comes back.
		 */
		private Duration tickInterval = Duration.ofMillis(250);

		/**
		 * Pause between passes while the network is down.
		 */
		private Duration offlineInterval = Duration.ofMillis(500);

		/**
		 * Time after which an unanswered claim (its sender crashed or hung) is requeued.
		 */
		private Duration inFlightTimeout = Duration.ofSeconds(30);

		/**
		 * Time one send may take before it counts as a retryable failure; shorter than the in-flight timeout.
		 */
		private Duration sendTimeout = Duration.ofSeconds(10);

		/**
		 * Time delivered operations are kept before they are purged.
		 */
		private Duration doneRetention = Duration.ofDays(1);

		public boolean isAutoStartup() {
			return this.autoStartup;
		}

		public void setAutoStartup(boolean autoStartup) {
			this.autoStartup = autoStartup;
		}

		public int getConcurrency() {
			return this.concurrency;
		}

		public void setConcurrency(int concurrency) {
			this.concurrency = concurrency;
		}

		public int getBatchLimit() {
			return this.batchLimit;
		}

		public void setBatchLimit(int batchLimit) {
			this.batchLimit = batchLimit;
		}

		public Duration getTickInterval() {
			return this.tickInterval;
		}

		public void setTickInterval(Duration tickInterval) {
			this.tickInterval = tickInterval;
		}

		public Duration getOfflineInterval() {
			return this.offlineInterval;
		}

		public void setOfflineInterval(Duration offlineInterval) {
			this.offlineInterval = offlineInterval;
		}

		public Duration getInFlightTimeout() {
			return this.inFlightTimeout;
		}

		public void setInFlightTimeout(Duration inFlightTimeout) {
			this.inFlightTimeout = inFlightTimeout;
		}

		public Duration getSendTimeout() {
			return this.sendTimeout;
		}

		public void setSendTimeout(Duration sendTimeout) {
			this.sendTimeout = sendTimeout;
		}

		public Duration getDoneRetention() {
			return this.doneRetention;
		}

		public void setDoneRetention(Duration doneRetention) {
			this.doneRetention = doneRetention;
		}

	}

	/**
	 * How the engine learns whether the network is up.
	 */
	public static class Probe {

		/**
		 * How to check: no check of its own (deliveries that cannot connect are the signal, and a trial send
		 * re-checks), an HTTP request, or a TCP connect. In every mode a delivery that cannot connect takes the link
		 * offline without using an attempt.
		 */
		private ProbeMode mode = ProbeMode.ALWAYS;

		/**
		 * URL to request in HTTP mode; any answer below 500 means online.
		 */
		private @Nullable URI url;

		/**
		 * Host to connect to in TCP mode.
		 */
		private @Nullable String host;

		/**
		 * Port to connect to in TCP mode.
		 */
		private @Nullable Integer port;

		/**
		 * How long an "online" answer is reused before the next check.
		 */
		private Duration interval = Duration.ofSeconds(5);

		/**
		 * Timeout of one check.
		 */
		private Duration timeout = Duration.ofSeconds(2);

		/**
		 * Delay before the first re-check of a link that went down; it doubles at every failed re-check.
		 */
		private Duration recheckInitialDelay = Duration.ofSeconds(1);

		/**
		 * Longest delay between re-checks of a link that is down, however long the outage: delivery resumes at
		 * most this long after the link is back.
		 */
		private Duration recheckMaxDelay = Duration.ofSeconds(15);

		public ProbeMode getMode() {
			return this.mode;
		}

		public void setMode(ProbeMode mode) {
			this.mode = mode;
		}

		public @Nullable URI getUrl() {
			return this.url;
		}

		public void setUrl(@Nullable URI url) {
			this.url = url;
		}

		public @Nullable String getHost() {
			return this.host;
		}

		public void setHost(@Nullable String host) {
			this.host = host;
		}

		public @Nullable Integer getPort() {
			return this.port;
		}

		public void setPort(@Nullable Integer port) {
			this.port = port;
		}

		public Duration getInterval() {
			return this.interval;
		}

		public void setInterval(Duration interval) {
			this.interval = interval;
		}

		public Duration getTimeout() {
			return this.timeout;
		}

		public void setTimeout(Duration timeout) {
			this.timeout = timeout;
		}

		public Duration getRecheckInitialDelay() {
			return this.recheckInitialDelay;
		}

		public void setRecheckInitialDelay(Duration recheckInitialDelay) {
			this.recheckInitialDelay = recheckInitialDelay;
		}

		public Duration getRecheckMaxDelay() {
			return this.recheckMaxDelay;
		}

		public void setRecheckMaxDelay(Duration recheckMaxDelay) {
			this.recheckMaxDelay = recheckMaxDelay;
		}

	}

	/**
	 * Ways to check the network.
	 */
	public enum ProbeMode {

		/**
		 * No check of its own: online until a delivery cannot connect, then re-checked by one trial delivery at a
		 * time, with backoff.
		 */
		ALWAYS,

		/**
		 * An HTTP HEAD of a URL.
		 */
		HTTP,

		/**
		 * A TCP connect to a host and port.
		 */
		TCP

	}

	/**
	 * The HTTP transport.
	 */
	public static class Transport {

		/**
		 * Base URL that operation targets are resolved against; no request ever leaves it.
		 */
		private @Nullable URI baseUrl;

		/**
		 * Time to open a connection, TLS handshake included; a remote that cannot be reached within it counts as
		 * an outage, not as a failed attempt. Shorter than the timeout; half of it when not set.
		 */
		private @Nullable Duration connectTimeout;

		/**
		 * Timeout of one request, connection included; a request that gets no answer within it is a failed,
		 * retryable attempt.
		 */
		private Duration timeout = Duration.ofSeconds(5);

		/**
		 * Headers sent with every request, such as an authorization token.
		 */
		private Map<String, String> headers = new LinkedHashMap<>();

		/**
		 * Names of configured headers that an operation may set to a value of its own; operations cannot override
		 * the others.
		 */
		private Set<String> overridableHeaders = new LinkedHashSet<>();

		/**
		 * Which redirects to follow. A redirect that is not followed parks the operation with the redirect in its
		 * error.
		 */
		private Redirects redirects = Redirects.NEVER;

		/**
		 * HTTP version: http1 (HTTP/1.1, a connection per request in flight), h2 (HTTP/2 over TLS, for https base
		 * URLs) or h2c (HTTP/2 over cleartext); HTTP/2 carries every request in flight on one connection.
		 */
		private HttpVersion httpVersion = HttpVersion.HTTP1;

		private final Batch batch = new Batch();

		public HttpVersion getHttpVersion() {
			return this.httpVersion;
		}

		public void setHttpVersion(HttpVersion httpVersion) {
			this.httpVersion = httpVersion;
		}

		public Batch getBatch() {
			return this.batch;
		}

		public @Nullable URI getBaseUrl() {
			return this.baseUrl;
		}

		public void setBaseUrl(@Nullable URI baseUrl) {
			this.baseUrl = baseUrl;
		}

		public @Nullable Duration getConnectTimeout() {
			return this.connectTimeout;
		}

		/**
		 * @return the connect timeout to use: the one set, or the default that fits the timeout
		 */
		Duration effectiveConnectTimeout() {
			return (this.connectTimeout != null) ? this.connectTimeout : this.timeout.dividedBy(2);
		}

		public void setConnectTimeout(@Nullable Duration connectTimeout) {
			this.connectTimeout = connectTimeout;
		}

		public Duration getTimeout() {
			return this.timeout;
		}

		public void setTimeout(Duration timeout) {
			this.timeout = timeout;
		}

		public Map<String, String> getHeaders() {
			return this.headers;
		}

		public void setHeaders(Map<String, String> headers) {
			this.headers = headers;
		}

		public Set<String> getOverridableHeaders() {
			return this.overridableHeaders;
		}

		public void setOverridableHeaders(Set<String> overridableHeaders) {
			this.overridableHeaders = overridableHeaders;
		}

		public Redirects getRedirects() {
			return this.redirects;
		}

		public void setRedirects(Redirects redirects) {
			this.redirects = redirects;
		}

	}

	/**
	 * Batch delivery: many operations per request, to a receiver that takes batches (sync-receiver).
	 */
	public static class Batch {

		/**
		 * Whether to send operations in batches to the receiver's batch path instead of one request each.
		 */
		private boolean enabled;

		/**
		 * Most operations per request.
		 */
		private int size = 100;

		/**
		 * Where the receiver takes batches, under the base URL.
		 */
		private String path = "/_offline-sync/batch";

		/**
		 * Batch bodies larger than this are gzip-compressed.
		 */
		private DataSize compressAbove = DataSize.ofKilobytes(1);

		/**
		 * How long to wait after an enqueue for more operations to fill a batch; a backlog (after an outage) is sent
		 * at once. The engine also looks for work every 250 ms while idle, which cuts a longer linger short.
		 */
		private Duration linger = Duration.ZERO;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public int getSize() {
			return this.size;
		}

		public void setSize(int size) {
			this.size = size;
		}

		public String getPath() {
			return this.path;
		}

		public void setPath(String path) {
			this.path = path;
		}

		public DataSize getCompressAbove() {
			return this.compressAbove;
		}

		public void setCompressAbove(DataSize compressAbove) {
			this.compressAbove = compressAbove;
		}

		public Duration getLinger() {
			return this.linger;
		}

		public void setLinger(Duration linger) {
			this.linger = linger;
		}

	}

	/**
	 * The HTTP version of the transport.
	 */
	public enum HttpVersion {

		/**
		 * HTTP/1.1.
		 */
		HTTP1,

		/**
		 * HTTP/2 over TLS, negotiated by ALPN; needs an https base URL.
		 */
		H2,

		/**
		 * HTTP/2 over cleartext (prior knowledge), for receivers that speak it without TLS.
		 */
		H2C

	}

	/**
	 * Which redirects the HTTP transport follows.
	 */
	public enum Redirects {

		/**
		 * None: a redirect is a permanent failure.
		 */
		NEVER,

		/**
		 * 307 and 308 redirects (which keep the method and body) whose location is under the base URL, up to 5 in a
		 * row; any other redirect is a permanent failure.
		 */
		WITHIN_BASE_URL

	}

	/**
	 * The {@code sync} health indicator. Every threshold is off unless set: being offline is normal for an outbox.
	 */
	public static class Health {

		/**
		 * Undelivered operations above which the health is DOWN.
		 */
		private @Nullable Long maxBacklog;

		/**
		 * Age of the oldest undelivered operation above which the health is DOWN.
		 */
		private @Nullable Duration maxOldestPendingAge;

		/**
		 * Parked (permanently failed) operations above which the health is DOWN.
		 */
		private @Nullable Long maxParked;

		public @Nullable Long getMaxBacklog() {
			return this.maxBacklog;
		}

		public void setMaxBacklog(@Nullable Long maxBacklog) {
			this.maxBacklog = maxBacklog;
		}

		public @Nullable Duration getMaxOldestPendingAge() {
			return this.maxOldestPendingAge;
		}

		public void setMaxOldestPendingAge(@Nullable Duration maxOldestPendingAge) {
			this.maxOldestPendingAge = maxOldestPendingAge;
		}

		public @Nullable Long getMaxParked() {
			return this.maxParked;
		}

		public void setMaxParked(@Nullable Long maxParked) {
			this.maxParked = maxParked;
		}

	}

	/**
	 * The {@code sync} Actuator endpoint.
	 */
	public static class Endpoint {

		/**
		 * Whether operation payloads are shown; they may hold personal data.
		 */
		private boolean showPayloads = false;

		public boolean isShowPayloads() {
			return this.showPayloads;
		}

		public void setShowPayloads(boolean showPayloads) {
			this.showPayloads = showPayloads;
		}

	}

}
