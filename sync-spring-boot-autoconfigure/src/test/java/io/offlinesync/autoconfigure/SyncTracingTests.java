package io.offlinesync.autoconfigure;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import brave.handler.MutableSpan;
import brave.handler.SpanHandler;
import brave.propagation.TraceContext;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration;
import org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration;
import org.springframework.boot.micrometer.tracing.brave.autoconfigure.BraveAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.webclient.autoconfigure.WebClientAutoConfiguration;
import org.springframework.boot.webclient.autoconfigure.WebClientObservationAutoConfiguration;

import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.SyncEngine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An operation enqueued inside a trace is delivered in that trace, after a restart: the store keeps the trace
 * context with the operation, the delivery attempt is a span whose parent is the enqueuing span, the HTTP request
 * is its child, and the request carries the trace on in its {@code traceparent} header.
 */
class SyncTracingTests {

	private final Queue<MutableSpan> finished = new ConcurrentLinkedQueue<>();

	private final SpanHandler collecting = new SpanHandler() {

		@Override
		public boolean end(TraceContext context, MutableSpan span, Cause cause) {
			SyncTracingTests.this.finished.add(span);
			return true;
		}

	};

	@Test
	void anOperationEnqueuedInATraceIsDeliveredInItAfterARestart(@TempDir Path directory) {
		try (RecordingServer receiver = RecordingServer.start()) {
			ApplicationContextRunner runner = new ApplicationContextRunner()
				.withConfiguration(AutoConfigurations.of(ObservationAutoConfiguration.class,
						MicrometerTracingAutoConfiguration.class, BraveAutoConfiguration.class,
						WebClientAutoConfiguration.class, WebClientObservationAutoConfiguration.class,
						SyncAutoConfiguration.class))
				.withBean(SpanHandler.class, () -> this.collecting)
				.withPropertyValues("management.tracing.sampling.probability=1.0", "sync.store.type=file",
						"sync.store.file.directory=" + directory, "sync.transport.base-url=" + receiver.uri("/api"));
			String[] enqueued = new String[3];
			// Before the restart: enqueued inside a span, not delivered (the engine does not run).
			runner.withPropertyValues("sync.engine.auto-startup=false").run((context) -> {
				Tracer tracer = context.getBean(Tracer.class);
				Span checkout = tracer.nextSpan().name("checkout").start();
				try (Tracer.SpanInScope scope = tracer.withSpan(checkout)) {
					Operation operation = context.getBean(Outbox.class).enqueue("http.post", "/orders", "{}");
					enqueued[0] = operation.id();
					assertThat(operation.traceContext()).containsKey("traceparent");
				}
				finally {
					checkout.end();
				}
				enqueued[1] = checkout.context().traceId();
				enqueued[2] = checkout.context().spanId();
			});
			assertThat(receiver.requests()).isEmpty();

			// After it: a new context on the same store delivers the operation in the enqueuing trace.
			runner.run((context) -> {
				assertThat(context.getBean(SyncEngine.class).isRunning()).isTrue();
				Outbox outbox = context.getBean(Outbox.class);
				await().atMost(Duration.ofSeconds(10))
					.until(() -> outbox.find(enqueued[0]).orElseThrow().status() == OperationStatus.DONE);
			});
			String traceId = enqueued[1];
			String enqueuingSpan = enqueued[2];
			assertThat(receiver.requests()).singleElement()
				.satisfies((request) -> assertThat(request.header("traceparent")).startsWith("00-" + traceId + "-"));
			await().atMost(Duration.ofSeconds(5))
				.until(() -> this.finished.stream().anyMatch((span) -> "sync deliver http.post".equals(span.name())));
			MutableSpan delivery = this.finished.stream()
				.filter((span) -> "sync deliver http.post".equals(span.name()))
				.findFirst()
				.orElseThrow();
			assertThat(delivery.traceId()).isEqualTo(traceId);
			assertThat(delivery.parentId()).isEqualTo(enqueuingSpan);
			assertThat(delivery.tags()).containsEntry("sync.kind", "http.post")
				.containsEntry("sync.outcome", "delivered")
				.containsEntry("sync.operation.id", enqueued[0])
				.containsEntry("sync.attempt", "1");
			List<MutableSpan> requests = this.finished.stream()
				.filter((span) -> delivery.id().equals(span.parentId()))
				.toList();
			assertThat(requests).as("the HTTP request, a child of the delivery").singleElement()
				.satisfies((span) -> assertThat(span.tags()).containsEntry("method", "POST"));
			assertThat(receiver.requests().get(0).header("traceparent")).contains(requests.get(0).id());
		}
	}

}
