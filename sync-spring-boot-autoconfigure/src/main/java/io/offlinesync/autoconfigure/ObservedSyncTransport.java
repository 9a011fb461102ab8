package io.offlinesync.autoconfigure;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

import io.micrometer.common.KeyValues;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;
import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;

import io.offlinesync.BatchTransport;
import io.offlinesync.Operation;
import io.offlinesync.SendResult;
import io.offlinesync.SyncTransport;

/**
 * Observes every delivery attempt as {@value #NAME}: low-cardinality {@code sync.kind} and {@code sync.outcome},
 * high-cardinality {@code sync.operation.id} and {@code sync.attempt}. The send runs in the observation's scope, so
 * an HTTP client's own observation (WebClient's) is its child. In a batch each operation has its own observation,
 * in its own trace; the request runs in the scope of the first.
 */
final class ObservedSyncTransport implements BatchTransport {

	static final String NAME = "sync.delivery";

	private static final Convention CONVENTION = new Convention();

	private final SyncTransport delegate;

	private final ObservationRegistry registry;

	ObservedSyncTransport(SyncTransport delegate, ObservationRegistry registry) {
		this.delegate = delegate;
		this.registry = registry;
	}

	@Override
	public CompletionStage<SendResult> send(Operation operation) {
		return observed(List.of(operation), () -> {
			CompletionStage<SendResult> sending = this.delegate.send(operation);
			return (sending != null) ? sending.thenApply(Collections::singletonList) : null;
		}).thenApply((results) -> (results != null) ? results.get(0) : null);
	}

	@Override
	public int maxBatchSize() {
		return (this.delegate instanceof BatchTransport batches) ? batches.maxBatchSize() : 1;
	}

	@Override
	public CompletionStage<List<SendResult>> sendAll(List<Operation> operations) {
		return observed(operations, () -> ((BatchTransport) this.delegate).sendAll(operations));
	}

	/**
	 * An observation for each operation, open while the send starts (the first one's, for a batch: the request is
	 * one) and stopped with its result.
	 */
	private CompletionStage<List<SendResult>> observed(List<Operation> operations,
			Supplier<@Nullable CompletionStage<List<SendResult>>> send) {
		List<DeliveryObservationContext> contexts = new ArrayList<>();
		List<Observation> observations = new ArrayList<>();
		for (Operation operation : operations) {
			DeliveryObservationContext context = new DeliveryObservationContext(operation);
			contexts.add(context);
			observations.add(Observation.createNotStarted(CONVENTION, () -> context, this.registry).start());
		}
		CompletionStage<List<SendResult>> sending;
		try (Observation.Scope scope = observations.get(0).openScope()) {
			sending = send.get();
		}
		catch (RuntimeException | Error ex) {
			observations.forEach((observation) -> observation.error(ex).stop());
			throw ex;
		}
		if (sending == null) {
			// A transport that breaks its contract: the engine retries, as when it calls the transport directly.
			observations.forEach(Observation::stop);
			return CompletableFuture.completedFuture(null);
		}
		return sending.whenComplete((results, failure) -> {
			for (int i = 0; i < observations.size(); i++) {
				if (results != null && results.size() == observations.size()) {
					contexts.get(i).setResult(results.get(i));
				}
				if (failure != null) {
					observations.get(i).error(failure);
				}
				observations.get(i).stop();
			}
		});
	}

	@Override
	public String toString() {
		return "Observed " + this.delegate;
	}

	private static final class Convention implements ObservationConvention<DeliveryObservationContext> {

		@Override
		public String getName() {
			return NAME;
		}

		@Override
		public String getContextualName(DeliveryObservationContext context) {
			return "sync deliver " + context.getOperation().kind();
		}

		@Override
		public KeyValues getLowCardinalityKeyValues(DeliveryObservationContext context) {
			SendResult result = context.getResult();
			String outcome = (result != null) ? result.outcome().name().toLowerCase(Locale.ROOT) : "error";
			return KeyValues.of("sync.kind", context.getOperation().kind(), "sync.outcome", outcome);
		}

		@Override
		public KeyValues getHighCardinalityKeyValues(DeliveryObservationContext context) {
			return KeyValues.of("sync.operation.id", context.getOperation().id(), "sync.attempt",
					String.valueOf(context.getOperation().attempt()));
		}

		@Override
		public boolean supportsContext(Observation.Context context) {
			return context instanceof DeliveryObservationContext;
		}

	}

}
