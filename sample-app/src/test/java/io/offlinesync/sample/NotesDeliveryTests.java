package io.offlinesync.sample;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.web.reactive.server.WebTestClient;

import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.SendResult;
import io.offlinesync.test.ControllableNetwork;
import io.offlinesync.test.FakeTransport;
import io.offlinesync.test.ManualSyncEngine;
import io.offlinesync.test.autoconfigure.AutoConfigureOfflineSync;

import static io.offlinesync.test.FakeTransport.http;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's "Testing your application" example: a note written offline is delivered once the network is back,
 * after the remote failed twice, and the remote saw it delivered exactly once. It runs in milliseconds: the engine is
 * stepped by hand and the clock jumps to each retry.
 */
@SpringBootTest
@AutoConfigureWebTestClient
@AutoConfigureOfflineSync(backgroundEngine = false)
class NotesDeliveryTests {

	@Autowired
	WebTestClient web;

	@Autowired
	Outbox outbox;

	@Autowired
	FakeTransport remote;

	@Autowired
	ControllableNetwork network;

	@Autowired
	ManualSyncEngine engine;

	@Test
	void aNoteWrittenOfflineIsDeliveredOnceAfterTheRemoteFailedTwice() {
		this.remote.whenTarget("/notes").thenAnswer(http(503), http(503), http(201));
		this.network.goOffline();

		String id = this.web.post()
			.uri("/notes")
			.bodyValue(Map.of("text", "buy milk"))
			.exchange()
			.expectStatus()
			.isAccepted()
			.expectBody(Map.class)
			.returnResult()
			.getResponseBody()
			.get("operationId")
			.toString();
		this.engine.runUntilIdle();
		this.remote.verifyNothingSent();

		this.network.goOnline();
		this.engine.runUntilIdle();

		Operation note = this.outbox.find(id).orElseThrow();
		assertThat(note.status()).isEqualTo(OperationStatus.DONE);
		assertThat(note.payload()).isEqualTo("{\"text\":\"buy milk\"}");
		assertThat(this.remote.callsFor(note)).extracting(FakeTransport.Call::result)
			.containsExactly(http(503), http(503), SendResult.ok());
	}

}
