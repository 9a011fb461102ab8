package io.offlinesync.store.file;

import java.time.Instant;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;

/**
 * What one line of the journal holds: the whole state of an operation, a change of its state, its deletion, or
 * damage (a line whose checksum does not hold, or that the format cannot read).
 */
sealed interface JournalRecord permits JournalRecord.Put, JournalRecord.StateChange, JournalRecord.Delete,
		JournalRecord.Damaged {

	/**
	 * An operation's whole state, payload included: written when it is enqueued and when compaction rewrites it.
	 * @param operation the operation (its payload may be {@link FileOutboxStore#ON_DISK} when the reader skipped it)
	 */
	record Put(Operation operation) implements JournalRecord {

		public Put {
			Objects.requireNonNull(operation);
		}

	}

	/**
	 * The part of an operation's state that its transitions change, without the payload and the other fields that
	 * never change after enqueue, so that a claim or a completion writes a record of a few hundred bytes whatever
	 * the payload's size.
	 * @param id the operation's id
	 * @param status its new status
	 * @param attempt its attempts
	 * @param lastError its last error, or {@literal null}
	 * @param claimToken its claim token while in flight, otherwise {@literal null}
	 * @param nextAttemptAt when it is due
	 * @param updatedAt when it changed
	 */
	record StateChange(String id, OperationStatus status, int attempt, @Nullable String lastError,
			@Nullable String claimToken,
			Instant nextAttemptAt, Instant updatedAt) implements JournalRecord {

		static StateChange of(Operation changed) {
			return new StateChange(changed.id(), changed.status(), changed.attempt(), changed.lastError(),
					changed.claimToken(), changed.nextAttemptAt(), changed.updatedAt());
		}

		/**
		 * @param previous the operation's state before this change
		 * @return its state after it
		 * @throws IllegalArgumentException if the values contradict each other (a claim token without IN_FLIGHT)
		 */
		Operation applyTo(Operation previous) {
			return previous.toBuilder()
				.status(this.status)
				.attempt(this.attempt)
				.lastError(this.lastError)
				.claimToken(this.claimToken)
				.nextAttemptAt(this.nextAttemptAt)
				.updatedAt(this.updatedAt)
				.build();
		}

	}

	/**
	 * An operation removed (discarded or purged).
	 * @param id its id
	 */
	record Delete(String id) implements JournalRecord {
	}

	/**
	 * A line that cannot be taken as a record.
	 * @param reason why, for the recovery report
	 */
	record Damaged(String reason) implements JournalRecord {
	}

}
