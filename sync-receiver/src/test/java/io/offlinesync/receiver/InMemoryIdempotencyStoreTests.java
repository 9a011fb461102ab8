package io.offlinesync.receiver;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.offlinesync.test.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class InMemoryIdempotencyStoreTests {

	private final MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");

	@Test
	void aKeyIsRememberedForItsTimeToLiveAndTheOldestGoFirstPastTheBound() {
		InMemoryIdempotencyStore store = new InMemoryIdempotencyStore(3, Duration.ofHours(1), this.clock);
		AtomicInteger runs = new AtomicInteger();
		for (String key : List.of("a", "b", "c", "d")) {
			assertThat(store.handleOnce(key, runs::incrementAndGet)).isTrue();
		}
		assertThat(store.size()).isEqualTo(3);
		assertThat(store.handleOnce("d", runs::incrementAndGet)).as("remembered").isFalse();
		assertThat(store.handleOnce("a", runs::incrementAndGet)).as("the oldest, forgotten past the bound").isTrue();
		this.clock.advance(Duration.ofHours(2));
		assertThat(store.handleOnce("d", runs::incrementAndGet)).as("past its time to live").isTrue();
		assertThat(runs).hasValue(6);
	}

	@Test
	void aHandlingThatThrowsIsNotRemembered() {
		InMemoryIdempotencyStore store = new InMemoryIdempotencyStore(10, Duration.ofHours(1), this.clock);
		assertThatIllegalStateException().isThrownBy(() -> store.handleOnce("a", () -> {
			throw new IllegalStateException("failed");
		}));
		assertThat(store.handleOnce("a", () -> {
		})).isTrue();
	}

	@Test
	void repeatsArrivingTogetherAreHandledOnce() throws Exception {
		InMemoryIdempotencyStore store = new InMemoryIdempotencyStore(10, Duration.ofHours(1), this.clock);
		AtomicInteger runs = new AtomicInteger();
		CountDownLatch inside = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		ExecutorService threads = Executors.newFixedThreadPool(8);
		try {
			List<Future<Boolean>> results = new ArrayList<>();
			results.add(threads.submit(() -> store.handleOnce("k", () -> {
				runs.incrementAndGet();
				inside.countDown();
				await(release);
			})));
			assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
			for (int i = 0; i < 7; i++) {
				results.add(threads.submit(() -> store.handleOnce("k", runs::incrementAndGet)));
			}
			release.countDown();
			int ran = 0;
			for (Future<Boolean> result : results) {
				ran += result.get(10, TimeUnit.SECONDS) ? 1 : 0;
			}
			assertThat(ran).isOne();
			assertThat(runs).hasValue(1);
		}
		finally {
			threads.shutdownNow();
		}
	}

	private static void await(CountDownLatch latch) {
		try {
			latch.await(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
