/**
 * The embedded file store: an append-only journal of checksummed JSON lines.
 *
 * @since 0.1.0
 */
package io.offlinesync.store.file;
