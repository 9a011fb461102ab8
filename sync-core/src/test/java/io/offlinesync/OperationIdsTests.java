package io.offlinesync;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.offlinesync.test.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;

class OperationIdsTests {

	@Test
	void idsAreVersion7UuidsCarryingTheCreationTime() {
		MutableClock clock = MutableClock.startingAt("2026-11-24T12:00:00Z");
		UUID id = UUID.fromString(new OperationIds(clock).next());
		assertThat(id.version()).isEqualTo(7);
		assertThat(id.variant()).isEqualTo(2);
		assertThat(id.getMostSignificantBits() >>> 16).isEqualTo(clock.millis());
	}

	@Test
	void aClockStandingAtTheEpochStillGivesVersion7Ids() {
		OperationIds generator = new OperationIds(MutableClock.startingAt("1970-01-01T00:00:00Z"));
		for (int i = 0; i < 3; i++) {
			UUID id = UUID.fromString(generator.next());
			assertThat(id.version()).isEqualTo(7);
			assertThat(id.getMostSignificantBits() >>> 16).isZero();
		}
	}

	@Test
	void generatorsStartedAtTheSameInstantNeverRepeatAnId() {
		// The C++ engine's unseeded rand() gave every restart the same ids; a restart is a new generator here.
		Set<String> ids = new HashSet<>();
		for (int restart = 0; restart < 50; restart++) {
			OperationIds generator = new OperationIds(MutableClock.startingAt("2026-01-01T00:00:00Z"));
			for (int i = 0; i < 1_000; i++) {
				assertThat(ids.add(generator.next())).isTrue();
			}
		}
		assertThat(ids).hasSize(50_000);
	}

	@Test
	void idsSortInGenerationOrderEvenWithinOneMillisecondAndWhenTheClockGoesBack() {
		MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");
		OperationIds generator = new OperationIds(clock);
		List<String> ids = new ArrayList<>();
		for (int i = 0; i < 10_000; i++) {
			ids.add(generator.next());
		}
		clock.set(Instant.parse("2025-12-31T23:59:00Z"));
		ids.add(generator.next());
		clock.set(Instant.parse("2026-01-01T00:00:01Z"));
		ids.add(generator.next());
		assertThat(ids).isSorted().doesNotHaveDuplicates();
	}

	@Test
	void concurrentThreadsNeverShareAMillisecondAndSequenceNumber() throws Exception {
		// A clock that stands still makes every thread run through the sequence numbers of one millisecond and
		// borrow the next ones, so that all of them contend for the same counter the whole time.
		MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");
		OperationIds generator = new OperationIds(clock);
		int threads = 8;
		int each = 20_000;
		CountDownLatch start = new CountDownLatch(1);
		ExecutorService pool = Executors.newFixedThreadPool(threads);
		try {
			List<Future<List<String>>> results = new ArrayList<>();
			for (int t = 0; t < threads; t++) {
				results.add(pool.submit(() -> {
					start.await();
					List<String> ids = new ArrayList<>(each);
					for (int i = 0; i < each; i++) {
						ids.add(generator.next());
					}
					return ids;
				}));
			}
			start.countDown();
			Set<Long> highs = new HashSet<>();
			for (Future<List<String>> result : results) {
				List<String> ids = result.get(30, TimeUnit.SECONDS);
				assertThat(ids).isSorted();
				for (String id : ids) {
					UUID uuid = UUID.fromString(id);
					assertThat(uuid.version()).isEqualTo(7);
					assertThat(highs.add(uuid.getMostSignificantBits())).as("the high half of %s again", id).isTrue();
				}
			}
			assertThat(highs).hasSize(threads * each);
			// 160,000 ids, 4,096 a millisecond after the first, which starts below 2,048: 39 milliseconds borrowed.
			long lastMillis = highs.stream().mapToLong((high) -> high >>> 16).max().orElseThrow();
			assertThat(lastMillis - clock.millis()).isEqualTo(39L);
		}
		finally {
			pool.shutdownNow();
		}
	}

}
