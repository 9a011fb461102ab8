package io.offlinesync.store;

class InMemoryOutboxStoreTests extends AbstractOutboxStoreContractTests {

	@Override
	protected OutboxStore createStore() {
		return new InMemoryOutboxStore();
	}

	@Override
	protected OutboxStore reopen(OutboxStore store) {
		// Nothing persists: a reopen keeps the same live store, so every other check still runs on it.
		return store;
	}

}
