/**
 * The sample application: a notes service whose notes reach a remote API through the offline-sync outbox, with that
 * remote API and switches to simulate outages built in.
 */
@NullMarked
package io.offlinesync.sample;

import org.jspecify.annotations.NullMarked;
