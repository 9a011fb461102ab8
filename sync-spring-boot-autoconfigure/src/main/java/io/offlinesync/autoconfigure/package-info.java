/**
 * Spring Boot auto-configuration of offline-sync. The auto-configurations themselves arrive with the Spring Boot
 * starter issue; this module exists now so that the reactor has its final shape.
 *
 * @since 0.1.0
 */
package io.offlinesync.autoconfigure;
