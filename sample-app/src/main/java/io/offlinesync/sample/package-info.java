/**
 * A runnable demonstration of offline-sync: notes enqueued while offline, delivered exactly once when the network
 * comes back, with a remote API that fails once on the way.
 */
package io.offlinesync.sample;
