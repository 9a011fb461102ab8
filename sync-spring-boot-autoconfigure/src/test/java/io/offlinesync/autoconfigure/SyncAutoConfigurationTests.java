package io.offlinesync.autoconfigure;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.http.client.reactive.ClientHttpConnectorBuilder;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.webclient.autoconfigure.WebClientAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.client.WebClient;

import io.offlinesync.EngineConfig;
import io.offlinesync.InvalidOperationException;
import io.offlinesync.NetworkProbe;
import io.offlinesync.NewOperation;
import io.offlinesync.Operation;
import io.offlinesync.Outbox;
import io.offlinesync.OutboxConfig;
import io.offlinesync.RetryPolicy;
import io.offlinesync.SendResult;
import io.offlinesync.StoreLockedException;
import io.offlinesync.SyncEngine;
import io.offlinesync.SyncTransport;
import io.offlinesync.store.InMemoryOutboxStore;
import io.offlinesync.store.OutboxStore;
import io.offlinesync.store.file.FileOutboxStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class SyncAutoConfigurationTests {

	@TempDir
	Path directory;

	private ApplicationContextRunner runner() {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(WebClientAutoConfiguration.class, SyncAutoConfiguration.class))
			.withPropertyValues("sync.store.file.directory=" + this.directory,
					"sync.transport.base-url=http://127.0.0.1:9/api");
	}

	@Test
	void kindDefaultsGiveOperationsTheirPriorityAndTimeToLive() {
		runner().withPropertyValues("sync.engine.auto-startup=false", "sync.defaults[http.put].priority=9",
				"sync.defaults[http.delete].time-to-live=2m")
			.run((context) -> {
				Outbox outbox = context.getBean(Outbox.class);
				Operation alarm = outbox.enqueue("http.put", "/alarms/1", "{}");
				Operation eta = outbox.enqueue("http.delete", "/eta/1", "");
				Operation other = outbox.enqueue("http.post", "/notes", "{}");
				assertThat(alarm.priority()).isEqualTo(9);
				assertThat(alarm.expiresAt()).isNull();
				assertThat(eta.priority()).isEqualTo(NewOperation.DEFAULT_PRIORITY);
				assertThat(eta.expiresAt()).isEqualTo(eta.createdAt().plus(Duration.ofMinutes(2)));
				assertThat(other.priority()).isEqualTo(NewOperation.DEFAULT_PRIORITY);
				// What an operation says wins over its kind's default.
				assertThat(outbox.enqueue(NewOperation.of("http.put", "/alarms/2", "{}").withPriority(3)).priority())
					.isEqualTo(3);
			});
	}

	@Test
	void aKindDefaultOutOfRangeFailsStartupNamingTheProperty() {
		runner().withPropertyValues("sync.defaults[alarm].priority=12").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(InvalidSyncPropertyException.class)
				.hasMessageContaining("'sync.defaults[alarm].priority' must be between 1 and 9 but was 12");
		});
		runner().withPropertyValues("sync.defaults[eta].time-to-live=0s").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.hasMessageContaining("'sync.defaults[eta].time-to-live' must be positive but was PT0S");
		});
	}

	@Test
	void defaultsGiveAFileStoreAWebClientTransportAndARunningEngine() {
		runner().run((context) -> {
			assertThat(context).hasSingleBean(Outbox.class)
				.hasSingleBean(NetworkProbe.class)
				.hasSingleBean(SyncEngine.class)
				.hasSingleBean(SyncEngineLifecycle.class);
			assertThat(context.getBean(OutboxStore.class)).isInstanceOf(FileOutboxStore.class);
			assertThat(((FileOutboxStore) context.getBean(OutboxStore.class)).directory())
				.isEqualTo(this.directory.toAbsolutePath());
			assertThat(context.getBean(SyncTransport.class)).isInstanceOf(WebClientSyncTransport.class);
			assertThat(context.getBean(SyncEngine.class).isRunning()).isTrue();
			assertThat(context.getBean(RetryPolicy.class)).hasToString(RetryPolicy.defaults().toString());
		});
	}

	@Test
	void theEngineStopsAndTheStoreClosesWithTheContext() {
		SyncEngine[] engine = new SyncEngine[1];
		runner().run((context) -> engine[0] = context.getBean(SyncEngine.class));
		assertThat(engine[0].isRunning()).isFalse();
		// The file lock was released: the directory opens again.
		FileOutboxStore.open(this.directory).close();
	}

	@Test
	void autoStartupCanBeTurnedOff() {
		runner().withPropertyValues("sync.engine.auto-startup=false")
			.run((context) -> assertThat(context.getBean(SyncEngine.class).isRunning()).isFalse());
	}

	@Test
	void memoryStoreOnRequest() {
		runner().withPropertyValues("sync.store.type=memory")
			.run((context) -> assertThat(context.getBean(OutboxStore.class)).isInstanceOf(InMemoryOutboxStore.class));
	}

	@Test
	void propertiesReachTheCore() {
		runner()
			.withPropertyValues("sync.retry.max-attempts=3", "sync.retry.initial-delay=1s",
					"sync.engine.concurrency=2", "sync.engine.tick-interval=2s", "sync.store.max-payload-size=2KB")
			.run((context) -> {
				assertThat(context.getBean(RetryPolicy.class).maxAttempts()).isEqualTo(3);
				assertThat(context.getBean(RetryPolicy.class).initialDelay()).isEqualTo(Duration.ofSeconds(1));
				assertThat(context.getBean(EngineConfig.class).concurrency()).isEqualTo(2);
				assertThat(context.getBean(EngineConfig.class).idleSleep()).isEqualTo(Duration.ofSeconds(2));
				assertThat(context.getBean(OutboxConfig.class).maxPayloadBytes()).isEqualTo(2048);
				assertThat(context.getBean(Outbox.class).config().retryPolicy().maxAttempts()).isEqualTo(3);
			});
	}

	@Test
	void disabledMeansNoBeansAtAll() {
		runner().withPropertyValues("sync.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(Outbox.class)
				.doesNotHaveBean(OutboxStore.class)
				.doesNotHaveBean(SyncEngine.class)
				.doesNotHaveBean(SyncTransport.class));
	}

	@Test
	void everyBeanBacksOffWhenTheUserDefinesOne() {
		runner().withUserConfiguration(UserBeans.class).run((context) -> {
			assertThat(context.getBean(OutboxStore.class)).isSameAs(context.getBean("userStore"));
			assertThat(context.getBean(Outbox.class)).isSameAs(context.getBean("userOutbox"));
			assertThat(context.getBean(NetworkProbe.class)).isSameAs(context.getBean("userProbe"));
			assertThat(context.getBean(SyncTransport.class)).isSameAs(context.getBean("userTransport"));
			assertThat(context.getBean(RetryPolicy.class)).isSameAs(context.getBean("userRetryPolicy"));
			assertThat(context.getBean(EngineConfig.class)).isSameAs(context.getBean("userEngineConfig"));
			assertThat(context).hasSingleBean(SyncEngine.class);
		});
		runner().withUserConfiguration(UserEngine.class)
			.run((context) -> assertThat(context.getBean(SyncEngine.class)).isSameAs(context.getBean("userEngine")));
	}

	@Test
	void withoutWebClientThereIsNoTransportAndNoEngineButTheOutboxWorks() {
		runner().withClassLoader(new FilteredClassLoader(WebClient.class)).run((context) -> {
			assertThat(context).hasNotFailed()
				.hasSingleBean(Outbox.class)
				.doesNotHaveBean(SyncTransport.class)
				.doesNotHaveBean(SyncEngine.class);
			context.getBean(Outbox.class).enqueue("http.post", "/a", "{}");
		});
	}

	@Test
	void withoutWebClientAUserTransportStillGetsAnEngine() {
		runner().withClassLoader(new FilteredClassLoader(WebClient.class))
			.withBean("userTransport", SyncTransport.class,
					() -> (operation) -> CompletableFuture.completedFuture(SendResult.ok()))
			.run((context) -> assertThat(context).hasSingleBean(SyncEngine.class));
	}

	@Test
	void theHttpTransportRefusesAtEnqueueWhatItWouldNeverSend() {
		runner().withPropertyValues("sync.store.type=memory", "sync.transport.headers.Authorization=Bearer t0ken",
				"sync.transport.headers.X-Tenant=shop-7", "sync.transport.overridable-headers=X-Tenant")
			.run((context) -> {
				Outbox outbox = context.getBean(Outbox.class);
				assertThatExceptionOfType(InvalidOperationException.class)
					.isThrownBy(() -> outbox.enqueue("http.post", "/%2e%2e/admin", "{}"))
					.withMessageContaining("Target '/%2e%2e/admin' contains the dot segment '..' once percent-decoded");
				assertThatExceptionOfType(InvalidOperationException.class)
					.isThrownBy(() -> outbox.enqueue(NewOperation.of("http.post", "/a", "{}").withHeader("Host", "evil")))
					.withMessageContaining("Header 'Host' cannot be set by an operation");
				assertThatExceptionOfType(InvalidOperationException.class)
					.isThrownBy(() -> outbox
						.enqueue(NewOperation.of("http.post", "/a", "{}").withHeader("authorization", "Bearer other")))
					.withMessageContaining("configured in sync.transport.headers");
				assertThatExceptionOfType(InvalidOperationException.class)
					.isThrownBy(() -> outbox.enqueue("mqtt.publish", "/a", "{}"))
					.withMessageContaining("Unsupported kind 'mqtt.publish'");
				assertThat(outbox.enqueue(NewOperation.of("http.post", "/a", "{}").withHeader("X-Tenant", "shop-8"))
					.headers()).containsEntry("X-Tenant", "shop-8");
				assertThat(outbox.stats().backlog()).isOne();
			});
	}

	@Test
	void aTransportOfTheApplicationsOwnWithoutABaseUrlBringsNoHttpRules() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(WebClientAutoConfiguration.class, SyncAutoConfiguration.class))
			.withPropertyValues("sync.store.type=memory")
			.withBean("userTransport", SyncTransport.class,
					() -> (operation) -> CompletableFuture.completedFuture(SendResult.ok()))
			.run((context) -> {
				assertThat(context).doesNotHaveBean(HttpOperationRules.class);
				context.getBean(Outbox.class).enqueue("mqtt.publish", "sensors/7", "{}");
			});
	}

	@Test
	void withABaseUrlTheHttpRulesApplyAlsoWhenATestStandsAFakeTransportIn() {
		runner().withPropertyValues("sync.store.type=memory")
			.withBean("fakeTransport", SyncTransport.class,
					() -> (operation) -> CompletableFuture.completedFuture(SendResult.ok()))
			.run((context) -> assertThatExceptionOfType(InvalidOperationException.class)
				.isThrownBy(() -> context.getBean(Outbox.class).enqueue("http.post", "/..;/admin", "{}")));
	}

	@Test
	void invalidValuesFailStartupNamingTheProperty() {
		assertFailure("sync.retry.max-attempts=0", "sync.retry.max-attempts",
				"'sync.retry.max-attempts' must be at least 1 but was 0");
		assertFailure("sync.engine.tick-interval=-1s", "sync.engine.tick-interval",
				"'sync.engine.tick-interval' must be positive but was PT-1S");
		assertFailure("sync.retry.initial-delay=-5ms", "sync.retry.initial-delay",
				"'sync.retry.initial-delay' must not be negative");
		assertFailure("sync.engine.send-timeout=1m", "sync.engine.send-timeout",
				"'sync.engine.send-timeout' (PT1M) must be shorter than 'sync.engine.in-flight-timeout' (PT30S)");
		assertFailure("sync.transport.base-url=ftp://example.org/x", "sync.transport.base-url",
				"must be an absolute http or https URL");
		assertFailure("sync.probe.mode=tcp", "sync.probe.host", "'sync.probe.host' and 'sync.probe.port' must be set");
		assertFailure("sync.transport.connect-timeout=5s", "sync.transport.connect-timeout",
				"'sync.transport.connect-timeout' (PT5S) must be shorter than 'sync.transport.timeout' (PT5S)");
		assertFailure("sync.probe.recheck-max-delay=100ms", "sync.probe.recheck-max-delay",
				"'sync.probe.recheck-max-delay' (PT0.1S) must not be shorter than 'sync.probe.recheck-initial-delay'");
		assertFailure("sync.store.file.damaged-copies-to-keep=0", "sync.store.file.damaged-copies-to-keep",
				"'sync.store.file.damaged-copies-to-keep' must be at least 1");
		assertFailure("sync.transport.batch.enabled=true,sync.transport.batch.size=0", "sync.transport.batch.size",
				"'sync.transport.batch.size' must be between 1 and 10000 but was 0");
		assertFailure("sync.transport.batch.enabled=true,sync.transport.batch.path=batch", "sync.transport.batch.path",
				"'sync.transport.batch.path' must start with '/' but was 'batch'");
		assertFailure("sync.transport.batch.linger=-1ms", "sync.transport.batch.linger",
				"'sync.transport.batch.linger' must not be negative");
	}

	@Test
	void theFileStoreKeepsAsManyCopiesOfDamagedJournalsAsConfigured() throws Exception {
		try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
			new Outbox(store).enqueue("http.post", "/a", "{}");
		}
		Path journal = this.directory.resolve("outbox.journal");
		Path older = this.directory.resolve("outbox.journal.damaged-1");
		Files.writeString(older, "a copy from an earlier recovery");
		Files.write(journal, "garbage\n".getBytes(java.nio.charset.StandardCharsets.UTF_8),
				java.nio.file.StandardOpenOption.APPEND);
		runner().withPropertyValues("sync.store.file.damaged-copies-to-keep=1").run((context) -> {
			FileOutboxStore store = (FileOutboxStore) context.getBean(OutboxStore.class);
			Path copy = store.recovery().damagedCopy().orElseThrow();
			try (java.util.stream.Stream<Path> files = Files.list(this.directory)) {
				assertThat(files.filter((file) -> file.getFileName().toString().contains(".damaged-")))
					.containsExactly(copy);
			}
		});
	}

	@Test
	void aMissingBaseUrlFailsStartupNamingTheProperty() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(WebClientAutoConfiguration.class, SyncAutoConfiguration.class))
			.withPropertyValues("sync.store.type=memory")
			.run((context) -> {
				assertThat(context).hasFailed();
				FailureAnalysis analysis = analyze(context.getStartupFailure());
				assertThat(analysis.getDescription()).contains("'sync.transport.base-url' is not set");
				assertThat(analysis.getAction()).contains("sync.transport.base-url");
			});
	}

	@Test
	void aMalformedBaseUrlFailsBindingNamingTheProperty() {
		runner().withPropertyValues("sync.transport.base-url=http://exa mple.org")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("sync.transport.base-url"));
	}

	@Test
	@SuppressWarnings("try") // the store is only held open
	void aStoreDirectoryInUseFailsStartupWithAnExplanation() {
		try (FileOutboxStore held = FileOutboxStore.open(this.directory)) {
			runner().run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).hasRootCauseInstanceOf(StoreLockedException.class);
				FailureAnalysis analysis = analyze(context.getStartupFailure());
				assertThat(analysis.getDescription()).contains("already open in this process");
				assertThat(analysis.getAction()).contains("Spring's context cache")
					.contains("@AutoConfigureOfflineSync")
					.contains("sync.store.file.directory");
			});
		}
	}

	@Test
	void http2OverCleartextOnTheJdkClientFailsStartupSayingWhy() {
		runner().withBean(ClientHttpConnectorBuilder.class, ClientHttpConnectorBuilder::jdk)
			.withPropertyValues("sync.engine.auto-startup=false", "sync.transport.http-version=h2c")
			.run((context) -> {
				assertThat(context).hasFailed();
				FailureAnalysis analysis = analyze(context.getStartupFailure());
				assertThat(analysis).isNotNull();
				assertThat(analysis.getDescription()).contains("'sync.transport.http-version=h2c' needs Reactor Netty");
				assertThat(analysis.getAction()).contains("sync.transport.http-version");
			});
		runner().withBean(ClientHttpConnectorBuilder.class, ClientHttpConnectorBuilder::jdk)
			.withPropertyValues("sync.engine.auto-startup=false", "sync.transport.http-version=h2")
			.run((context) -> assertThat(context).hasNotFailed().hasSingleBean(SyncTransport.class));
	}

	private void assertFailure(String property, String name, String message) {
		runner().withPropertyValues(property.split(",")).run((context) -> {
			assertThat(context).as(property).hasFailed();
			FailureAnalysis analysis = analyze(context.getStartupFailure());
			assertThat(analysis).as(property).isNotNull();
			assertThat(analysis.getDescription()).as(property).contains(message);
			assertThat(analysis.getAction()).as(property).contains(name);
		});
	}

	private static FailureAnalysis analyze(Throwable failure) {
		return new SyncFailureAnalyzer(new org.springframework.core.env.StandardEnvironment()).analyze(failure);
	}

	@Configuration(proxyBeanMethods = false)
	static class UserBeans {

		@Bean
		OutboxStore userStore() {
			return new InMemoryOutboxStore();
		}

		@Bean
		Outbox userOutbox(OutboxStore userStore) {
			return new Outbox(userStore);
		}

		@Bean
		NetworkProbe userProbe() {
			return NetworkProbe.alwaysOnline();
		}

		@Bean
		SyncTransport userTransport() {
			return (operation) -> CompletableFuture.completedFuture(SendResult.ok());
		}

		@Bean
		RetryPolicy userRetryPolicy() {
			return RetryPolicy.builder().maxAttempts(2).build();
		}

		@Bean
		EngineConfig userEngineConfig() {
			return EngineConfig.builder().concurrency(1).build();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserEngine {

		@Bean
		SyncEngine userEngine(Outbox outbox) {
			return new SyncEngine(outbox, (operation) -> CompletableFuture.completedFuture(SendResult.ok()),
					NetworkProbe.alwaysOnline(), EngineConfig.defaults());
		}

	}

}
