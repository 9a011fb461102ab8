package io.offlinesync.autoconfigure;

import javax.sql.DataSource;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jdbc.EmbeddedDatabaseConnection;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.offlinesync.store.OutboxStore;
import io.offlinesync.store.jdbc.JdbcOutboxStore;

/**
 * The JDBC outbox store on the application's {@link DataSource}, for {@code sync.store.type=jdbc}. Its calls run in
 * the application's Spring transactions when there are any, so an enqueue inside a transaction commits or rolls back
 * with it, and the engine hears of the new operation only after the commit.
 *
 * @since 0.1.0
 */
@AutoConfiguration(before = SyncAutoConfiguration.class,
		afterName = { "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
				"org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration",
				"org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration" })
@ConditionalOnBooleanProperty(name = "sync.enabled", matchIfMissing = true)
@ConditionalOnProperty(name = "sync.store.type", havingValue = "jdbc")
@ConditionalOnClass({ DataSourceUtils.class, TransactionTemplate.class })
@ConditionalOnSingleCandidate(DataSource.class)
@EnableConfigurationProperties(SyncProperties.class)
public final class SyncJdbcStoreAutoConfiguration {

	/**
	 * The store checks its table when it opens, so it waits for Flyway, Liquibase or an SQL script to have run.
	 */
	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	@DependsOnDatabaseInitialization
	OutboxStore syncOutboxStore(SyncProperties properties, DataSource dataSource,
			ObjectProvider<PlatformTransactionManager> transactionManager) {
		SyncProperties.Store.Jdbc jdbc = properties.getStore().getJdbc();
		PlatformTransactionManager manager = transactionManager
			.getIfUnique(() -> new DataSourceTransactionManager(dataSource));
		JdbcOutboxStore.Builder builder = JdbcOutboxStore.builder(new SpringJdbcTransactions(dataSource, manager));
		SyncSettings.validated(() -> builder.tableName(jdbc.getTableName()));
		String owner = jdbc.getOwner();
		if (owner != null) {
			SyncSettings.validated(() -> builder.owner(owner));
		}
		builder.createSchema(switch (jdbc.getInitializeSchema()) {
			case ALWAYS -> true;
			case NEVER -> false;
			case EMBEDDED -> EmbeddedDatabaseConnection.isEmbedded(dataSource);
		});
		return builder.build();
	}

}
