package io.offlinesync.autoconfigure;

import java.util.function.ToDoubleFunction;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.offlinesync.store.OutboxStore;
import io.offlinesync.store.file.FileOutboxStore;
import io.offlinesync.store.file.FileStoreStatistics;

/**
 * Meters of the embedded file store, when the store is one (a store the application declared included), read from
 * its {@linkplain FileOutboxStore#statistics() statistics}: {@code sync.store.file.records} (records in the journal),
 * {@code sync.store.file.compacting} (1 or 0), {@code sync.store.file.compactions} (counter, tag {@code outcome}:
 * done or failed) and {@code sync.store.file.payload.reads} (counter, tag {@code source}: cache or journal).
 */
class FileStoreMetrics implements MeterBinder {

	private final OutboxStore store;

	FileStoreMetrics(OutboxStore store) {
		this.store = store;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		if (!(this.store instanceof FileOutboxStore file)) {
			return;
		}
		Gauge.builder("sync.store.file.records", file, read(FileStoreStatistics::records))
			.description("Records in the journal, live and superseded; compaction keeps the live ones")
			.register(registry);
		Gauge.builder("sync.store.file.compacting", file, read((statistics) -> statistics.compacting() ? 1 : 0))
			.description("Whether a compaction of the journal runs")
			.register(registry);
		String compactions = "Compactions of the journal";
		counter(registry, file, "sync.store.file.compactions", "outcome", "done", FileStoreStatistics::compactions,
				compactions);
		counter(registry, file, "sync.store.file.compactions", "outcome", "failed",
				FileStoreStatistics::failedCompactions, compactions);
		String reads = "Payloads read, from the cache or from the journal";
		counter(registry, file, "sync.store.file.payload.reads", "source", "cache",
				FileStoreStatistics::payloadCacheHits, reads);
		counter(registry, file, "sync.store.file.payload.reads", "source", "journal", FileStoreStatistics::payloadReads,
				reads);
	}

	private static void counter(MeterRegistry registry, FileOutboxStore store, String name, String tag, String value,
			ToDoubleFunction<FileStoreStatistics> count, String description) {
		FunctionCounter.builder(name, store, read(count)).tag(tag, value).description(description).register(registry);
	}

	private static ToDoubleFunction<FileOutboxStore> read(ToDoubleFunction<FileStoreStatistics> value) {
		return (store) -> value.applyAsDouble(store.statistics());
	}

}
