package io.offlinesync.autoconfigure;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.beans.factory.ObjectProvider;

import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import io.offlinesync.TraceContextCapture;

/**
 * The current span's context as Micrometer Tracing's propagator writes it into outgoing headers (W3C
 * {@code traceparent} by default), captured at enqueue.
 */
final class TracerContextCapture implements TraceContextCapture {

	private final ObjectProvider<Tracer> tracer;

	private final ObjectProvider<Propagator> propagator;

	TracerContextCapture(ObjectProvider<Tracer> tracer, ObjectProvider<Propagator> propagator) {
		this.tracer = tracer;
		this.propagator = propagator;
	}

	@Override
	public Map<String, String> current() {
		Tracer tracer = this.tracer.getIfUnique();
		Propagator propagator = this.propagator.getIfUnique();
		TraceContext context = (tracer != null) ? tracer.currentTraceContext().context() : null;
		if (context == null || propagator == null) {
			return Map.of();
		}
		Map<String, String> fields = new LinkedHashMap<>();
		propagator.inject(context, fields, (carrier, key, value) -> fields.put(key, value));
		return fields;
	}

}
