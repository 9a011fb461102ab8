package io.offlinesync;

import java.util.List;

/**
 * Hears every durable enqueue and operator retry, on the calling thread, after the change is stored.
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

	/**
	 * Operations that had failed became ready again through an operator retry (one, or a bulk action).
	 * @param count how many; at least 1
	 */
	default void retried(int count) {
	}

}
