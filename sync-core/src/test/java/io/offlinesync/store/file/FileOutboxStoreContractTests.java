package io.offlinesync.store.file;

import java.nio.file.Path;

import org.junit.jupiter.api.io.TempDir;

import io.offlinesync.store.AbstractOutboxStoreContractTests;
import io.offlinesync.store.OutboxStore;

class FileOutboxStoreContractTests extends AbstractOutboxStoreContractTests {

	@TempDir
	Path directory;

	@Override
	protected OutboxStore createStore() {
		return FileOutboxStore.open(this.directory);
	}

	@Override
	protected OutboxStore reopen(OutboxStore store) {
		store.close();
		FileOutboxStore reopened = FileOutboxStore.open(this.directory);
		org.assertj.core.api.Assertions.assertThat(reopened.recovery().isClean()).isTrue();
		return reopened;
	}

}
