/**
 * The Spring Boot test integration: {@link io.offlinesync.test.autoconfigure.AutoConfigureOfflineSync}.
 *
 * @since 0.1.0
 */
@NullMarked
package io.offlinesync.test.autoconfigure;

import org.jspecify.annotations.NullMarked;
