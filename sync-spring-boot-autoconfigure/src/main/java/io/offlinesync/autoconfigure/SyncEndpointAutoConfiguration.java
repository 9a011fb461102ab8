package io.offlinesync.autoconfigure;

import java.time.Clock;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

import io.offlinesync.Outbox;
import io.offlinesync.SyncEngine;

/**
 * Auto-configuration of the {@code sync} Actuator endpoint.
 *
 * @since 0.1.0
 */
@AutoConfiguration(after = SyncAutoConfiguration.class)
@ConditionalOnClass(Endpoint.class)
@ConditionalOnBean(Outbox.class)
@ConditionalOnAvailableEndpoint(SyncEndpoint.class)
public final class SyncEndpointAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	SyncEndpoint syncEndpoint(Outbox outbox, ObjectProvider<SyncEngine> engine, SyncProperties properties,
			ObjectProvider<Clock> clock) {
		return new SyncEndpoint(outbox, engine.getIfAvailable(), properties.getEndpoint().isShowPayloads(),
				SyncAutoConfiguration.syncClock(clock));
	}

}
