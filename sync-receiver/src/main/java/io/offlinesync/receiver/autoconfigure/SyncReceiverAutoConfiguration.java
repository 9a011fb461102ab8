package io.offlinesync.receiver.autoconfigure;

import java.time.Clock;
import javax.sql.DataSource;

import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.offlinesync.receiver.DeliveryReceiver;
import io.offlinesync.receiver.IdempotencyStore;
import io.offlinesync.receiver.InMemoryIdempotencyStore;
import io.offlinesync.receiver.JdbcIdempotencyStore;
import io.offlinesync.receiver.OperationHandler;

/**
 * Auto-configuration of the receiver, when the application has an {@link OperationHandler}: the
 * {@link DeliveryReceiver}, its {@link IdempotencyStore} ({@code sync.receiver.idempotency.store}) and, in a web
 * application, the batch endpoint.
 *
 * @since 0.1.0
 */
@AutoConfiguration(afterName = { "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
		"org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration" })
@ConditionalOnBean(OperationHandler.class)
@EnableConfigurationProperties(SyncReceiverProperties.class)
@Import({ SyncReceiverAutoConfiguration.JdbcIdempotencyConfiguration.class,
		SyncReceiverAutoConfiguration.MemoryIdempotencyConfiguration.class,
		SyncReceiverAutoConfiguration.NoJdbcConfiguration.class, SyncReceiverAutoConfiguration.MetricsConfiguration.class,
		SyncReceiverWebMvcConfiguration.class, SyncReceiverWebFluxConfiguration.class })
public final class SyncReceiverAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	DeliveryReceiver syncDeliveryReceiver(OperationHandler handler, IdempotencyStore idempotency) {
		return new DeliveryReceiver(handler, idempotency);
	}

	static Clock clock(ObjectProvider<Clock> clock) {
		return clock.getIfUnique(Clock::systemUTC);
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(MeterBinder.class)
	static class MetricsConfiguration {

		@Bean
		@ConditionalOnMissingBean
		SyncReceiverMetrics syncReceiverMetrics(DeliveryReceiver receiver) {
			return new SyncReceiverMetrics(receiver);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(JdbcTemplate.class)
	@ConditionalOnProperty(name = "sync.receiver.idempotency.store", havingValue = "jdbc")
	static class JdbcIdempotencyConfiguration {

		@Bean
		@ConditionalOnMissingBean
		IdempotencyStore syncJdbcIdempotencyStore(SyncReceiverProperties properties, ObjectProvider<DataSource> dataSource,
				ObjectProvider<PlatformTransactionManager> transactionManager, ObjectProvider<Clock> clock) {
			DataSource database = dataSource.getIfUnique();
			if (database == null) {
				throw new IllegalStateException("sync.receiver.idempotency.store=jdbc needs exactly one DataSource bean"
						+ " (add spring-boot-starter-jdbc and configure spring.datasource.*)");
			}
			SyncReceiverProperties.Idempotency idempotency = properties.getIdempotency();
			JdbcTemplate jdbc = new JdbcTemplate(database);
			if (idempotency.isCreateTable()) {
				JdbcIdempotencyStore.createTable(jdbc, idempotency.getTableName());
			}
			PlatformTransactionManager transactions = transactionManager
				.getIfUnique(() -> new DataSourceTransactionManager(database));
			return new JdbcIdempotencyStore(jdbc, new TransactionTemplate(transactions), idempotency.getTableName(),
					idempotency.getTimeToLive(), clock(clock));
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnProperty(name = "sync.receiver.idempotency.store", havingValue = "memory", matchIfMissing = true)
	static class MemoryIdempotencyConfiguration {

		@Bean
		@ConditionalOnMissingBean
		IdempotencyStore syncMemoryIdempotencyStore(SyncReceiverProperties properties, ObjectProvider<Clock> clock) {
			SyncReceiverProperties.Idempotency idempotency = properties.getIdempotency();
			return new InMemoryIdempotencyStore(idempotency.getMaxEntries(), idempotency.getTimeToLive(), clock(clock));
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnMissingClass("org.springframework.jdbc.core.JdbcTemplate")
	@ConditionalOnProperty(name = "sync.receiver.idempotency.store", havingValue = "jdbc")
	static class NoJdbcConfiguration {

		@Bean
		@ConditionalOnMissingBean
		IdempotencyStore syncJdbcIdempotencyStore() {
			throw new IllegalStateException("sync.receiver.idempotency.store=jdbc needs spring-jdbc on the class path");
		}

	}

}
