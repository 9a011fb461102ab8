package io.offlinesync;

/**
 * Where an {@link Operation} stands in its delivery lifecycle.
 *
 * <pre>
 * PENDING ──claim──▶ IN_FLIGHT ──ok──────────▶ DONE
 *    ▲                   │ ──retryable──▶ FAILED ──claim (when due)──▶ IN_FLIGHT
 *    │                   │ ──permanent or out of attempts──▶ PERMANENTLY_FAILED
 *    └──── operator retry ◀──────────────────────────────────────────────┘
 * PENDING or FAILED ──its expiry passes──▶ EXPIRED
 * </pre>
 *
 * @since 0.1.0
 */
public enum OperationStatus {

	/** Stored durably, never attempted yet. */
	PENDING,

	/** Claimed by a sender; only the holder of the claim can complete or fail it. */
	IN_FLIGHT,

	/** Delivered. Final. */
	DONE,

	/** The last attempt failed for a temporary reason; another attempt is scheduled. */
	FAILED,

	/** Parked: failed for good or out of attempts. Never retried unless an operator asks. */
	PERMANENTLY_FAILED,

	/** Not delivered before it expired: no longer worth sending, never retried. Final; purged like delivered ones. */
	EXPIRED;

	/**
	 * Whether an operation in this status still has to be delivered.
	 * @return {@code true} for {@link #PENDING}, {@link #IN_FLIGHT} and {@link #FAILED}
	 */
	public boolean isActive() {
		return this == PENDING || this == IN_FLIGHT || this == FAILED;
	}

	/**
	 * Whether an operation in this status may be claimed once it is due.
	 * @return {@code true} for {@link #PENDING} and {@link #FAILED}
	 */
	public boolean isClaimable() {
		return this == PENDING || this == FAILED;
	}

	/**
	 * Whether this status ends the lifecycle (short of an explicit operator retry).
	 * @return {@code true} for {@link #DONE}, {@link #PERMANENTLY_FAILED} and {@link #EXPIRED}
	 */
	public boolean isFinal() {
		return this == DONE || this == PERMANENTLY_FAILED || this == EXPIRED;
	}

}
