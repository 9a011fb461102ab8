package io.offlinesync.test.autoconfigure;

import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

import io.offlinesync.Outbox;
import io.offlinesync.SyncEngine;
import io.offlinesync.test.ManualSyncEngine;
import io.offlinesync.test.SettableClock;

/**
 * The beans of {@link AutoConfigureOfflineSync} that need the engine: a {@link ManualSyncEngine}, and a listener
 * that wakes the background engine whenever the test moves the clock (a retry just came due).
 *
 * @since 0.1.0
 */
@AutoConfiguration(afterName = "io.offlinesync.autoconfigure.SyncAutoConfiguration")
@ConditionalOnClass(Outbox.class)
@ConditionalOnBean({ SyncEngine.class, SettableClock.class })
public final class OfflineSyncTestEngineAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	ManualSyncEngine syncTestManualEngine(SyncEngine engine, Outbox outbox, SettableClock clock) {
		return new ManualSyncEngine(engine, outbox, clock);
	}

	@Bean
	SmartInitializingSingleton syncTestWakeOnClockChange(SyncEngine engine, SettableClock clock) {
		return () -> clock.addListener((instant) -> engine.wakeUp());
	}

}
