package io.offlinesync.store.file;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offlinesync.Operation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Real crashes: a child JVM enqueues from several threads (one of them in batches large enough to have their force
 * started on the store's own thread) and is killed with SIGKILL at a random moment; every enqueue that returned
 * before the kill must be there after reopening, none twice, and reopening must never fail.
 * {@code -Dcrash.cycles=N} runs a longer soak.
 */
class FileOutboxStoreCrashTests {

	private static final int CYCLES = Integer.getInteger("crash.cycles", 20);

	@TempDir
	Path directory;

	/** Where a child's standard error goes, the last one's only; shown if a child dies before it is killed. */
	private Path childErrors;

	@BeforeEach
	void createChildErrors() throws IOException {
		this.childErrors = Files.createTempFile("crash-child", ".err");
	}

	@AfterEach
	void deleteChildErrors() throws IOException {
		Files.deleteIfExists(this.childErrors);
	}

	private String childErrors() {
		try {
			String errors = Files.readString(this.childErrors);
			return errors.substring(Math.max(0, errors.length() - 4_000));
		}
		catch (IOException ex) {
			return "(unreadable: " + ex + ")";
		}
	}

	@Test
	void everyAcknowledgedEnqueueSurvivesKillDashNine() throws Exception {
		Random random = new Random(20261124L);
		Map<String, String> acknowledged = new HashMap<>();
		for (int cycle = 0; cycle < CYCLES; cycle++) {
			acknowledged.putAll(runChildAndKill("enqueue", "run" + cycle, 1 + random.nextInt(400), -1));
			assertSurvived(acknowledged, cycle);
		}
		assertThat(acknowledged.values()).as("operations of acknowledged batches")
			.anyMatch((payload) -> payload.length() > 500);
	}

	/**
	 * The same with compactions going on: another thread of the child claims operations and puts them back until the
	 * journal is compacted, again and again. Every other child is killed once it has begun a compaction and printed a
	 * random number of acknowledgements more, so that kills land while the compacted file is written, copied and put
	 * in place.
	 */
	@Test
	void everyAcknowledgedEnqueueSurvivesKillDashNineDuringCompactions() throws Exception {
		Random random = new Random(20261126L);
		Map<String, String> acknowledged = new HashMap<>();
		Path compactedFile = this.directory.resolve(FileOutboxStore.JOURNAL + ".tmp");
		int killedWhileCompacting = 0;
		for (int cycle = 0; cycle < CYCLES; cycle++) {
			int acksAfterCompaction = (cycle % 2 == 1) ? random.nextInt(200) : -1;
			acknowledged.putAll(runChildAndKill("churn", "run" + cycle, 1 + random.nextInt(400), acksAfterCompaction));
			killedWhileCompacting += Files.exists(compactedFile) ? 1 : 0;
			assertSurvived(acknowledged, cycle);
			assertThat(compactedFile).as("the file of a compaction cut short, after opening").doesNotExist();
		}
		// Observed: the kill of every child told to wait for a compaction left its file behind.
		assertThat(killedWhileCompacting).as("kills that cut a compaction short").isPositive();
	}

	/**
	 * Issue 24: a process killed while its sends were in flight leaves them claimed; the store reopened by the next
	 * process holds the lock, so the first pass requeues and delivers them instead of waiting out the in-flight
	 * timeout (30 s by default).
	 */
	@Test
	void sendsInFlightInAKilledProcessAreDeliveredByTheFirstPassAfterReopening() throws Exception {
		int count = 5;
		Process child = childJvm("send", this.directory.toString(), String.valueOf(count))
			.redirectError(this.childErrors.toFile())
			.start();
		Set<String> sending = ConcurrentHashMap.newKeySet();
		Thread reader = new Thread(() -> {
			try (BufferedReader lines = new BufferedReader(
					new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
				String line;
				while ((line = lines.readLine()) != null) {
					if (line.startsWith("SENDING ")) {
						sending.add(line.substring("SENDING ".length()));
					}
				}
			}
			catch (IOException ex) {
				// The pipe breaks when the child dies.
			}
		});
		reader.start();
		try {
			await().atMost(Duration.ofSeconds(60)).until(() -> !child.isAlive() || sending.size() == count);
			assertThat(child.isAlive()).as(this::childErrors).isTrue();
		}
		finally {
			child.destroyForcibly();
			assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
			reader.join(10_000);
		}
		try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
			assertThat(store.list(Set.of(io.offlinesync.OperationStatus.IN_FLIGHT), null, 100))
				.extracting(Operation::id)
				.containsExactlyInAnyOrderElementsOf(sending);
			assertThat(store.recovery().requeuedClaims()).isEqualTo(count);
			io.offlinesync.Outbox outbox = new io.offlinesync.Outbox(store);
			Set<String> delivered = ConcurrentHashMap.newKeySet();
			io.offlinesync.SyncTransport transport = (operation) -> {
				delivered.add(operation.id());
				return java.util.concurrent.CompletableFuture.completedFuture(io.offlinesync.SendResult.ok());
			};
			io.offlinesync.SyncEngine engine = new io.offlinesync.SyncEngine(outbox, transport,
					io.offlinesync.NetworkProbe.alwaysOnline(), io.offlinesync.EngineConfig.defaults());
			assertThat(engine.tick()).isEqualTo(count);
			assertThat(store.list(Set.of(), null, 100)).hasSize(count).allSatisfy((operation) -> {
				assertThat(operation.status()).isEqualTo(io.offlinesync.OperationStatus.DONE);
				// The killed process's claim counted one attempt, the delivery a second; nothing more.
				assertThat(operation.attempt()).isEqualTo(2);
			});
			assertThat(delivered).containsExactlyInAnyOrderElementsOf(sending);
		}
	}

	private void assertSurvived(Map<String, String> acknowledged, int cycle) {
		try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
			List<Operation> stored = store.list(Set.of(), null, Integer.MAX_VALUE);
			Map<String, String> payloadById = new HashMap<>();
			stored.forEach((operation) -> payloadById.put(operation.id(), operation.payload()));
			assertThat(payloadById).as("cycle %d", cycle).containsAllEntriesOf(acknowledged);
			assertThat(stored.stream().map(Operation::payload).distinct().count()).isEqualTo(stored.size());
			assertThat(store.recovery().dropped()).as("only a torn last record may be dropped").hasSizeLessThan(2);
		}
	}

	@Test
	@SuppressWarnings("try") // the store is only held open
	void aSecondProcessCannotOpenAStoreThatIsOpen() throws Exception {
		try (FileOutboxStore store = FileOutboxStore.open(this.directory)) {
			Process child = childJvm("open", this.directory.toString()).start();
			assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
			assertThat(child.exitValue()).isEqualTo(3);
			String error = new String(child.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
			assertThat(error).contains("already open in another process");
		}
		Process child = childJvm("open", this.directory.toString()).start();
		assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
		assertThat(child.exitValue()).isZero();
	}

	/**
	 * Run a child with 4 writing threads and kill it once it has acknowledged {@code killAfter} enqueues and, unless
	 * {@code acksAfterCompaction} is negative, that many more after it printed that a compaction began.
	 * @return what it acknowledged
	 */
	private Map<String, String> runChildAndKill(String mode, String run, int killAfter, int acksAfterCompaction)
			throws Exception {
		Process child = childJvm(mode, this.directory.toString(), "4", run)
			.redirectError(this.childErrors.toFile())
			.start();
		Map<String, String> acks = new ConcurrentHashMap<>();
		AtomicInteger acksWhenCompacting = new AtomicInteger(-1);
		AtomicBoolean killed = new AtomicBoolean();
		Thread reader = new Thread(() -> {
			try (BufferedReader lines = new BufferedReader(
					new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
				String line;
				while ((line = lines.readLine()) != null) {
					if (line.startsWith("ACK ")) {
						String[] parts = line.split(" ", 3);
						if (parts.length == 3) {
							acks.put(parts[1], parts[2]);
						}
					}
					else if (line.equals("COMPACTING")) {
						acksWhenCompacting.compareAndSet(-1, acks.size());
					}
				}
			}
			catch (IOException ex) {
				// The pipe breaks when the child dies.
			}
		});
		reader.start();
		try {
			IntSupplier acksToWaitFor = () -> {
				if (acksAfterCompaction < 0) {
					return killAfter;
				}
				int compacting = acksWhenCompacting.get();
				return (compacting < 0) ? Integer.MAX_VALUE : Math.max(killAfter, compacting + acksAfterCompaction);
			};
			await().atMost(Duration.ofSeconds(60))
				.until(() -> !child.isAlive() || acks.size() >= acksToWaitFor.getAsInt());
			assertThat(child.isAlive()).as(() -> "child still running before the kill; it wrote:\n" + childErrors())
				.isTrue();
			killed.set(true);
			// destroyForcibly is SIGKILL on Linux: no shutdown hooks, no finally blocks, no flush.
			child.destroyForcibly();
			assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
			reader.join(10_000);
		}
		finally {
			if (!killed.get()) {
				child.destroyForcibly();
			}
		}
		assertThat(acks.size()).isGreaterThanOrEqualTo(killAfter);
		// Only what the child printed in full counts as acknowledged.
		return new HashMap<>(acks);
	}

	static ProcessBuilder childJvm(String... args) {
		return new ProcessBuilder(childCommand(args));
	}

	static List<String> childCommand(String... args) {
		String java = ProcessHandle.current().info().command().orElse("java");
		List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp",
				System.getProperty("java.class.path"), CrashChild.class.getName()));
		command.addAll(List.of(args));
		return command;
	}

}
