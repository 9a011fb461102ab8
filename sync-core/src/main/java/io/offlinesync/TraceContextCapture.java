package io.offlinesync;

import java.util.Map;

/**
 * Captures the trace the caller of {@link Outbox#enqueue} is in, as propagation fields (for example W3C
 * {@code traceparent} and {@code tracestate}), so that the operation's deliveries, however much later and after
 * however many restarts, continue that trace. The Spring Boot starter sets one up when Micrometer Tracing is.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface TraceContextCapture {

	/** Captures nothing. */
	TraceContextCapture NONE = Map::of;

	/**
	 * @return the propagation fields of the current trace, or an empty map outside one
	 */
	Map<String, String> current();

}
