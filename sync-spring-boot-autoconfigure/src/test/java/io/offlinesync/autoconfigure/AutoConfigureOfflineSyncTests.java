package io.offlinesync.autoconfigure;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.boot.webclient.autoconfigure.WebClientAutoConfiguration;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.context.transaction.TestTransaction;
import org.springframework.transaction.annotation.Transactional;

import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.SyncEngine;
import io.offlinesync.store.InMemoryOutboxStore;
import io.offlinesync.store.OutboxStore;
import io.offlinesync.store.file.FileOutboxStore;
import io.offlinesync.store.jdbc.JdbcOutboxStore;
import io.offlinesync.test.ControllableNetwork;
import io.offlinesync.test.FakeTransport;
import io.offlinesync.test.ManualSyncEngine;
import io.offlinesync.test.OutboxAwait;
import io.offlinesync.test.SettableClock;
import io.offlinesync.test.autoconfigure.AutoConfigureOfflineSync;
import io.offlinesync.test.autoconfigure.StoreIsolation;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link AutoConfigureOfflineSync} on real Spring Boot test contexts, each of them cached by Spring next to the others
 * in this JVM, and each with the application's default store directory configured: none collides with another.
 */
class AutoConfigureOfflineSyncTests {

	@SpringBootConfiguration
	@ImportAutoConfiguration({ WebClientAutoConfiguration.class, DataSourceAutoConfiguration.class,
			DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class,
			SyncJdbcStoreAutoConfiguration.class, SyncAutoConfiguration.class })
	static class Application {

	}

	@Nested
	@SpringBootTest(classes = Application.class, properties = "sync.transport.base-url=http://127.0.0.1:9/api")
	@AutoConfigureOfflineSync
	class ByDefault {

		@Autowired
		OutboxStore store;

		@Autowired
		Outbox outbox;

		@Autowired
		FakeTransport transport;

		@Autowired
		ControllableNetwork network;

		@Autowired
		SyncEngine engine;

		@Test
		void theContextHasAStoreOfItsOwnAndDeliversToTheFakeTransportInTheBackground() {
			assertThat(this.store).isInstanceOf(InMemoryOutboxStore.class);
			assertThat(this.engine.isRunning()).isTrue();
			this.network.goOffline();
			Operation note = this.outbox.enqueue("http.post", "/notes", "{}");
			this.engine.tick();
			this.transport.verifyNothingSent();
			this.network.goOnline();
			OutboxAwait.on(this.outbox).untilDelivered(note);
			this.transport.verifySentExactlyOnce(note);
		}

	}

	@Nested
	@SpringBootTest(classes = Application.class,
			properties = { "sync.transport.base-url=http://127.0.0.1:9/api", "sync.engine.tick-interval=1h" })
	@AutoConfigureOfflineSync
	class WithARetryComingDue {

		@Autowired
		Outbox outbox;

		@Autowired
		FakeTransport transport;

		@Autowired
		SettableClock clock;

		@Test
		void movingTheClockWakesTheBackgroundEngine() {
			this.transport.whenTarget("/notes").thenAnswer(FakeTransport.http(503), FakeTransport.http(201));
			Operation note = this.outbox.enqueue("http.post", "/notes", "{}");
			OutboxAwait.on(this.outbox).until(note, (operation) -> operation.status() == OperationStatus.FAILED,
					"failed once");
			// The engine sleeps up to an hour when idle: only the clock's wake-up explains a prompt retry.
			this.clock.advance(Duration.ofMinutes(1));
			OutboxAwait.on(this.outbox).atMost(Duration.ofSeconds(5)).untilDelivered(note);
		}

	}

	@Nested
	@SpringBootTest(classes = Application.class, properties = "sync.transport.base-url=http://127.0.0.1:9/api")
	@AutoConfigureOfflineSync(store = StoreIsolation.FILE, backgroundEngine = false)
	class DurableAndSteppedByHand {

		@Autowired
		OutboxStore store;

		@Autowired
		Outbox outbox;

		@Autowired
		SyncEngine engine;

		@Autowired
		FakeTransport transport;

		@Autowired
		ManualSyncEngine manual;

		@Test
		void theFileStoreIsInATemporaryDirectoryOfItsOwnAndTheEngineWaitsForTicks() {
			assertThat(this.store).isInstanceOf(FileOutboxStore.class);
			Path directory = ((FileOutboxStore) this.store).directory();
			assertThat(directory.getFileName().toString()).startsWith("offline-sync-test-");
			assertThat(this.engine.isRunning()).isFalse();
			this.transport.answerByDefault(FakeTransport.http(503), FakeTransport.http(503), FakeTransport.http(201));
			Operation note = this.outbox.enqueue("http.post", "/notes", "{}");
			this.manual.runUntilIdle();
			assertThat(this.outbox.find(note.id()).orElseThrow().attempt()).isEqualTo(3);
			assertThat(this.transport.callsFor(note)).extracting(FakeTransport.Call::result)
				.containsExactly(FakeTransport.http(503), FakeTransport.http(503), FakeTransport.http(201));
		}

	}

	@Nested
	@SpringBootTest(classes = Application.class)
	@TestPropertySource(properties = { "sync.transport.base-url=http://127.0.0.1:9/api", "sync.store.type=jdbc",
			"spring.datasource.url=jdbc:h2:mem:offline-sync-test-support;DB_CLOSE_DELAY=-1" })
	@AutoConfigureOfflineSync(backgroundEngine = false)
	@Transactional
	class OnTheJdbcStoreInATestTransaction {

		@Autowired
		OutboxStore store;

		@Autowired
		Outbox outbox;

		@Autowired
		ManualSyncEngine manual;

		@Autowired
		FakeTransport transport;

		@Test
		void anEnqueueRolledBackWithTheTestTransactionIsNeverDelivered() {
			assertThat(this.store).isInstanceOf(JdbcOutboxStore.class);
			Operation rolledBack = this.outbox.enqueue("http.post", "/notes", "{}");
			TestTransaction.end();
			this.manual.runUntilIdle();
			this.transport.verifyNothingSent();
			assertThat(this.outbox.find(rolledBack.id())).isEmpty();
		}

	}

}
