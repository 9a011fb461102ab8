package io.offlinesync.store;

import java.util.List;

import io.offlinesync.Operation;

/**
 * A store that keeps operations on the heap only: fast, and lost when the process ends. For tests, and for
 * applications that accept losing their queue on a restart.
 *
 * @since 0.1.0
 */
public final class InMemoryOutboxStore extends IndexedOutboxStore {

	@Override
	protected long persist(List<Operation> upserts, List<String> removals) {
		// Nothing to write: the index is the whole store.
		return 0;
	}

	@Override
	public String toString() {
		return "InMemoryOutboxStore";
	}

}
