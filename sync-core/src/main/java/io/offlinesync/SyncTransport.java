package io.offlinesync;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Delivers one operation to wherever it goes. Asynchronous, so that a non-blocking client can keep many sends in
 * flight without a thread each.
 *
 * <p>An implementation reports failures as a {@link SendResult}; if it throws instead, or its stage completes
 * exceptionally, the engine records a retryable failure with the exception's message. An operation is never left
 * in flight because of it.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface SyncTransport {

	/**
	 * Start delivering the operation.
	 * @param operation the claimed operation; never {@literal null}
	 * @return a stage that completes with the result; never {@literal null}
	 */
	CompletionStage<SendResult> send(Operation operation);

	/**
	 * Adapt a blocking transport by running each send on the given executor.
	 * @param transport the blocking transport
	 * @param executor runs the sends; its size bounds how many blocking sends run at once
	 * @return the asynchronous transport
	 */
	static SyncTransport blocking(Blocking transport, Executor executor) {
		Objects.requireNonNull(transport, "'transport' must not be null");
		Objects.requireNonNull(executor, "'executor' must not be null");
		return (operation) -> {
			CompletableFuture<SendResult> result = new CompletableFuture<>();
			executor.execute(() -> {
				try {
					result.complete(transport.send(operation));
				}
				catch (Throwable ex) {
					result.completeExceptionally(ex);
				}
			});
			return result;
		};
	}

	/**
	 * A transport that delivers on the calling thread.
	 *
	 * @since 0.1.0
	 */
	@FunctionalInterface
	interface Blocking {

		/**
		 * Deliver the operation.
		 * @param operation the claimed operation
		 * @return the result; never {@literal null}
		 * @throws Exception any failure, taken as a retryable one
		 */
		SendResult send(Operation operation) throws Exception;

	}

}
