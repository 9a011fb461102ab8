package io.offlinesync.store;

/**
 * How a store keeps priorities from starving the rest: one operation in {@value #EVERY} that it claims is the oldest
 * due one, whatever its priority (a store whose claims are statements takes instead one claim in {@value #EVERY}
 * oldest first, which makes the same share without a second statement); the others are the highest priority first.
 * Under a constant stream of urgent work, the oldest of the rest still get a tenth of the claims. Thread-safe.
 *
 * @since 0.1.0
 */
public final class OldestShare {

	/** One claimed operation in this many is the oldest due one. */
	public static final int EVERY = 10;

	private long claimed;

	private long claims;

	/**
	 * @param limit how many a claim may take
	 * @return how many of them to take oldest first
	 */
	public synchronized int oldestOf(int limit) {
		return (int) ((this.claimed + limit) / EVERY - this.claimed / EVERY);
	}

	/**
	 * Count a claim.
	 * @return whether it is the one in {@value #EVERY} that takes the oldest due operations first
	 */
	public synchronized boolean nextClaimTakesOldest() {
		return ++this.claims % EVERY == 0;
	}

	/**
	 * Count what a claim took.
	 * @param count how many operations it claimed
	 */
	public synchronized void claimed(int count) {
		this.claimed += count;
	}

}
