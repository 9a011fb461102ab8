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
	void aCopyKeepsItsEntriesWhileTheOriginalChangesAndTheOtherWayRound(int count) {
		PayloadPositions original = new PayloadPositions();
		Map<String, Long> expected = new HashMap<>();
		for (int i = 0; i < count; i++) {
			String id = String.format("01a213e0-12a0-70ae-a465-%012x", i);
			original.put(id, i * 10L);
			expected.put(id, i * 10L);
		}
		PayloadPositions copy = original.copy();
		for (int i = 0; i < count; i += 3) {
			original.put(String.format("01a213e0-12a0-70ae-a465-%012x", i), -7);
		}
		// New entries fill the last chunk the two shared before the copy, and grow the original's table.
		for (int i = count; i < count + 5_000; i++) {
			original.put(String.format("01a213e0-12a0-70ae-a465-%012x", i), 1);
		}
		copy.put("added-to-the-copy", 42);
		expected.put("added-to-the-copy", 42L);

		Map<String, Long> visited = new HashMap<>();
		copy.forEach(visited::put);
		assertThat(visited).isEqualTo(expected);
		assertThat(copy.size()).isEqualTo(count + 1);
		expected.forEach((id, position) -> assertThat(copy.get(id)).as(id).isEqualTo(position));
		assertThat(original.get("added-to-the-copy")).isEqualTo(-1);
		assertThat(original.size()).isEqualTo(count + 5_000);
		for (int i = count; i < count + 5_000; i++) {
			String id = String.format("01a213e0-12a0-70ae-a465-%012x", i);
			assertThat(original.get(id)).isEqualTo(1);
			assertThat(copy.get(id)).isEqualTo(-1);
		}
	}

}
