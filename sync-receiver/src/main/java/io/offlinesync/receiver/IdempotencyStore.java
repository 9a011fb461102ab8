package io.offlinesync.receiver;

/**
 * Remembers which idempotency keys were handled, so that a repeat of a delivery is dropped. The sender delivers at
 * least once: after a timeout, a crash or a lost answer, it sends an operation again with the same key.
 *
 * @since 0.1.0
 */
public interface IdempotencyStore {

	/**
	 * Run the handling of a key unless it was handled before, and remember the key once the handling returns; a
	 * handling that throws is not remembered, and its exception is thrown on. Two handlings of one key never run at
	 * once.
	 * @param idempotencyKey the key
	 * @param handling the handling
	 * @return whether it ran ({@code false}: a repeat)
	 */
	boolean handleOnce(String idempotencyKey, Runnable handling);

}
