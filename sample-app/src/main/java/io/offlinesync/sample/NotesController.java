package io.offlinesync.sample;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.springframework.boot.convert.DurationStyle;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.json.JsonMapper;

import io.offlinesync.InvalidOperationException;
import io.offlinesync.NewOperation;
import io.offlinesync.Operation;
import io.offlinesync.Outbox;

/**
 * The notes service: each new note is enqueued for delivery to the remote API, durably, before the request returns.
 */
@RestController
@RequestMapping("/notes")
class NotesController {

	private final Outbox outbox;

	private final JsonMapper json;

	NotesController(Outbox outbox, JsonMapper json) {
		this.outbox = outbox;
		this.json = json;
	}

	/**
	 * A note to write.
	 * @param text what it says
	 * @param urgent whether it goes before the notes queued ahead of it
	 * @param expiresIn how long it is worth delivering, such as {@code 30s}; forever if absent
	 */
	record NewNote(String text, Boolean urgent, String expiresIn) {
	}

	@PostMapping
	@ResponseStatus(HttpStatus.ACCEPTED)
	Map<String, Object> add(@RequestBody NewNote note) {
		if (note.text() == null || note.text().isBlank()) {
			throw new InvalidOperationException("A note needs a non-blank 'text'");
		}
		String payload = this.json.writeValueAsString(Map.of("text", note.text()));
		NewOperation operation = NewOperation.of("http.post", "/notes", payload);
		if (Boolean.TRUE.equals(note.urgent())) {
			operation = operation.withPriority(NewOperation.HIGHEST_PRIORITY);
		}
		if (note.expiresIn() != null) {
			operation = operation.withTimeToLive(DurationStyle.detectAndParse(note.expiresIn()));
		}
		Operation stored = this.outbox.enqueue(operation);
		return Map.of("operationId", stored.id(), "status", stored.status().name());
	}

	@GetMapping
	List<Map<String, Object>> list() {
		return this.outbox.list(Set.of(), null, 1_000)
			.stream()
			.map((operation) -> Map.<String, Object>of("operationId", operation.id(), "status",
					operation.status().name(), "attempt", operation.attempt(), "payload", operation.payload()))
			.toList();
	}

}
