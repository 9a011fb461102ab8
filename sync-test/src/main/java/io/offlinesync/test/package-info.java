/**
 * Support for an application's own tests of its outbox, in plain Java: {@link io.offlinesync.test.FakeTransport}
 * (programmable answers, a record of every call), {@link io.offlinesync.test.SettableClock},
 * {@link io.offlinesync.test.ControllableNetwork} (an online/offline switch), {@link io.offlinesync.test.OutboxAwait}
 * (wait until delivered, parked or drained) and {@link io.offlinesync.test.ManualSyncEngine} (step the engine and the
 * clock through a whole retry schedule in milliseconds).
 *
 * @since 0.1.0
 */
@NullMarked
package io.offlinesync.test;

import org.jspecify.annotations.NullMarked;
