package io.offlinesync;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

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
		this.probe.reportUnreachable("connection refused");
		this.up.set(true);
		this.probe.refresh();
		this.probe.reportReachable();
		assertThat(heard).containsExactly(true, false, true);
	}

	@Test
	void anUnreachableReportHoldsUntilTheRecheckAndThenLetsOneTrialThrough() {
		assertThat(this.probe.isOnline()).isTrue();
		assertThat(this.probe.isConfirmed()).isTrue();
		this.probe.reportUnreachable("Connection refused");
		// The check passes, but the report is newer evidence: it holds until the re-check is due.
		this.clock.advance(NetworkProbe.DEFAULT_RECHECK_INITIAL_DELAY.minusMillis(1));
		assertThat(this.probe.isOnline()).isFalse();
		this.clock.advance(Duration.ofMillis(1));
		assertThat(this.probe.isOnline()).isTrue();
		assertThat(this.probe.isConfirmed()).as("online again, but no send has reached the remote yet").isFalse();
		this.probe.reportReachable();
		assertThat(this.probe.isConfirmed()).isTrue();
		assertThat(this.probe.status().outageSince()).isNull();
	}

	@Test
	void recheckDelaysDoubleUpToTheMaximumAndStayThereHoweverLongTheOutage() {
		NetworkProbe probe = NetworkProbe.builder(() -> true)
			.recheckDelays(Duration.ofMillis(500), Duration.ofSeconds(4))
			.clock(this.clock)
			.build();
		Instant outageStart = this.clock.instant();
		probe.reportUnreachable("Connection refused");
		List<Duration> delays = new ArrayList<>();
		// A day of outage in which every trial send fails again.
		while (this.clock.instant().isBefore(outageStart.plus(Duration.ofDays(1)))) {
			Instant offlineAt = this.clock.instant();
			while (!probe.isOnline()) {
				this.clock.advance(Duration.ofMillis(100));
			}
			delays.add(Duration.between(offlineAt, this.clock.instant()));
			probe.reportUnreachable("Connection refused");
		}
		assertThat(delays.subList(0, 5)).containsExactly(Duration.ofMillis(500), Duration.ofSeconds(1),
				Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(4));
		assertThat(delays).allSatisfy((delay) -> assertThat(delay).isLessThanOrEqualTo(Duration.ofSeconds(4)));
		assertThat(probe.status().outageSince()).isEqualTo(outageStart);
		assertThat(probe.status().reason()).isEqualTo("Connection refused");
	}

	@Test
	void reportsFromTheSameBurstDoNotLengthenTheBackoff() {
		NetworkProbe probe = NetworkProbe.builder(() -> true)
			.recheckDelays(Duration.ofSeconds(1), Duration.ofSeconds(8))
			.clock(this.clock)
			.build();
		probe.reportUnreachable("Connection refused");
		for (int i = 0; i < 7; i++) {
			probe.reportUnreachable("Connection refused (send " + i + ")");
		}
		assertThat(probe.status().nextCheckAt()).isEqualTo(this.clock.instant().plusSeconds(1));
		assertThat(probe.status().reason()).isEqualTo("Connection refused (send 6)");
	}

	@Test
	void aFailingCheckStartsAnOutageThatAPassingCheckAndAReachedRemoteEnd() {
		assertThat(this.probe.isOnline()).isTrue();
		Instant failedAt = this.clock.advance(Duration.ofSeconds(1));
		this.up.set(false);
		assertThat(this.probe.isOnline()).isFalse();
		NetworkProbe.Status offline = this.probe.status();
		assertThat(offline.online()).isFalse();
		assertThat(offline.outageSince()).isEqualTo(failedAt);
		assertThat(offline.reason()).isEqualTo("the network check failed");
		assertThat(offline.nextCheckAt()).isEqualTo(failedAt.plus(NetworkProbe.DEFAULT_RECHECK_INITIAL_DELAY));
		this.up.set(true);
		this.clock.advance(NetworkProbe.DEFAULT_RECHECK_INITIAL_DELAY);
		assertThat(this.probe.isOnline()).isTrue();
		assertThat(this.probe.status().confirmed()).isFalse();
		this.probe.reportReachable();
		assertThat(this.probe.status()).extracting(NetworkProbe.Status::confirmed, NetworkProbe.Status::outageSince)
			.containsExactly(true, null);
	}

	@Test
	void invalidRecheckDelaysAreRefusedWithTheirName() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> NetworkProbe.builder(() -> true).recheckDelays(Duration.ZERO, Duration.ofSeconds(1)).build())
			.withMessage("'recheckInitialDelay' must be positive but was PT0S");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> NetworkProbe.builder(() -> true)
				.recheckDelays(Duration.ofSeconds(2), Duration.ofSeconds(1))
				.build())
			.withMessage("'recheckMaxDelay' (PT1S) must not be shorter than 'recheckInitialDelay' (PT2S)");
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
