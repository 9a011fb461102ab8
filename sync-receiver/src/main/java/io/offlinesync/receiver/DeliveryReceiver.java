package io.offlinesync.receiver;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

import org.jspecify.annotations.Nullable;

import io.offlinesync.batch.BatchFormat;
import io.offlinesync.batch.BatchItem;
import io.offlinesync.batch.BatchItemResult;

/**
 * Takes deliveries: drops repeats by idempotency key, hands each operation once to the {@link OperationHandler}, and
 * says what became of it. A batch is handled operation by operation, in order; each has its own result.
 *
 * @since 0.1.0
 */
public final class DeliveryReceiver {

	private static final System.Logger logger = System.getLogger(DeliveryReceiver.class.getName());

	private final OperationHandler handler;

	private final IdempotencyStore idempotency;

	/** By outcome ordinal. */
	private final LongAdder[] outcomes = new LongAdder[ReceiveOutcome.values().length];

	/**
	 * @param handler what to do with each operation
	 * @param idempotency where handled keys are remembered
	 */
	public DeliveryReceiver(OperationHandler handler, IdempotencyStore idempotency) {
		this.handler = Objects.requireNonNull(handler, "'handler' must not be null");
		this.idempotency = Objects.requireNonNull(idempotency, "'idempotency' must not be null");
		Arrays.setAll(this.outcomes, (outcome) -> new LongAdder());
	}

	/**
	 * Take one operation, for example from the application's own endpoint for single deliveries.
	 * @param operation what arrived
	 * @return done (handled now, or a repeat of one handled before), retryable or permanent
	 */
	public BatchItemResult receive(ReceivedOperation operation) {
		String key = operation.idempotencyKey();
		try {
			if (this.idempotency.handleOnce(key, () -> handle(operation))) {
				tally(ReceiveOutcome.HANDLED);
			}
			else {
				tally(ReceiveOutcome.REPEAT);
				logger.log(System.Logger.Level.DEBUG, () -> "Dropped a repeat of " + key);
			}
			return BatchItemResult.done(key);
		}
		catch (RejectedOperationException ex) {
			tally(ReceiveOutcome.REJECTED);
			return BatchItemResult.permanent(key, String.valueOf(ex.getMessage()));
		}
		catch (RetryLaterException ex) {
			tally(ReceiveOutcome.RETRY_LATER);
			return BatchItemResult.retryable(key, String.valueOf(ex.getMessage()), ex.retryAfter());
		}
		catch (RuntimeException ex) {
			tally(ReceiveOutcome.FAILED);
			Throwable cause = (ex instanceof HandlingFailedException && ex.getCause() != null) ? ex.getCause() : ex;
			logger.log(System.Logger.Level.WARNING, "Handling " + key + " failed; the sender will retry it", cause);
			return BatchItemResult.retryable(key, cause.getClass().getSimpleName()
					+ ((cause.getMessage() != null) ? ": " + cause.getMessage() : ""), null);
		}
	}

	/**
	 * Take a batch in the wire format.
	 * @param body the request body
	 * @param contentEncoding its {@code Content-Encoding}, or {@literal null}
	 * @return the response body
	 * @throws IllegalArgumentException if the body is no batch (a 400 for the sender), saying why
	 */
	public byte[] receiveBatch(byte[] body, @Nullable String contentEncoding) {
		List<BatchItem> items = BatchFormat.readRequest(body, contentEncoding);
		List<BatchItemResult> results = new ArrayList<>(items.size());
		for (BatchItem item : items) {
			results.add(receive(ReceivedOperation.of(item)));
		}
		return BatchFormat.writeResponse(results);
	}

	/**
	 * How many operations ended so, since this receiver was made. Repeats are normal after a lost answer or a crash
	 * of the sender; many of them say that answers do not reach it (a timeout shorter than the handling, say).
	 * @param outcome an outcome
	 * @return how many operations had it
	 */
	public long count(ReceiveOutcome outcome) {
		return this.outcomes[outcome.ordinal()].sum();
	}

	private void tally(ReceiveOutcome outcome) {
		this.outcomes[outcome.ordinal()].increment();
	}

	private void handle(ReceivedOperation operation) {
		try {
			this.handler.handle(operation);
		}
		catch (RuntimeException ex) {
			throw ex;
		}
		catch (Exception ex) {
			throw new HandlingFailedException(ex);
		}
	}

	/** A checked exception of the handler, carried through the idempotency store. */
	private static final class HandlingFailedException extends RuntimeException {

		HandlingFailedException(Exception cause) {
			super(cause);
		}

	}

}
