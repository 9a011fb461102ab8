/**
 * The store SPI, the transition rules every store applies, and the in-memory store.
 *
 * <p>A store implementation keeps its operations durable and applies each state change atomically: the guard
 * ({@link io.offlinesync.store.Transitions}) and the write happen under one lock or in one transaction. Every store
 * must pass the shared contract suite ({@code AbstractOutboxStoreContractTests} in the {@code sync-core} test-jar).
 *
 * @since 0.1.0
 */
@NullMarked
package io.offlinesync.store;

import org.jspecify.annotations.NullMarked;
