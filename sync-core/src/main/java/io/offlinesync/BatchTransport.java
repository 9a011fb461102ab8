package io.offlinesync;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * A transport that can deliver many operations in one request (for example to a receiver that takes batches, over a
 * link with a long round trip). The engine then claims up to {@link #maxBatchSize()} operations per send slot and
 * hands them over together; each result is recorded on its own, so a batch with one permanent failure parks only
 * that operation. A batch never holds two operations of one ordering key (a claim takes at most one per key), so
 * ordering keys hold across batches.
 *
 * @since 0.1.0
 */
public interface BatchTransport extends SyncTransport {

	/** @return the most operations one request carries; 1 sends them one at a time */
	int maxBatchSize();

	/**
	 * Start delivering the operations in one request.
	 * @param operations the claimed operations, at most {@link #maxBatchSize()}; never empty
	 * @return a stage that completes with one result per operation, in their order; a stage that fails, or answers
	 * another number of results, is a failure of each of them
	 */
	CompletionStage<List<SendResult>> sendAll(List<Operation> operations);

}
