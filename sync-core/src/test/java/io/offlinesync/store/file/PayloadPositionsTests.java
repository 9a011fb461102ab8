package io.offlinesync.store.file;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class PayloadPositionsTests {

	@ParameterizedTest
	@ValueSource(longs = { 1, 2, 3 })
	void holdsEveryIdThroughGrowthAndOverwrites(long seed) {
		// Enough entries to fill more chunks than the map starts with.
		Random random = new Random(seed);
		PayloadPositions positions = new PayloadPositions();
		Map<String, Long> expected = new HashMap<>();
		List<String> added = new ArrayList<>();
		Map<String, Integer> entries = new HashMap<>();
		for (int i = 0; i < 100_000; i++) {
			// Mostly ids like the creation-ordered ones of one instance, which differ in their last characters.
			String id = (random.nextInt(10) == 0) ? Long.toHexString(random.nextLong())
					: String.format("01a213e0-12a0-70ae-a465-%012x", i);
			long position = random.nextInt(Integer.MAX_VALUE) * 3L;
			if (entries.putIfAbsent(id, added.size()) == null) {
				added.add(id);
			}
			assertThat(positions.put(id, position)).isEqualTo(entries.get(id));
			expected.put(id, position);
			if (random.nextInt(5) == 0) {
				// A later record of an earlier operation moves it and keeps its entry.
				String earlier = added.get(random.nextInt(added.size()));
				assertThat(positions.put(earlier, position + 1)).isEqualTo(entries.get(earlier));
				expected.put(earlier, position + 1);
			}
		}
		assertThat(positions.size()).isEqualTo(expected.size());
		expected.forEach((id, position) -> assertThat(positions.get(id)).as(id).isEqualTo(position));
		for (int entry = 0; entry < added.size(); entry += 97) {
			assertThat(positions.entry(added.get(entry))).isEqualTo(entry);
		}
		assertThat(positions.get("not-an-id")).isEqualTo(-1);
		assertThat(positions.entry("not-an-id")).isEqualTo(-1);
		Map<String, Long> visited = new HashMap<>();
		positions.forEach(visited::put);
		assertThat(visited).isEqualTo(expected);
	}

	@ParameterizedTest
	@ValueSource(ints = { 0, 1, 4_095, 4_096, 4_097, 20_000 })
	void entriesAreListedInTheOrderTheyWereAddedAndLaterChangesDoNotReachThem(int count) {
		PayloadPositions positions = new PayloadPositions();
		for (int i = 0; i < count; i++) {
			positions.put(String.format("01a213e0-12a0-70ae-a465-%012x", i), i * 10L);
		}
		for (int i = 0; i < count; i += 3) {
			positions.put(String.format("01a213e0-12a0-70ae-a465-%012x", i), -i);
		}
		PayloadPositions.Entries entries = positions.entries();
		positions.put(String.format("01a213e0-12a0-70ae-a465-%012x", 0), 99);
		positions.put("added-later", 42);

		assertThat(entries.ids()).hasSize(count);
		assertThat(entries.positions()).hasSize(count);
		for (int i = 0; i < count; i++) {
			assertThat(entries.ids()[i]).isEqualTo(String.format("01a213e0-12a0-70ae-a465-%012x", i));
			assertThat(entries.positions()[i]).isEqualTo((i % 3 == 0) ? -i : i * 10L);
		}
	}

}
