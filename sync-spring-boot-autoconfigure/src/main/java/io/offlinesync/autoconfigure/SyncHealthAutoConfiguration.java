package io.offlinesync.autoconfigure;

import java.time.Clock;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

import io.offlinesync.NetworkProbe;
import io.offlinesync.Outbox;
import io.offlinesync.SyncEngine;

/**
 * Auto-configuration of the {@code sync} health indicator.
 *
 * @since 0.1.0
 */
@AutoConfiguration(after = SyncAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(Outbox.class)
@ConditionalOnEnabledHealthIndicator("sync")
public final class SyncHealthAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(name = { "syncHealthIndicator", "syncHealthContributor" })
	HealthIndicator syncHealthIndicator(Outbox outbox, ObjectProvider<NetworkProbe> probe,
			ObjectProvider<SyncEngine> engine, ObjectProvider<DeliveryTracker> tracker, SyncProperties properties,
			ObjectProvider<Clock> clock) {
		return new SyncHealthIndicator(outbox, probe.getIfAvailable(), engine.getIfAvailable(),
				tracker.getIfAvailable(), HealthThresholds.of(properties.getHealth()),
				SyncAutoConfiguration.syncClock(clock));
	}

}
