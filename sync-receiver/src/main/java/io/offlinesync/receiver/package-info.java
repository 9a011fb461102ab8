/**
 * The receiving side of offline-sync: {@link io.offlinesync.receiver.DeliveryReceiver} takes single and batched
 * deliveries, drops repeats by idempotency key through an {@link io.offlinesync.receiver.IdempotencyStore}, and hands
 * each operation to the application's {@link io.offlinesync.receiver.OperationHandler}.
 *
 * @since 0.1.0
 */
@NullMarked
package io.offlinesync.receiver;

import org.jspecify.annotations.NullMarked;
