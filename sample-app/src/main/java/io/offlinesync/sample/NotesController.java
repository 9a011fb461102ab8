package io.offlinesync.sample;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.json.JsonMapper;

import io.offlinesync.InvalidOperationException;
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

	record NewNote(String text) {
	}

	@PostMapping
	@ResponseStatus(HttpStatus.ACCEPTED)
	Map<String, Object> add(@RequestBody NewNote note) {
		if (note.text() == null || note.text().isBlank()) {
			throw new InvalidOperationException("A note needs a non-blank 'text'");
		}
		String payload = this.json.writeValueAsString(Map.of("text", note.text()));
		Operation operation = this.outbox.enqueue("http.post", "/notes", payload);
		return Map.of("operationId", operation.id(), "status", operation.status().name());
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
