package io.offlinesync.sample;

import java.time.Clock;
import java.time.Duration;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

import io.offlinesync.NetworkProbe;

/**
 * Starts the notes service. Everything it needs is built in: the outbox lives in {@code data/offline-sync}, and the
 * "remote" API it delivers to is served by this same application under {@code /remote}.
 */
@SpringBootApplication
public class SampleApplication {

	public static void main(String[] args) {
		SpringApplication.run(SampleApplication.class, args);
	}

	/**
	 * The network as the demo's switches set it; the outbox's own probe bean backs off for this one.
	 */
	@Bean
	NetworkProbe networkProbe(SimulatedOutages outages) {
		return new NetworkProbe(outages::isNetworkUp, Duration.ofSeconds(1), Clock.systemUTC());
	}

}
