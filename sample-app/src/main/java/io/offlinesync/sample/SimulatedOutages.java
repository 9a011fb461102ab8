package io.offlinesync.sample;

import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * The demo's switches: whether "the network" is up, and how the remote API should fail its next requests.
 */
@Component
public class SimulatedOutages {

	private volatile boolean networkUp;

	private volatile int failureStatus;

	private final AtomicInteger failuresLeft = new AtomicInteger();

	/**
	 * @param networkUp whether "the network" is up at start ({@code sample.network-up}, true unless set)
	 */
	SimulatedOutages(@Value("${sample.network-up:true}") boolean networkUp) {
		this.networkUp = networkUp;
	}

	public boolean isNetworkUp() {
		return this.networkUp;
	}

	public void setNetworkUp(boolean networkUp) {
		this.networkUp = networkUp;
	}

	/**
	 * Make the remote API answer the next requests with a status.
	 * @param status the status, such as 503 (retried) or 400 (parked)
	 * @param count how many requests
	 */
	public void failNext(int status, int count) {
		this.failureStatus = status;
		this.failuresLeft.set(count);
	}

	/** @return the status to fail the current request with, or 0 to serve it */
	int takeFailure() {
		int left = this.failuresLeft.getAndUpdate((n) -> Math.max(0, n - 1));
		return (left > 0) ? this.failureStatus : 0;
	}

	int failuresLeft() {
		return this.failuresLeft.get();
	}

}
