package io.offlinesync.sample;

import java.util.Map;

import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * Writes notes through the sample's API, as its users do.
 */
final class Notes {

	private Notes() {
	}

	/**
	 * @param note the note's fields: {@code text}, and optionally {@code urgent} and {@code expiresIn}
	 * @return the id of the operation that delivers it
	 */
	static String write(WebTestClient web, Map<String, Object> note) {
		return web.post()
			.uri("/notes")
			.bodyValue(note)
			.exchange()
			.expectStatus()
			.isAccepted()
			.expectBody(Map.class)
			.returnResult()
			.getResponseBody()
			.get("operationId")
			.toString();
	}

}
