package io.offlinesync.test;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

import io.offlinesync.NetworkProbe;

/**
 * An online/offline switch for tests, and the {@link NetworkProbe} that follows it. {@link #goOffline()} takes the
 * link down at once; {@link #goOnline()} brings it back confirmed (as if a send had just reached the remote), which
 * wakes an engine that listens to the probe at once.
 *
 * <pre class="code">
 * ControllableNetwork network = new ControllableNetwork(clock);
 * SyncEngine engine = new SyncEngine(outbox, transport, network.probe(), EngineConfig.defaults());
 * network.goOffline();
 * ...
 * network.goOnline();
 * </pre>
 *
 * @since 0.1.0
 */
public final class ControllableNetwork {

	private final AtomicBoolean up = new AtomicBoolean(true);

	private final NetworkProbe probe;

	/** A switch that starts online, with a probe on the system clock. */
	public ControllableNetwork() {
		this(Clock.systemUTC());
	}

	/**
	 * A switch that starts online.
	 * @param clock the probe's clock, such as a {@link SettableClock}
	 */
	public ControllableNetwork(Clock clock) {
		Objects.requireNonNull(clock, "'clock' must not be null");
		// No caching: every question reads the switch. A transport's "unreachable" still holds until the re-check.
		this.probe = NetworkProbe.builder(this.up::get)
			.interval(Duration.ZERO)
			.recheckDelays(Duration.ofMillis(100), Duration.ofSeconds(1))
			.clock(clock)
			.build();
	}

	/** @return the probe that follows this switch */
	public NetworkProbe probe() {
		return this.probe;
	}

	/** Take the network down; the engine stops claiming at its next pass. */
	public void goOffline() {
		this.up.set(false);
		this.probe.refresh();
	}

	/** Bring the network back; an engine listening to the probe wakes at once and delivers at full speed. */
	public void goOnline() {
		this.up.set(true);
		this.probe.refresh();
		this.probe.reportReachable();
	}

	/** @return whether the switch is on */
	public boolean isUp() {
		return this.up.get();
	}

}
