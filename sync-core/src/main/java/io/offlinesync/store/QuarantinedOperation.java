package io.offlinesync.store;

import java.time.Instant;

/**
 * An operation a store could not read back at run time and set aside, so that the others keep flowing. It is no
 * longer claimed, listed or counted; its records stay where they are, and the store's next recovery keeps it if they
 * are intact after all.
 *
 * @param id the operation's id
 * @param reason what could not be read, and where
 * @param at when it was set aside
 * @since 0.1.0
 */
public record QuarantinedOperation(String id, String reason, Instant at) {
}
