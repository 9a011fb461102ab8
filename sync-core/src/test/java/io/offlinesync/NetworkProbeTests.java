package io.offlinesync;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.offlinesync.test.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;

class NetworkProbeTests {

	private final MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");

	private final AtomicBoolean up = new AtomicBoolean(true);

	private final AtomicInteger checks = new AtomicInteger();

	private final NetworkProbe probe = new NetworkProbe(() -> {
		this.checks.incrementAndGet();
		return this.up.get();
	}, Duration.ofSeconds(1), this.clock);

	@Test
	void answerIsCachedForTheInterval() {
		assertThat(this.probe.isOnline()).isTrue();
		this.up.set(false);
		this.clock.advance(Duration.ofMillis(999));
		assertThat(this.probe.isOnline()).isTrue();
		assertThat(this.checks).hasValue(1);
		this.clock.advance(Duration.ofMillis(1));
		assertThat(this.probe.isOnline()).isFalse();
		assertThat(this.checks).hasValue(2);
	}

	@Test
	void refreshChecksAtOnceWhateverTheCache() {
		this.up.set(false);
		assertThat(this.probe.isOnline()).isFalse();
		this.up.set(true);
		// The C++ probe kept answering "offline" for its whole interval after the network came back.
		assertThat(this.probe.refresh()).isTrue();
		assertThat(this.probe.isOnline()).isTrue();
	}

	@Test
	void aCheckThatThrowsMeansOffline() {
		NetworkProbe failing = new NetworkProbe(() -> {
			throw new IllegalStateException("no route");
		}, Duration.ofSeconds(1), this.clock);
		assertThat(failing.isOnline()).isFalse();
	}

	@Test
	void listenersHearTheFirstAnswerAndEveryFlip() {
		List<Boolean> heard = new CopyOnWriteArrayList<>();
		this.probe.addListener(heard::add);
		this.probe.isOnline();
		this.probe.refresh();
		this.up.set(false);
		this.probe.refresh();
		this.probe.reportOffline("connection refused");
		this.up.set(true);
		this.probe.refresh();
		assertThat(heard).containsExactly(true, false, true);
	}

	@Test
	void reportOfflineHoldsUntilTheNextCheck() {
		assertThat(this.probe.isOnline()).isTrue();
		this.probe.reportOffline("connection refused");
		assertThat(this.probe.isOnline()).isFalse();
		this.clock.advance(Duration.ofSeconds(1));
		assertThat(this.probe.isOnline()).isTrue();
	}

	@Test
	void concurrentCallersShareOneSlowCheck() throws Exception {
		AtomicBoolean blockChecks = new AtomicBoolean(false);
		CountDownLatch checkStarted = new CountDownLatch(1);
		CountDownLatch releaseCheck = new CountDownLatch(1);
		AtomicInteger slowChecks = new AtomicInteger();
		NetworkProbe slow = new NetworkProbe(() -> {
			slowChecks.incrementAndGet();
			if (!blockChecks.get()) {
				return false;
			}
			checkStarted.countDown();
			try {
				return releaseCheck.await(10, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				throw new IllegalStateException(ex);
			}
		}, Duration.ofSeconds(1), this.clock);
		assertThat(slow.isOnline()).isFalse();
		blockChecks.set(true);
		this.clock.advance(Duration.ofSeconds(2));
		ExecutorService pool = Executors.newFixedThreadPool(8);
		try {
			Future<Boolean> checker = pool.submit(slow::isOnline);
			assertThat(checkStarted.await(10, TimeUnit.SECONDS)).isTrue();
			List<Future<Boolean>> others = new CopyOnWriteArrayList<>();
			for (int i = 0; i < 7; i++) {
				others.add(pool.submit(slow::isOnline));
			}
			for (Future<Boolean> other : others) {
				// They answer from the cache while the check runs instead of queueing behind it.
				assertThat(other.get(10, TimeUnit.SECONDS)).isFalse();
			}
			releaseCheck.countDown();
			assertThat(checker.get(10, TimeUnit.SECONDS)).isTrue();
			assertThat(slowChecks).hasValue(2);
		}
		finally {
			pool.shutdownNow();
		}
	}

}
