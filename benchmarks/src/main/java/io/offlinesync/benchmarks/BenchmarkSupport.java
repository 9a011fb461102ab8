package io.offlinesync.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * What several benchmarks set up alike: a connection pool on their embedded PostgreSQL, and scratch directories.
 */
final class BenchmarkSupport {

	private BenchmarkSupport() {
	}

	/**
	 * @param postgres the running server
	 * @param connections the most connections at once: above the benchmark's concurrency, so that none waits for one
	 * @return a pool on its {@code postgres} database
	 */
	static HikariDataSource pool(EmbeddedPostgres postgres, int connections) {
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(postgres.getJdbcUrl("postgres", "postgres"));
		config.setUsername("postgres");
		config.setMaximumPoolSize(connections);
		return new HikariDataSource(config);
	}

	/** @return a new empty directory in {@code root} */
	static Path temporaryDirectory(Path root, String prefix) {
		try {
			return Files.createTempDirectory(root, prefix);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** Delete a directory and everything in it. */
	static void deleteTree(Path directory) {
		try (Stream<Path> files = Files.walk(directory)) {
			for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
				Files.delete(path);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
