package io.offlinesync.autoconfigure;

import io.micrometer.observation.transport.ReceiverContext;
import org.jspecify.annotations.Nullable;

import io.offlinesync.Operation;
import io.offlinesync.SendResult;

/**
 * The context of one delivery attempt's observation. It is a receiver's context: the operation carries the trace
 * context it was enqueued in (propagation fields such as {@code traceparent}), so that a tracing handler continues
 * that trace, however much later and after however many restarts the attempt comes.
 *
 * @since 0.1.0
 */
public final class DeliveryObservationContext extends ReceiverContext<Operation> {

	private final Operation operation;

	private @Nullable SendResult result;

	DeliveryObservationContext(Operation operation) {
		super((carrier, key) -> carrier.traceContext().get(key));
		this.operation = operation;
		setCarrier(operation);
	}

	/** @return the operation being delivered, as it was claimed */
	public Operation getOperation() {
		return this.operation;
	}

	/** @return the result of the attempt, once it ended; {@literal null} before, or when the send threw */
	public @Nullable SendResult getResult() {
		return this.result;
	}

	void setResult(SendResult result) {
		this.result = result;
	}

}
