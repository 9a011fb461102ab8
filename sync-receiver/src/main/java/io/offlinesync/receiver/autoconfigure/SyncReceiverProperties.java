package io.offlinesync.receiver.autoconfigure;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the offline-sync receiver.
 *
 * @since 0.1.0
 */
@ConfigurationProperties("sync.receiver")
public class SyncReceiverProperties {

	/**
	 * Where batches are taken: POST to this path plus "/batch". It must be the sender's base URL path plus its
	 * sync.transport.batch.path without "/batch".
	 */
	private String path = "/_offline-sync";

	private final Idempotency idempotency = new Idempotency();

	public String getPath() {
		return this.path;
	}

	public void setPath(String path) {
		this.path = path;
	}

	public Idempotency getIdempotency() {
		return this.idempotency;
	}

	/**
	 * How handled idempotency keys are remembered.
	 */
	public static class Idempotency {

		/**
		 * Where: memory (bounded, lost on restart) or jdbc (a table of the application's database, committed with the
		 * handler's own changes).
		 */
		private Store store = Store.MEMORY;

		/**
		 * How long a key is remembered; above the longest the sender may take to repeat a delivery.
		 */
		private Duration timeToLive = Duration.ofDays(7);

		/**
		 * Most keys remembered in memory; the oldest are forgotten first.
		 */
		private int maxEntries = 100_000;

		/**
		 * The table of the jdbc store.
		 */
		private String tableName = "offline_sync_received";

		/**
		 * Whether the jdbc store creates its table if it does not exist.
		 */
		private boolean createTable = true;

		public Store getStore() {
			return this.store;
		}

		public void setStore(Store store) {
			this.store = store;
		}

		public Duration getTimeToLive() {
			return this.timeToLive;
		}

		public void setTimeToLive(Duration timeToLive) {
			this.timeToLive = timeToLive;
		}

		public int getMaxEntries() {
			return this.maxEntries;
		}

		public void setMaxEntries(int maxEntries) {
			this.maxEntries = maxEntries;
		}

		public String getTableName() {
			return this.tableName;
		}

		public void setTableName(String tableName) {
			this.tableName = tableName;
		}

		public boolean isCreateTable() {
			return this.createTable;
		}

		public void setCreateTable(boolean createTable) {
			this.createTable = createTable;
		}

	}

	/**
	 * Where handled keys are remembered.
	 */
	public enum Store {

		/**
		 * On the heap, bounded by max-entries and time-to-live.
		 */
		MEMORY,

		/**
		 * In a table of the application's database.
		 */
		JDBC

	}

}
