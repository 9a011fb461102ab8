package io.offlinesync.autoconfigure;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offlinesync.NewOperation;
import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.SyncEngine;
import io.offlinesync.receiver.DeliveryReceiver;
import io.offlinesync.receiver.IdempotencyStore;
import io.offlinesync.receiver.InMemoryIdempotencyStore;
import io.offlinesync.store.file.FileOutboxStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A sender killed with SIGKILL while a batch is half handled by the receiver: the batch's operations stay claimed in
 * the sender's journal, the next process sends them again, and the receiver's idempotency store answers the
 * repeats without handling them. Every operation is handled exactly once.
 */
class BatchSenderCrashTests {

	private static final int OPERATIONS = 600;

	/** The receiver stops inside a batch once it has handled this many, until the sender is dead. */
	private static final int HANDLED_BEFORE_THE_KILL = 275;

	@TempDir
	Path directory;

	private final Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();

	private final AtomicInteger repeats = new AtomicInteger();

	private final CountDownLatch midBatch = new CountDownLatch(1);

	private final CountDownLatch senderDead = new CountDownLatch(1);

	@Test
	void aBatchCutShortByKillDashNineIsSentAgainAndHandledOnce() throws Exception {
		List<String> ids = new ArrayList<>();
		try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
			List<NewOperation> operations = new ArrayList<>();
			for (int i = 0; i < OPERATIONS; i++) {
				operations.add(NewOperation.of("http.post", "/notes", "{\"n\":" + i + "}"));
			}
			new Outbox(store).enqueueAll(operations).forEach((operation) -> ids.add(operation.id()));
		}
		IdempotencyStore memory = new InMemoryIdempotencyStore(10_000, Duration.ofHours(1), Clock.systemUTC());
		IdempotencyStore countingRepeats = (key, handling) -> {
			boolean ran = memory.handleOnce(key, handling);
			if (!ran) {
				this.repeats.incrementAndGet();
			}
			return ran;
		};
		DeliveryReceiver receiver = new DeliveryReceiver((operation) -> {
			int count = this.handled.computeIfAbsent(operation.idempotencyKey(), (key) -> new AtomicInteger())
				.incrementAndGet();
			if (this.handled.size() == HANDLED_BEFORE_THE_KILL && count == 1) {
				this.midBatch.countDown();
				awaitSenderDead();
			}
		}, countingRepeats);
		try (ReceivingServer server = new ReceivingServer(receiver)) {
			URI base = URI.create("http://127.0.0.1:" + server.port() + "/api");
			Process child = new ProcessBuilder(childCommand(this.directory.toString(), base.toString()))
				.redirectErrorStream(true)
				.redirectOutput(ProcessBuilder.Redirect.DISCARD)
				.start();
			try {
				assertThat(this.midBatch.await(60, TimeUnit.SECONDS)).as("the receiver reached the batch to cut")
					.isTrue();
			}
			finally {
				// SIGKILL on Linux: the child records nothing more.
				child.destroyForcibly();
				assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
				this.senderDead.countDown();
			}
			try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
				assertThat(store.recovery().requeuedClaims()).as("claims of the killed sender").isPositive();
				Outbox outbox = new Outbox(store);
				SyncEngine engine = BatchSenderChild.engine(outbox, base);
				engine.start();
				try {
					await().atMost(Duration.ofSeconds(60)).until(() -> outbox.stats().backlog() == 0);
				}
				finally {
					engine.close();
				}
				assertThat(store.list(Set.of(), null, OPERATIONS + 1)).extracting(Operation::status)
					.hasSize(OPERATIONS)
					.containsOnly(OperationStatus.DONE);
			}
		}
		assertThat(this.handled.keySet()).containsExactlyInAnyOrderElementsOf(ids);
		assertThat(this.handled.values()).allSatisfy((count) -> assertThat(count).hasValue(1));
		// The cut batch's first items were handled before the kill, and came again.
		assertThat(this.repeats).hasPositiveValue();
	}

	private void awaitSenderDead() {
		try {
			this.senderDead.await(90, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private static List<String> childCommand(String... args) {
		String java = ProcessHandle.current().info().command().orElse("java");
		List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp",
				System.getProperty("java.class.path"), BatchSenderChild.class.getName()));
		command.addAll(List.of(args));
		return command;
	}

}
