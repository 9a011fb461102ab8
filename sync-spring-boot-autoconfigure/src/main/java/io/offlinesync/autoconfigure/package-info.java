/**
 * Spring Boot auto-configuration of offline-sync: the outbox, its store, network probe, WebClient transport and
 * delivery engine, with Actuator health, Micrometer metrics and an operations endpoint.
 *
 * @since 0.1.0
 */
@NullMarked
package io.offlinesync.autoconfigure;

import org.jspecify.annotations.NullMarked;
