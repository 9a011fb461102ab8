package io.offlinesync;

import java.util.List;

/**
 * Hears every durable enqueue (and operator retry), on the enqueuing thread, after the operations are stored.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface EnqueueListener {

	/**
	 * Operations were stored and are ready for delivery.
	 * @param operations the stored operations; never empty. Must be quick and must not throw.
	 */
	void enqueued(List<Operation> operations);

}
