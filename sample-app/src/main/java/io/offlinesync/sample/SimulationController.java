package io.offlinesync.sample;

import java.util.Map;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.offlinesync.NetworkProbe;

/**
 * Switches for the demo: take "the network" down and up, make the remote API fail.
 */
@RestController
@RequestMapping("/simulate")
class SimulationController {

	private final SimulatedOutages outages;

	private final NetworkProbe probe;

	SimulationController(SimulatedOutages outages, NetworkProbe probe) {
		this.outages = outages;
		this.probe = probe;
	}

	@PostMapping("/network")
	Map<String, Object> network(@RequestParam boolean up) {
		this.outages.setNetworkUp(up);
		// A platform would report a connectivity change the same way; the engine wakes at once when it is back.
		this.probe.refresh();
		return state();
	}

	@PostMapping("/remote")
	Map<String, Object> remote(@RequestParam int status, @RequestParam(defaultValue = "1") int count) {
		this.outages.failNext(status, count);
		return state();
	}

	@GetMapping
	Map<String, Object> state() {
		return Map.of("networkUp", this.outages.isNetworkUp(), "remoteFailuresLeft", this.outages.failuresLeft());
	}

}
