/**
 * The embedded file store: an append-only journal of checksummed JSON lines, in one directory.
 *
 * <h2>The directory</h2>
 * <ul>
 * <li>{@code outbox.journal}: the journal.</li>
 * <li>{@code outbox.lock}: held (an OS file lock) by the one store that has the directory open.</li>
 * <li>{@code outbox.journal.tmp}: a compaction in progress; deleted on open.</li>
 * <li>{@code outbox.journal.damaged-}<i>millis</i>: the journal as recovery found it, when it dropped anything; the
 * newest few are kept.</li>
 * </ul>
 *
 * <h2>The journal, version 2</h2>
 * <pre>
 * journal     = header *( record / blank ) [ padding ]
 * header      = checksum SP "{" %s"\"format\":\"offline-sync-journal\",\"version\":2" "}" LF
 * record      = checksum SP json LF           ; json is one of put, state, del below
 * checksum    = 8 lowercase-hex               ; CRC-32C of the json's UTF-8 bytes
 * blank       = LF                            ; recovery blanks damaged records in place
 * padding     = *( LF / %x00 )                ; preallocated room ahead of the records
 *
 * put         = {"type":"put","op":{"id", "status", "attempt", "kind", "target", "payload",
 *                 ["headers": {name: value, ...}], ["idempotencyKey"], ["orderingKey"], ["priority"],
 *                 ["expiresAt"], ["trace": {field: value, ...}], ["lastError"], ["claimToken"],
 *                 "nextAttemptAt", "updatedAt", "createdAt"}}
 * state       = {"type":"state","id", "status", "attempt", ["lastError"], ["claimToken"],
 *                 "nextAttemptAt", "updatedAt"}
 * del         = {"type":"del","id"}
 * </pre>
 * <p>Fields are JSON strings but {@code attempt} and {@code priority} (numbers; an absent priority is 5);
 * {@code trace} holds the propagation fields of the trace the operation was enqueued in; instants are ISO-8601 in
 * UTC as {@link java.time.Instant#toString()} writes them; an absent optional field is {@code null}, an absent
 * {@code idempotencyKey} the operation's id. Readers take fields in any order and skip fields they do not know.
 *
 * <h2>Reading it</h2> Records apply in order: a {@code put} sets an operation's whole state (an enqueue writes one),
 * a {@code state} record replaces the fields a transition changes (claims, results, retries), a {@code del} removes
 * it (discards and purges). A line whose checksum does not hold is damage: recovery keeps every record whose
 * checksum holds, looking for the next record's start (8 hex digits, a space, a brace) inside a damaged line, so
 * that a damaged line feed loses neither record beside it. A last line without a line feed is a torn write and is
 * cut off, unless it is a whole record. A damaged header is written anew when intact records follow it.
 *
 * <h2>Version 1</h2> Written by offline-sync 0.1: a bare header line
 * {@code {"format":"offline-sync-journal","version":1}} and {@code put} and {@code del} records only, every change
 * a whole {@code put}. It is read as above, and rewritten in version 2 by a compaction soon after it is opened.
 *
 * @since 0.1.0
 */
@NullMarked
package io.offlinesync.store.file;

import org.jspecify.annotations.NullMarked;
