package io.offlinesync;

import java.time.Duration;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * Hears the result of every delivery attempt the engine makes; metrics and health use it.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface DeliveryListener {

	/**
	 * One attempt ended and its result was recorded (or could not be, see {@code stored}).
	 * @param operation the operation as it was claimed
	 * @param result what the transport reported
	 * @param latency how long the send took
	 * @param stored the operation's new state, or {@literal null} if recording it failed
	 */
	void onAttempt(Operation operation, SendResult result, Duration latency, @Nullable Operation stored);

	/**
	 * Operations expired before they were delivered, and will never be sent. Nothing by default.
	 * @param expired the operations, {@link OperationStatus#EXPIRED}, without their payloads
	 */
	default void onExpired(List<Operation> expired) {
	}

}
