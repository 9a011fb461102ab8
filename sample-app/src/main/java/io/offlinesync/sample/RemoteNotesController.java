package io.offlinesync.sample;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The built-in "remote" API the outbox delivers to. It records each note once per {@code Idempotency-Key} and
 * ignores repeats, the way a real receiver turns at-least-once delivery into exactly-once effects.
 */
@RestController
@RequestMapping("/remote/notes")
class RemoteNotesController {

	private final SimulatedOutages outages;

	private final Set<String> seenKeys = ConcurrentHashMap.newKeySet();

	// Appends stay O(1) however many notes arrive (a copy-on-write list made each one copy them all).
	private final ConcurrentLinkedQueue<String> notes = new ConcurrentLinkedQueue<>();

	private final AtomicLong requests = new AtomicLong();

	private final AtomicLong repeats = new AtomicLong();

	RemoteNotesController(SimulatedOutages outages) {
		this.outages = outages;
	}

	@PostMapping
	ResponseEntity<Void> receive(@RequestHeader(name = "Idempotency-Key", required = false) String key,
			@RequestBody String note) {
		this.requests.incrementAndGet();
		int failure = this.outages.takeFailure();
		if (failure != 0) {
			return ResponseEntity.status(failure).build();
		}
		if (key == null) {
			return ResponseEntity.badRequest().build();
		}
		if (this.seenKeys.add(key)) {
			this.notes.add(note);
		}
		else {
			this.repeats.incrementAndGet();
		}
		return ResponseEntity.status(HttpStatus.CREATED).build();
	}

	@GetMapping
	Map<String, Object> received() {
		return Map.of("notes", List.copyOf(this.notes), "requests", this.requests.get(), "repeatsIgnored",
				this.repeats.get());
	}

}
