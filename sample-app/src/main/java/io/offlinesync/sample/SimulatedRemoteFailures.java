package io.offlinesync.sample;

import java.util.concurrent.atomic.AtomicLong;

import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatusCode;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * The built-in "remote" API's front door: it counts the deliveries that arrive, single or batched, and fails as many
 * of them as the demo asked for ({@code POST /simulate/remote}) before they reach the receiver.
 */
@Component
class SimulatedRemoteFailures implements WebFilter {

	private final SimulatedOutages outages;

	private final AtomicLong requests = new AtomicLong();

	SimulatedRemoteFailures(SimulatedOutages outages) {
		this.outages = outages;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		if (exchange.getRequest().getMethod() != HttpMethod.POST
				|| !exchange.getRequest().getPath().value().startsWith("/remote/")) {
			return chain.filter(exchange);
		}
		this.requests.incrementAndGet();
		int failure = this.outages.takeFailure();
		if (failure != 0) {
			exchange.getResponse().setStatusCode(HttpStatusCode.valueOf(failure));
			return exchange.getResponse().setComplete();
		}
		return chain.filter(exchange);
	}

	/** @return how many deliveries reached the remote API: one per note, or one per batch */
	long requests() {
		return this.requests.get();
	}

}
