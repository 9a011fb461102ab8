/**
 * Auto-configuration of the receiver: the {@link io.offlinesync.receiver.DeliveryReceiver}, its idempotency store and
 * the batch endpoint, for Spring MVC and WebFlux.
 *
 * @since 0.1.0
 */
@NullMarked
package io.offlinesync.receiver.autoconfigure;

import org.jspecify.annotations.NullMarked;
