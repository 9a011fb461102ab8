/**
 * The wire format of batch delivery, shared by the sender (the starter's WebClient transport with
 * {@code sync.transport.batch.enabled=true}) and the receiver ({@code sync-receiver}).
 *
 * <h2>Request</h2> {@code POST <base-url><batch path>} (the path is {@code /_offline-sync/batch} unless configured),
 * {@code Content-Type: application/vnd.offline-sync.batch+json}, gzip-compressed ({@code Content-Encoding: gzip})
 * when larger than the compression threshold:
 * <pre>
 * {"operations": [
 *   {"idempotencyKey": "01a2…", "kind": "http.post", "target": "/notes",
 *    "headers": {"X-Tenant": "acme"}, "payload": "{\"text\":\"buy milk\"}"},
 *   …
 * ]}
 * </pre>
 * {@code headers} may be absent; {@code payload} is the operation's payload as a JSON string.
 *
 * <h2>Response</h2> {@code 200}, one result per operation, in the order of the request:
 * <pre>
 * {"results": [
 *   {"idempotencyKey": "01a2…", "status": "done"},
 *   {"idempotencyKey": "01a3…", "status": "retryable", "reason": "database busy", "retryAfter": "PT30S"},
 *   {"idempotencyKey": "01a4…", "status": "permanent", "reason": "unknown note type"}
 * ]}
 * </pre>
 * {@code done} includes a repeat the receiver had handled before. Any other response status is the same failure
 * for every operation of the batch, mapped as a single delivery's would be (5xx, 408, 425, 429: retryable; others:
 * permanent).
 *
 * @since 0.1.0
 */
@NullMarked
package io.offlinesync.batch;

import org.jspecify.annotations.NullMarked;
