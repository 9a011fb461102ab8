package io.offlinesync.test.autoconfigure;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Stream;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Primary;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;

import io.offlinesync.NetworkProbe;
import io.offlinesync.Outbox;
import io.offlinesync.store.InMemoryOutboxStore;
import io.offlinesync.store.OutboxStore;
import io.offlinesync.store.file.FileOutboxStore;
import io.offlinesync.test.ControllableNetwork;
import io.offlinesync.test.FakeTransport;
import io.offlinesync.test.SettableClock;

/**
 * The beans of {@link AutoConfigureOfflineSync}, made before the outbox's own auto-configuration so that its beans
 * back off for them.
 *
 * @since 0.1.0
 */
@AutoConfiguration(beforeName = { "io.offlinesync.autoconfigure.SyncAutoConfiguration",
		"io.offlinesync.autoconfigure.SyncJdbcStoreAutoConfiguration" })
@ConditionalOnClass(Outbox.class)
public final class OfflineSyncTestAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(Clock.class)
	SettableClock syncTestClock() {
		return SettableClock.startingNow();
	}

	@Bean
	@ConditionalOnMissingBean
	ControllableNetwork syncTestNetwork(ObjectProvider<Clock> clock) {
		return new ControllableNetwork(clock.getIfUnique(Clock::systemUTC));
	}

	@Bean
	@Primary
	NetworkProbe syncTestNetworkProbe(ControllableNetwork network) {
		return network.probe();
	}

	@Bean
	@Primary
	@ConditionalOnBooleanProperty(name = "sync.test.fake-transport", matchIfMissing = true)
	FakeTransport syncTestTransport(ObjectProvider<Clock> clock) {
		return new FakeTransport(clock.getIfUnique(Clock::systemUTC));
	}

	@Bean(destroyMethod = "close")
	@Primary
	@Conditional(InMemory.class)
	OutboxStore syncTestMemoryStore() {
		return new InMemoryOutboxStore();
	}

	@Bean(destroyMethod = "close")
	@Primary
	@Conditional(InTemporaryDirectory.class)
	OutboxStore syncTestFileStore(TemporaryStoreDirectory directory) {
		return FileOutboxStore.open(directory.path());
	}

	@Bean
	@Conditional(InTemporaryDirectory.class)
	TemporaryStoreDirectory syncTestStoreDirectory() {
		return new TemporaryStoreDirectory();
	}

	static StoreIsolation isolation(Environment environment) {
		String value = environment.getProperty("sync.test.store", StoreIsolation.AUTO.name());
		return StoreIsolation.valueOf(value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
	}

	/** {@link StoreIsolation#MEMORY}, or {@link StoreIsolation#AUTO} for an application without the JDBC store. */
	static final class InMemory implements Condition {

		@Override
		public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
			Environment environment = context.getEnvironment();
			StoreIsolation isolation = isolation(environment);
			return isolation == StoreIsolation.MEMORY || (isolation == StoreIsolation.AUTO
					&& !"jdbc".equalsIgnoreCase(environment.getProperty("sync.store.type", "file").trim()));
		}

	}

	/** {@link StoreIsolation#FILE}. */
	static final class InTemporaryDirectory implements Condition {

		@Override
		public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
			return isolation(context.getEnvironment()) == StoreIsolation.FILE;
		}

	}

	/**
	 * A directory of the context's own for its file store, deleted when the context closes (after the store, which
	 * depends on it).
	 */
	static final class TemporaryStoreDirectory implements AutoCloseable {

		private final Path path;

		TemporaryStoreDirectory() {
			try {
				this.path = Files.createTempDirectory("offline-sync-test-");
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

		Path path() {
			return this.path;
		}

		@Override
		public void close() throws IOException {
			try (Stream<Path> files = Files.walk(this.path)) {
				for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
					Files.deleteIfExists(file);
				}
			}
		}

	}

}
