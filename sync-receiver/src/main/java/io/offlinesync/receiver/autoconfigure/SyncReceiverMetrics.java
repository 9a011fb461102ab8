package io.offlinesync.receiver.autoconfigure;

import java.util.Locale;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import io.offlinesync.receiver.DeliveryReceiver;
import io.offlinesync.receiver.ReceiveOutcome;

/**
 * The receiver's meter, {@code sync.receiver.operations{outcome}}: every outcome registered at once, so that the
 * first scrape has each series at zero.
 */
final class SyncReceiverMetrics implements MeterBinder {

	private final DeliveryReceiver receiver;

	SyncReceiverMetrics(DeliveryReceiver receiver) {
		this.receiver = receiver;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		for (ReceiveOutcome outcome : ReceiveOutcome.values()) {
			FunctionCounter.builder("sync.receiver.operations", this.receiver, (receiver) -> receiver.count(outcome))
				.tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
				.description("Operations the receiver took, by outcome; repeats are dropped without handling")
				.register(registry);
		}
	}

}
