package io.offlinesync.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.offlinesync.Operation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Changes made while another caller holds the store are queued and applied by that caller, in order; each caller
 * gets its own outcome, and only once the latest of the applied changes is durable.
 */
class IndexedOutboxStoreCombiningTests {

	private final GatedStore store = new GatedStore();

	@AfterEach
	void openGates() {
		this.store.firstPersistMayGo.countDown();
		this.store.makeDurable(Long.MAX_VALUE);
	}

	@Test
	void changesQueuedDuringAnotherCallerAreAppliedByItInOrderAndReturnWhenDurable() throws Exception {
		CompletableFuture<Void> first = insertOnNewThread("op-1");
		assertThat(this.store.firstPersistEntered.await(10, TimeUnit.SECONDS)).isTrue();
		// Queued one after the other while the first caller is held inside its change.
		CompletableFuture<Void> second = insertOnNewThread("op-2");
		awaitParked("op-2");
		CompletableFuture<Void> repeated = insertOnNewThread("op-1");
		awaitParked("op-1#2");
		CompletableFuture<Void> third = insertOnNewThread("op-3");
		awaitParked("op-3");

		this.store.firstPersistMayGo.countDown();
		await().atMost(10, TimeUnit.SECONDS).until(() -> this.store.awaited.containsKey(3L));
		// The first caller applied all four changes and waits for the latest; nobody has returned yet.
		assertThat(this.store.persistedBy).containsExactly(Map.entry(1L, "op-1"), Map.entry(2L, "op-1"),
				Map.entry(3L, "op-1"));
		assertThat(this.store.awaited).containsOnlyKeys(3L);
		assertThat(List.of(first, second, repeated, third)).noneMatch(CompletableFuture::isDone);

		this.store.makeDurable(3);
		first.get(10, TimeUnit.SECONDS);
		second.get(10, TimeUnit.SECONDS);
		third.get(10, TimeUnit.SECONDS);
		assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> repeated.get(10, TimeUnit.SECONDS))
			.havingCause()
			.isInstanceOf(IllegalArgumentException.class)
			.withMessage("Operation id 'op-1' is already stored");
		assertThat(this.store.list(Set.of(), null, 10)).extracting(Operation::id)
			.containsExactly("op-1", "op-2", "op-3");
		// Each caller still checked its own ticket.
		assertThat(this.store.awaited).containsOnlyKeys(1L, 2L, 3L);
	}

	@Test
	void aCallerInterruptedWhileItsChangeIsQueuedStillGetsItAppliedAndKeepsItsInterrupt() throws Exception {
		CompletableFuture<Void> first = insertOnNewThread("op-1");
		assertThat(this.store.firstPersistEntered.await(10, TimeUnit.SECONDS)).isTrue();
		CompletableFuture<Boolean> interrupted = new CompletableFuture<>();
		Thread queued = new Thread(() -> {
			try {
				this.store.insert(List.of(operation("op-2")));
				interrupted.complete(Thread.currentThread().isInterrupted());
			}
			catch (Throwable ex) {
				interrupted.completeExceptionally(ex);
			}
		}, "op-2");
		queued.start();
		awaitParked("op-2");
		queued.interrupt();
		this.store.firstPersistMayGo.countDown();
		this.store.makeDurable(2);
		assertThat(interrupted.get(10, TimeUnit.SECONDS)).isTrue();
		first.get(10, TimeUnit.SECONDS);
		assertThat(this.store.find("op-2")).isPresent();
	}

	private CompletableFuture<Void> insertOnNewThread(String id) {
		CompletableFuture<Void> done = new CompletableFuture<>();
		String name = this.store.threadNameFor(id);
		new Thread(() -> {
			try {
				this.store.insert(List.of(operation(id)));
				done.complete(null);
			}
			catch (Throwable ex) {
				done.completeExceptionally(ex);
			}
		}, name).start();
		return done;
	}

	/** Waits until the thread named {@code name} is parked, which a queued caller is until its change is applied. */
	private static void awaitParked(String name) {
		await().atMost(10, TimeUnit.SECONDS).until(() -> Thread.getAllStackTraces().keySet().stream()
			.anyMatch((thread) -> thread.getName().equals(name) && thread.getState() == Thread.State.WAITING));
	}

	private static Operation operation(String id) {
		return Operation.builder().id(id).kind("k").target("/t").createdAt(Instant.parse("2026-01-01T00:00:00Z"))
			.build();
	}

	/**
	 * Its first write waits for the test; each write gets the next ticket, and is durable when the test says so.
	 */
	private static final class GatedStore extends IndexedOutboxStore {

		final CountDownLatch firstPersistEntered = new CountDownLatch(1);

		final CountDownLatch firstPersistMayGo = new CountDownLatch(1);

		/** Ticket to the name of the thread that wrote it. */
		final Map<Long, String> persistedBy = new ConcurrentHashMap<>();

		/** Ticket to the name of the last thread that waited for it. */
		final Map<Long, String> awaited = new ConcurrentHashMap<>();

		private final Map<String, Integer> names = new ConcurrentHashMap<>();

		private long tickets;

		private long durable;

		String threadNameFor(String id) {
			int seen = this.names.merge(id, 1, Integer::sum);
			return (seen == 1) ? id : id + "#" + seen;
		}

		@Override
		protected long persist(List<Operation> upserts, List<String> removals) {
			this.firstPersistEntered.countDown();
			try {
				assertThat(this.firstPersistMayGo.await(10, TimeUnit.SECONDS)).isTrue();
			}
			catch (InterruptedException ex) {
				throw new IllegalStateException(ex);
			}
			long ticket = ++this.tickets;
			this.persistedBy.put(ticket, Thread.currentThread().getName());
			return ticket;
		}

		@Override
		protected void awaitDurable(long ticket) {
			this.awaited.put(ticket, Thread.currentThread().getName());
			synchronized (this.awaited) {
				while (this.durable < ticket) {
					try {
						this.awaited.wait();
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
						return;
					}
				}
			}
		}

		void makeDurable(long ticket) {
			synchronized (this.awaited) {
				this.durable = Math.max(this.durable, ticket);
				this.awaited.notifyAll();
			}
		}

	}

}
