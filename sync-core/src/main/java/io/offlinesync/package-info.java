/**
 * The offline-first outbox: what an application touches.
 *
 * <p>An application hands a {@link io.offlinesync.NewOperation} to the {@link io.offlinesync.Outbox}, which makes it
 * durable in an {@link io.offlinesync.store.OutboxStore} before anything touches the network. A
 * {@link io.offlinesync.SyncEngine} delivers ready operations through a {@link io.offlinesync.SyncTransport} while the
 * {@link io.offlinesync.NetworkProbe} reports the network as up, retries temporary failures under a
 * {@link io.offlinesync.RetryPolicy}, parks permanent ones, and requeues operations whose delivery was interrupted.
 *
 * @since 0.1.0
 */
@NullMarked
package io.offlinesync;

import org.jspecify.annotations.NullMarked;
