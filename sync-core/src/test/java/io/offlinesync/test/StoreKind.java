package io.offlinesync.test;

import java.nio.file.Path;

import io.offlinesync.store.InMemoryOutboxStore;
import io.offlinesync.store.OutboxStore;
import io.offlinesync.store.file.FileOutboxStore;

/**
 * The stores a scenario runs against; {@link #reopen} stands for a process restart.
 */
public enum StoreKind {

	IN_MEMORY {
		@Override
		public OutboxStore open(Path directory) {
			return new InMemoryOutboxStore();
		}

		@Override
		public OutboxStore reopen(OutboxStore store, Path directory) {
			return store;
		}
	},

	FILE {
		@Override
		public OutboxStore open(Path directory) {
			return FileOutboxStore.open(directory);
		}

		@Override
		public OutboxStore reopen(OutboxStore store, Path directory) {
			store.close();
			return FileOutboxStore.open(directory);
		}
	};

	public abstract OutboxStore open(Path directory);

	public abstract OutboxStore reopen(OutboxStore store, Path directory);

}
