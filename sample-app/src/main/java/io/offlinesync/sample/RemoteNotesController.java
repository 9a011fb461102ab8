package io.offlinesync.sample;

import java.util.Map;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.offlinesync.batch.BatchItemResult;
import io.offlinesync.receiver.DeliveryReceiver;
import io.offlinesync.receiver.ReceiveOutcome;
import io.offlinesync.receiver.ReceivedOperation;

/**
 * The built-in "remote" API the outbox delivers to. Notes delivered one at a time arrive here; batches arrive at
 * the receiver's own endpoint ({@code sync.receiver.path}, {@code /remote/_offline-sync/batch}). Both go through
 * the same {@link DeliveryReceiver}, which drops repeats by {@code Idempotency-Key}: at-least-once delivery becomes
 * exactly-once effects.
 */
@RestController
@RequestMapping("/remote/notes")
class RemoteNotesController {

	private final DeliveryReceiver receiver;

	private final RemoteNotes notes;

	private final SimulatedRemoteFailures front;

	RemoteNotesController(DeliveryReceiver receiver, RemoteNotes notes, SimulatedRemoteFailures front) {
		this.receiver = receiver;
		this.notes = notes;
		this.front = front;
	}

	@PostMapping
	ResponseEntity<String> receive(@RequestHeader(name = "Idempotency-Key", required = false) String key,
			@RequestBody String note) {
		if (key == null) {
			return ResponseEntity.badRequest().body("An 'Idempotency-Key' header is required");
		}
		BatchItemResult result = this.receiver.receive(new ReceivedOperation(key, "http.post", "/notes", Map.of(), note));
		return switch (result.status()) {
			case DONE -> ResponseEntity.status(HttpStatus.CREATED).build();
			case RETRYABLE -> retryLater(result);
			case PERMANENT -> ResponseEntity.status(422).body(result.reason());
		};
	}

	private static ResponseEntity<String> retryLater(BatchItemResult result) {
		ResponseEntity.BodyBuilder response = ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE);
		if (result.retryAfter() != null) {
			response.header(HttpHeaders.RETRY_AFTER, Long.toString(result.retryAfter().toSeconds()));
		}
		return response.body(result.reason());
	}

	@GetMapping
	Map<String, Object> received() {
		return Map.of("notes", this.notes.all(), "requests", this.front.requests(), "repeatsIgnored",
				this.receiver.count(ReceiveOutcome.REPEAT));
	}

}
