package io.offlinesync.store.file;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import io.offlinesync.Operation;
import io.offlinesync.Outbox;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Writes that the kernel refuses, not injected ones: a child JVM runs under a file-size limit ({@code ulimit -f}),
 * so appends past it fail with {@code EFBIG} as they would on a full disk (the JVM ignores {@code SIGXFSZ}), often
 * after part of a record reached the file. Every enqueue that returned must be stored, every one that threw must
 * not, and the journal must reopen cleanly and take writes again without the limit.
 */
@EnabledOnOs({ OS.LINUX, OS.MAC })
class FileOutboxStoreFileSizeLimitTests {

	/** In the 1,024-byte blocks of bash's {@code ulimit -f}: room for a few hundred records, not for padding. */
	private static final int LIMIT_BLOCKS = 192;

	@TempDir
	Path directory;

	@Test
	void writesPastAFileSizeLimitFailCleanlyAndTheStoreWorksOnceTheLimitIsGone() throws Exception {
		Path store = this.directory.resolve("store");
		List<String> command = new ArrayList<>(List.of("bash", "-c",
				"ulimit -f " + LIMIT_BLOCKS + " && exec \"$@\"", "child"));
		command.addAll(FileOutboxStoreCrashTests.childCommand("fill", store.toString(), "4"));
		Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
		String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
		assertThat(child.exitValue()).as(output).isZero();

		Map<String, String> acknowledged = new HashMap<>();
		List<String> failures = new ArrayList<>();
		long storedInChild = -1;
		for (String line : output.split("\n")) {
			if (line.startsWith("ACK ")) {
				String[] parts = line.split(" ", 3);
				acknowledged.put(parts[1], parts[2]);
			}
			else if (line.startsWith("FAIL ")) {
				failures.add(line);
			}
			else if (line.startsWith("STORED ")) {
				storedInChild = Long.parseLong(line.substring(7).trim());
			}
		}
		assertThat(failures).as("each of the 4 writers failed 5 times").hasSize(20)
			.allSatisfy((failure) -> assertThat(failure).contains("File too large")
				.contains("not stored"));
		assertThat(acknowledged).as("the limit leaves room for some hundreds").hasSizeGreaterThan(100);
		assertThat(storedInChild).as("in memory, the child held exactly what it acknowledged")
			.isEqualTo(acknowledged.size());
		assertThat(Files.size(store.resolve(FileOutboxStore.JOURNAL))).isLessThanOrEqualTo(LIMIT_BLOCKS * 1024L);

		try (FileOutboxStore reopened = FileOutboxStore.open(store)) {
			assertThat(reopened.recovery().isClean()).as("failed writes were cut off the file").isTrue();
			assertThat(payloads(reopened)).isEqualTo(acknowledged);
			Operation after = new Outbox(reopened).enqueue("http.post", "/fill", "after the limit is gone");
			acknowledged.put(after.id(), after.payload());
		}
		try (FileOutboxStore reopened = FileOutboxStore.open(store)) {
			assertThat(reopened.recovery().isClean()).isTrue();
			assertThat(payloads(reopened)).isEqualTo(acknowledged);
		}
	}

	private static Map<String, String> payloads(FileOutboxStore store) throws IOException {
		return store.list(Set.of(), null, Integer.MAX_VALUE)
			.stream()
			.collect(Collectors.toMap(Operation::id, Operation::payload));
	}

}
