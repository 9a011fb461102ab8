package io.offlinesync.receiver.autoconfigure;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.webflux.autoconfigure.WebFluxAutoConfiguration;
import org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;

import io.offlinesync.batch.BatchFormat;
import io.offlinesync.batch.BatchItem;
import io.offlinesync.batch.BatchItemResult;
import io.offlinesync.receiver.DeliveryReceiver;
import io.offlinesync.receiver.IdempotencyStore;
import io.offlinesync.receiver.InMemoryIdempotencyStore;
import io.offlinesync.receiver.JdbcIdempotencyStore;
import io.offlinesync.receiver.OperationHandler;
import io.offlinesync.receiver.ReceivedOperation;
import io.offlinesync.receiver.RejectedOperationException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

class SyncReceiverAutoConfigurationTests {

	private final List<ReceivedOperation> handled = new CopyOnWriteArrayList<>();

	private final OperationHandler handler = this.handled::add;

	private static byte[] batch() {
		return BatchFormat.writeRequest(List.of(new BatchItem("k1", "http.post", "/notes", Map.of(), "{\"n\":1}"),
				new BatchItem("k1", "http.post", "/notes", Map.of(), "{\"n\":1}"),
				new BatchItem("k2", "http.post", "/notes", Map.of(), "{\"n\":2}")), true);
	}

	private void assertHandledOnceEach(byte[] response) {
		assertThat(BatchFormat.readResponse(response, null)).extracting(BatchItemResult::status)
			.containsExactly(BatchItemResult.Status.DONE, BatchItemResult.Status.DONE, BatchItemResult.Status.DONE);
		assertThat(this.handled).extracting(ReceivedOperation::idempotencyKey).containsExactly("k1", "k2");
	}

	@Test
	void nothingWithoutAHandler() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(SyncReceiverAutoConfiguration.class))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(DeliveryReceiver.class));
	}

	@Test
	void aHandlerGetsAReceiverRememberingKeysInMemoryByDefault() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(SyncReceiverAutoConfiguration.class))
			.withBean(OperationHandler.class, () -> this.handler)
			.withPropertyValues("sync.receiver.idempotency.max-entries=50")
			.run((context) -> {
				assertThat(context).hasSingleBean(DeliveryReceiver.class);
				assertThat(context.getBean(IdempotencyStore.class)).isInstanceOf(InMemoryIdempotencyStore.class);
			});
	}

	@Test
	void theMeterCountsEachOutcomeFromTheFirstScrape() {
		OperationHandler rejecting = (operation) -> {
			if (operation.target().equals("/rejected")) {
				throw new RejectedOperationException("unknown note type");
			}
		};
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
					SimpleMetricsExportAutoConfiguration.class, SyncReceiverAutoConfiguration.class))
			.withBean(OperationHandler.class, () -> rejecting)
			.run((context) -> {
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				assertThat(registry.find("sync.receiver.operations").functionCounters()).hasSize(5)
					.allSatisfy((counter) -> assertThat(counter.count()).isZero());
				DeliveryReceiver receiver = context.getBean(DeliveryReceiver.class);
				receiver.receive(new ReceivedOperation("k1", "http.post", "/notes", Map.of(), "{}"));
				receiver.receive(new ReceivedOperation("k1", "http.post", "/notes", Map.of(), "{}"));
				receiver.receive(new ReceivedOperation("k2", "http.post", "/rejected", Map.of(), "{}"));
				assertThat(registry.get("sync.receiver.operations").tag("outcome", "handled").functionCounter().count())
					.isEqualTo(1);
				assertThat(registry.get("sync.receiver.operations").tag("outcome", "repeat").functionCounter().count())
					.isEqualTo(1);
				assertThat(
						registry.get("sync.receiver.operations").tag("outcome", "rejected").functionCounter().count())
					.isEqualTo(1);
			});
	}

	@Test
	void theJdbcStoreKeepsKeysInATableItCreates() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					DataSourceTransactionManagerAutoConfiguration.class, SyncReceiverAutoConfiguration.class))
			.withBean(OperationHandler.class, () -> this.handler)
			.withPropertyValues("spring.datasource.url=jdbc:h2:mem:received;DB_CLOSE_DELAY=-1",
					"sync.receiver.idempotency.store=jdbc")
			.run((context) -> {
				assertThat(context.getBean(IdempotencyStore.class)).isInstanceOf(JdbcIdempotencyStore.class);
				assertHandledOnceEach(context.getBean(DeliveryReceiver.class).receiveBatch(batch(), "gzip"));
				assertThat(new JdbcTemplate(context.getBean(DataSource.class))
					.queryForList("SELECT idempotency_key FROM offline_sync_received ORDER BY idempotency_key",
							String.class)).containsExactly("k1", "k2");
			});
	}

	@Test
	void theJdbcStoreWithoutADatabaseFailsStartupSayingSo() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(SyncReceiverAutoConfiguration.class))
			.withBean(OperationHandler.class, () -> this.handler)
			.withPropertyValues("sync.receiver.idempotency.store=jdbc")
			.run((context) -> assertThat(context.getStartupFailure()).rootCause()
				.hasMessageContaining("sync.receiver.idempotency.store=jdbc needs exactly one DataSource bean"));
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(SyncReceiverAutoConfiguration.class))
			.withClassLoader(new FilteredClassLoader(JdbcTemplate.class))
			.withBean(OperationHandler.class, () -> this.handler)
			.withPropertyValues("sync.receiver.idempotency.store=jdbc")
			.run((context) -> assertThat(context.getStartupFailure()).rootCause()
				.hasMessageContaining("needs spring-jdbc on the class path"));
	}

	@Test
	void aSpringMvcApplicationTakesBatchesOnItsPath() {
		new WebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(WebMvcAutoConfiguration.class, SyncReceiverAutoConfiguration.class))
			.withBean(OperationHandler.class, () -> this.handler)
			.withPropertyValues("sync.receiver.path=/remote/_offline-sync")
			.run((context) -> {
				MockMvc mvc = MockMvcBuilders.webAppContextSetup(context).build();
				byte[] response = mvc
					.perform(post("/remote/_offline-sync/batch").contentType(BatchFormat.MEDIA_TYPE)
						.header("Content-Encoding", "gzip")
						.content(batch()))
					.andExpect(status().isOk())
					.andExpect(content().contentType(BatchFormat.MEDIA_TYPE))
					.andReturn()
					.getResponse()
					.getContentAsByteArray();
				assertHandledOnceEach(response);
				mvc.perform(post("/remote/_offline-sync/batch").contentType(BatchFormat.MEDIA_TYPE).content("{}"))
					.andExpect(status().isBadRequest())
					.andExpect(content().string("A batch is an object with an array 'operations'"));
			});
	}

	@Test
	void aWebFluxApplicationTakesBatchesOnItsPath() {
		new ReactiveWebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(WebFluxAutoConfiguration.class, SyncReceiverAutoConfiguration.class))
			.withBean(OperationHandler.class, () -> this.handler)
			.run((context) -> {
				WebTestClient client = WebTestClient.bindToApplicationContext(context).build();
				assertHandledOnceEach(postBatch(client, batch(), "gzip"));
				client.post()
					.uri("/_offline-sync/batch")
					.header("Content-Type", BatchFormat.MEDIA_TYPE)
					.bodyValue("[]".getBytes())
					.exchange()
					.expectStatus()
					.isBadRequest();
				// Larger than WebFlux's 256 KB codec buffer: the endpoint reads up to the batch format's own limit.
				List<BatchItem> large = new ArrayList<>();
				for (int i = 0; i < 100; i++) {
					large.add(new BatchItem("large-" + i, "http.post", "/notes", Map.of(), "x".repeat(4_000)));
				}
				byte[] results = postBatch(client, BatchFormat.writeRequest(large, false), "identity");
				assertThat(BatchFormat.readResponse(results, null)).hasSize(100)
					.allSatisfy((result) -> assertThat(result.status()).isEqualTo(BatchItemResult.Status.DONE));
			});
	}

	/** @return the body of the receiver's 200 answer to a batch */
	private static byte[] postBatch(WebTestClient client, byte[] body, String contentEncoding) {
		return client.post()
			.uri("/_offline-sync/batch")
			.header("Content-Type", BatchFormat.MEDIA_TYPE)
			.header("Content-Encoding", contentEncoding)
			.bodyValue(body)
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody(byte[].class)
			.returnResult()
			.getResponseBody();
	}

}
