package io.offlinesync;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

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

}
