package io.offlinesync.autoconfigure;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.offlinesync.EngineConfig;
import io.offlinesync.NetworkProbe;
import io.offlinesync.OutboxConfig;
import io.offlinesync.RetryPolicy;
import io.offlinesync.TraceContextCapture;
import io.offlinesync.store.file.FileOutboxStore;
import io.offlinesync.store.jdbc.JdbcOutboxStore;

import static org.assertj.core.api.Assertions.assertThat;

class SyncPropertiesTests {

	private final SyncProperties properties = new SyncProperties();

	@Test
	void retryDefaultsAreTheCoreDefaults() {
		RetryPolicy mapped = SyncSettings.retryPolicy(this.properties.getRetry());
		assertThat(mapped).hasToString(RetryPolicy.defaults().toString());
	}

	@Test
	void engineDefaultsAreTheCoreDefaults() {
		EngineConfig mapped = SyncSettings.engineConfig(this.properties.getEngine());
		assertThat(mapped).hasToString(EngineConfig.defaults().toString());
	}

	@Test
	void storeDefaultsAreTheCoreDefaults() {
		OutboxConfig mapped = SyncSettings.outboxConfig(this.properties, RetryPolicy.defaults(), List.of(),
				TraceContextCapture.NONE);
		assertThat(mapped.maxPayloadBytes()).isEqualTo(OutboxConfig.defaults().maxPayloadBytes());
		assertThat(this.properties.getStore().getType()).isEqualTo(SyncProperties.StoreType.FILE);
		assertThat(this.properties.getStore().getFile().isFsync()).isTrue();
		assertThat(this.properties.getStore().getFile().getDamagedCopiesToKeep())
			.isEqualTo(FileOutboxStore.DEFAULT_DAMAGED_COPIES_TO_KEEP);
		assertThat(this.properties.getStore().getJdbc().getTableName())
			.isEqualTo(JdbcOutboxStore.DEFAULT_TABLE_NAME);
	}

	@Test
	void probeDefaultsAreTheCoreDefaults() {
		SyncProperties.Probe probe = this.properties.getProbe();
		assertThat(probe.getMode()).isEqualTo(SyncProperties.ProbeMode.ALWAYS);
		assertThat(probe.getRecheckInitialDelay()).isEqualTo(NetworkProbe.DEFAULT_RECHECK_INITIAL_DELAY);
		assertThat(probe.getRecheckMaxDelay()).isEqualTo(NetworkProbe.DEFAULT_RECHECK_MAX_DELAY);
	}

	@Test
	void theConnectTimeoutDefaultsToHalfTheTimeout() {
		SyncProperties.Transport transport = this.properties.getTransport();
		assertThat(transport.effectiveConnectTimeout()).isEqualTo(Duration.ofMillis(2500));
		transport.setTimeout(Duration.ofSeconds(2));
		assertThat(transport.effectiveConnectTimeout()).isEqualTo(Duration.ofSeconds(1));
		transport.setConnectTimeout(Duration.ofMillis(1500));
		assertThat(transport.effectiveConnectTimeout()).isEqualTo(Duration.ofMillis(1500));
	}

	@Test
	void everyCoreEngineSettingIsMapped() {
		// A core setting the properties do not map would keep its default whatever the user configures.
		SyncProperties.Engine engine = this.properties.getEngine();
		engine.setConcurrency(3);
		engine.setBatchLimit(7);
		engine.setTickInterval(Duration.ofMillis(11));
		engine.setOfflineInterval(Duration.ofMillis(13));
		engine.setInFlightTimeout(Duration.ofSeconds(17));
		engine.setSendTimeout(Duration.ofSeconds(5));
		engine.setDoneRetention(Duration.ofHours(19));
		assertThat(SyncSettings.engineConfig(engine)).hasToString("EngineConfig[concurrency=3, batchLimit=7, "
				+ "idleSleep=PT0.011S, offlineSleep=PT0.013S, inFlightTimeout=PT17S, sendTimeout=PT5S, "
				+ "doneRetention=PT19H]");
		SyncProperties.Retry retry = this.properties.getRetry();
		retry.setMaxAttempts(3);
		retry.setInitialDelay(Duration.ofMillis(100));
		retry.setMaxDelay(Duration.ofSeconds(3));
		retry.setMultiplier(1.5);
		retry.setJitterRatio(0.1);
		assertThat(SyncSettings.retryPolicy(retry)).hasToString("RetryPolicy[maxAttempts=3, initialDelay=PT0.1S, "
				+ "maxDelay=PT3S, multiplier=1.5, jitterRatio=0.1]");
	}

}
