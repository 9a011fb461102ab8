package io.offlinesync.autoconfigure;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.offlinesync.Operation;
import io.offlinesync.Outbox;
import io.offlinesync.StoreException;
import io.offlinesync.StoreSchemaException;
import io.offlinesync.SyncTransport;
import io.offlinesync.store.InMemoryOutboxStore;
import io.offlinesync.store.OutboxStore;
import io.offlinesync.store.jdbc.JdbcOutboxStore;

import static org.assertj.core.api.Assertions.assertThat;

class SyncJdbcStoreAutoConfigurationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
				DataSourceTransactionManagerAutoConfiguration.class, JdbcTemplateAutoConfiguration.class,
				TransactionAutoConfiguration.class,
				SyncJdbcStoreAutoConfiguration.class, SyncAutoConfiguration.class, SyncHealthAutoConfiguration.class))
		.withBean(SyncTransport.class, () -> (operation) -> new CompletableFuture<>())
		.withPropertyValues("sync.store.type=jdbc", "sync.engine.auto-startup=false",
				"spring.datasource.url=jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");

	@Test
	void usesTheApplicationsDataSourceAndCreatesTheTableOnAnEmbeddedDatabase() {
		this.runner.run((context) -> {
			assertThat(context).hasSingleBean(OutboxStore.class);
			JdbcOutboxStore store = (JdbcOutboxStore) context.getBean(OutboxStore.class);
			assertThat(store.tableName()).isEqualTo("offline_sync_outbox");
			Operation enqueued = context.getBean(Outbox.class).enqueue("http.post", "/notes", "stored in H2");
			Integer rows = context.getBean(JdbcTemplate.class)
				.queryForObject("SELECT COUNT(*) FROM offline_sync_outbox WHERE id = ?", Integer.class, enqueued.id());
			assertThat(rows).isOne();
		});
	}

	/** The application's own table, changed in the same transactions as the outbox. */
	private static JdbcTemplate businessTable(ApplicationContext context) {
		JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
		jdbc.execute("CREATE TABLE notes (text VARCHAR(100))");
		return jdbc;
	}

	/** Ids of enqueued operations as the outbox's listeners (the engine's wake-up) hear of them. */
	private static List<String> heardEnqueues(Outbox outbox) {
		List<String> heard = new CopyOnWriteArrayList<>();
		outbox.addEnqueueListener((operations) -> operations.forEach((operation) -> heard.add(operation.id())));
		return heard;
	}

	@Test
	void anEnqueueInATransactionThatRollsBackLeavesNothingAndWakesNoOne() {
		this.runner.run((context) -> {
			Outbox outbox = context.getBean(Outbox.class);
			JdbcTemplate jdbc = businessTable(context);
			List<String> heard = heardEnqueues(outbox);

			new TransactionTemplate(context.getBean(PlatformTransactionManager.class))
				.executeWithoutResult((status) -> {
					jdbc.update("INSERT INTO notes VALUES ('rolled back')");
					outbox.enqueue("http.post", "/notes", "rolled back");
					status.setRollbackOnly();
				});

			assertThat(outbox.stats().total()).isZero();
			assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM notes", Integer.class)).isZero();
			assertThat(heard).isEmpty();
		});
	}

	@Test
	void anEnqueueInATransactionCommitsWithItAndWakesTheEngineOnlyAfterTheCommit() {
		this.runner.run((context) -> {
			Outbox outbox = context.getBean(Outbox.class);
			JdbcTemplate jdbc = businessTable(context);
			List<String> heard = heardEnqueues(outbox);

			Operation enqueued = new TransactionTemplate(
					context.getBean(PlatformTransactionManager.class))
				.execute((status) -> {
					jdbc.update("INSERT INTO notes VALUES ('committed')");
					Operation operation = outbox.enqueue("http.post", "/notes", "committed");
					assertThat(heard).as("not before the commit").isEmpty();
					return operation;
				});

			assertThat(heard).containsExactly(enqueued.id());
			assertThat(outbox.stats().total()).isOne();
			assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM notes", Integer.class)).isOne();
		});
	}

	@Test
	void anEnqueueOutsideATransactionCommitsOnItsOwn() {
		this.runner.run((context) -> {
			Outbox outbox = context.getBean(Outbox.class);
			List<String> heard = heardEnqueues(outbox);
			Operation enqueued = outbox.enqueue("http.post", "/notes", "alone");
			assertThat(heard).containsExactly(enqueued.id());
			Integer rows = context.getBean(JdbcTemplate.class)
				.queryForObject("SELECT COUNT(*) FROM offline_sync_outbox", Integer.class);
			assertThat(rows).isOne();
		});
	}

	@Test
	void bindsTheTableNameAndOwner() {
		this.runner.withPropertyValues("sync.store.jdbc.table-name=app_outbox", "sync.store.jdbc.owner=web-1")
			.run((context) -> {
				JdbcOutboxStore store = (JdbcOutboxStore) context.getBean(OutboxStore.class);
				assertThat(store.tableName()).isEqualTo("app_outbox");
				assertThat(store.owner()).isEqualTo("web-1");
			});
	}

	@Test
	void aMalformedTableNameFailsStartupNamingTheProperty() {
		this.runner.withPropertyValues("sync.store.jdbc.table-name=outbox; drop").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(InvalidSyncPropertyException.class)
				.hasMessageContaining("'sync.store.jdbc.table-name' must be a plain SQL name");
		});
	}

	@Test
	void withSchemaInitializationOffAMissingTableFailsStartupNamingTheMigrations() {
		this.runner.withPropertyValues("sync.store.jdbc.initialize-schema=never").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(StoreSchemaException.class)
				.hasMessageContaining("The outbox table 'offline_sync_outbox' does not exist")
				.hasMessageContaining("classpath:db/offline-sync/flyway/h2");
			FailureAnalysis analysis = new SyncFailureAnalyzer(
					new org.springframework.mock.env.MockEnvironment().withProperty("sync.store.type", "jdbc"))
				.analyze(context.getStartupFailure());
			assertThat(analysis.getAction()).contains("spring.flyway.locations")
				.contains("db/offline-sync/liquibase/changelog.xml")
				.contains("sync.store.jdbc.initialize-schema=always")
				.doesNotContain("sync.store.file.directory");
		});
	}

	@Test
	void flywayCreatesTheTableFromTheMigrationsBeforeTheStoreOpens() {
		this.runner
			.withConfiguration(AutoConfigurations.of(
					org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration.class))
			.withPropertyValues("sync.store.jdbc.initialize-schema=never",
					"spring.flyway.locations=classpath:db/offline-sync/flyway/{vendor}")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				Operation enqueued = context.getBean(Outbox.class).enqueue("http.post", "/notes", "migrated");
				assertThat(context.getBean(org.flywaydb.core.Flyway.class).info().applied())
					.extracting((migration) -> migration.getVersion().getVersion())
					.containsExactly("0.1", "0.2");
				assertThat(context.getBean(OutboxStore.class).find(enqueued.id())).contains(enqueued);
			});
	}

	@Test
	void aStoreThatCannotBeOpenedGetsAdviceForTheJdbcStore() {
		FailureAnalysis analysis = new SyncFailureAnalyzer(
				new org.springframework.mock.env.MockEnvironment().withProperty("sync.store.type", "jdbc"))
			.analyze(new StoreException("Could not open the JDBC outbox store: connection refused"));
		assertThat(analysis.getAction()).contains("spring.datasource").doesNotContain("sync.store.file.directory");
	}

	@Test
	void jdbcWithoutADataSourceFailsStartupWithAFix() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(SyncJdbcStoreAutoConfiguration.class, SyncAutoConfiguration.class))
			.withBean(SyncTransport.class, () -> (operation) -> new CompletableFuture<>())
			.withPropertyValues("sync.store.type=jdbc")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).rootCause()
					.isInstanceOf(InvalidSyncPropertyException.class)
					.hasMessageContaining("exactly one DataSource bean");
			});
	}

	@Test
	void jdbcWithoutSpringJdbcOnTheClassPathFailsStartupWithAFix() {
		this.runner.withClassLoader(new FilteredClassLoader("org.springframework.jdbc")).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.hasMessageContaining("needs spring-jdbc on the class path");
		});
	}

	@Test
	void otherStoreTypesIgnoreTheDataSource() {
		this.runner.withPropertyValues("sync.store.type=memory").run((context) -> {
			assertThat(context).doesNotHaveBean(JdbcOutboxStore.class);
			assertThat(context.getBean(OutboxStore.class)).isNotInstanceOf(JdbcOutboxStore.class);
		});
	}

	@Test
	void backsOffWhenTheApplicationDefinesAStore() {
		this.runner.withBean("myStore", OutboxStore.class, InMemoryOutboxStore::new)
			.run((context) -> assertThat(context.getBean(OutboxStore.class))
				.isInstanceOf(InMemoryOutboxStore.class));
	}

	@Test
	void healthIsDownWhenTheDatabaseCannotBeUsed() {
		this.runner.run((context) -> {
			HealthIndicator health = context.getBean("syncHealthIndicator", HealthIndicator.class);
			assertThat(health.health(true).getStatus()).isEqualTo(Status.UP);
			try (Connection connection = context.getBean(DataSource.class).getConnection();
					Statement statement = connection.createStatement()) {
				statement.execute("DROP TABLE offline_sync_outbox");
			}
			Health down = health.health(true);
			assertThat(down.getStatus()).isEqualTo(Status.DOWN);
			assertThat(down.getDetails().get("error").toString()).contains("offline_sync_outbox");
		});
	}

}
