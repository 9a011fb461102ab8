package io.offlinesync.autoconfigure;

import java.time.Clock;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

import io.micrometer.core.instrument.MeterRegistry;
import io.offlinesync.NetworkProbe;
import io.offlinesync.Outbox;
import io.offlinesync.SyncEngine;
import io.offlinesync.store.OutboxStore;

/**
 * Auto-configuration of the outbox's Micrometer meters.
 *
 * @since 0.1.0
 */
@AutoConfiguration(after = SyncAutoConfiguration.class)
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean(Outbox.class)
public final class SyncMetricsAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	SyncMetrics syncMetrics(Outbox outbox, ObjectProvider<NetworkProbe> probe, ObjectProvider<SyncEngine> engine,
			ObjectProvider<Clock> clock) {
		return new SyncMetrics(outbox, probe.getIfAvailable(), engine::getIfAvailable,
				SyncAutoConfiguration.syncClock(clock));
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBean(OutboxStore.class)
	FileStoreMetrics syncFileStoreMetrics(OutboxStore store) {
		return new FileStoreMetrics(store);
	}

}
