package io.offlinesync.sample;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;
import org.springframework.test.context.TestPropertySource;

import io.offlinesync.Operation;
import io.offlinesync.Outbox;
import io.offlinesync.test.FakeTransport;
import io.offlinesync.test.OutboxAwait;
import io.offlinesync.test.autoconfigure.AutoConfigureOfflineSync;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Twelve test classes that differ in their properties, so that Spring's context cache keeps twelve application
 * contexts of the sample open in this JVM at once, every one configured with the same default store directory.
 * Without {@link AutoConfigureOfflineSync} the second of them would fail to start on the store's lock.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE)
@AutoConfigureOfflineSync
class ManyCachedContextsTests {

	private static final Set<ApplicationContext> contexts = ConcurrentHashMap.newKeySet();

	@AfterAll
	static void everyClassHadAContextOfItsOwn() {
		assertThat(contexts).hasSize(12);
	}

	abstract static class DeliversOnItsOwnStore {

		@Autowired
		ApplicationContext context;

		@Autowired
		Outbox outbox;

		@Autowired
		FakeTransport transport;

		@Test
		void deliversOnItsOwnStore() {
			contexts.add(this.context);
			Operation note = this.outbox.enqueue("http.post", "/notes", "{\"text\":\"" + getClass().getSimpleName()
					+ "\"}");
			OutboxAwait.on(this.outbox).untilDelivered(note);
			this.transport.verifySentExactlyOnce(note);
			assertThat(this.outbox.stats().total()).as("nothing from the other contexts").isOne();
		}

	}

	@Nested
	@TestPropertySource(properties = "sync.engine.concurrency=1")
	class Concurrency1 extends DeliversOnItsOwnStore {

	}

	@Nested
	@TestPropertySource(properties = "sync.engine.concurrency=2")
	class Concurrency2 extends DeliversOnItsOwnStore {

	}

	@Nested
	@TestPropertySource(properties = "sync.engine.concurrency=3")
	class Concurrency3 extends DeliversOnItsOwnStore {

	}

	@Nested
	@TestPropertySource(properties = "sync.engine.concurrency=4")
	class Concurrency4 extends DeliversOnItsOwnStore {

	}

	@Nested
	@TestPropertySource(properties = "sync.engine.batch-limit=10")
	class BatchLimit10 extends DeliversOnItsOwnStore {

	}

	@Nested
	@TestPropertySource(properties = "sync.engine.batch-limit=20")
	class BatchLimit20 extends DeliversOnItsOwnStore {

	}

	@Nested
	@TestPropertySource(properties = "sync.retry.max-attempts=3")
	class MaxAttempts3 extends DeliversOnItsOwnStore {

	}

	@Nested
	@TestPropertySource(properties = "sync.retry.max-attempts=5")
	class MaxAttempts5 extends DeliversOnItsOwnStore {

	}

	@Nested
	@TestPropertySource(properties = "sync.retry.initial-delay=1s")
	class InitialDelay1s extends DeliversOnItsOwnStore {

	}

	@Nested
	@TestPropertySource(properties = "sync.retry.initial-delay=2s")
	class InitialDelay2s extends DeliversOnItsOwnStore {

	}

	@Nested
	@TestPropertySource(properties = "sync.engine.tick-interval=100ms")
	class TickInterval100ms extends DeliversOnItsOwnStore {

	}

	@Nested
	@TestPropertySource(properties = "sample.network-up=false")
	class NetworkSwitchOff extends DeliversOnItsOwnStore {

	}

}
