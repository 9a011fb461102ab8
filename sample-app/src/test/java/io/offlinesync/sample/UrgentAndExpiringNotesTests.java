package io.offlinesync.sample;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.web.reactive.server.WebTestClient;

import io.offlinesync.OperationStatus;
import io.offlinesync.Outbox;
import io.offlinesync.test.ControllableNetwork;
import io.offlinesync.test.FakeTransport;
import io.offlinesync.test.ManualSyncEngine;
import io.offlinesync.test.SettableClock;
import io.offlinesync.test.autoconfigure.AutoConfigureOfflineSync;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README walkthrough's urgent and expiring notes: written during an outage behind others, the urgent one is the
 * first sent when the network is back, and the one that expired meanwhile is never sent.
 */
@SpringBootTest
@AutoConfigureWebTestClient
@AutoConfigureOfflineSync(backgroundEngine = false)
class UrgentAndExpiringNotesTests {

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

	@Autowired
	SettableClock clock;

	@Test
	void theUrgentNoteGoesFirstAndTheExpiredOneNever() {
		// The context, and so the fake remote, may be one an earlier test class used.
		this.remote.reset();
		this.network.goOffline();
		for (int i = 0; i < 20; i++) {
			Notes.write(this.web, Map.of("text", "note " + i));
		}
		String lunch = Notes.write(this.web, Map.of("text", "lunch in 5 min", "expiresIn", "20s"));
		String fire = Notes.write(this.web, Map.of("text", "server on fire", "urgent", true));
		this.clock.advance(Duration.ofMinutes(1));
		this.engine.runUntilIdle();
		this.remote.verifyNothingSent();
		assertThat(this.outbox.find(lunch).orElseThrow().status()).isEqualTo(OperationStatus.EXPIRED);

		this.network.goOnline();
		// The first pass after the outage: the urgent note is among its sends, ahead of the 20 queued before it.
		this.engine.tick();
		assertThat(this.outbox.find(fire).orElseThrow().status()).isEqualTo(OperationStatus.DONE);
		this.engine.runUntilIdle();
		assertThat(this.remote.calls()).hasSize(21)
			.noneSatisfy((call) -> assertThat(call.operation().id()).isEqualTo(lunch));
	}

}
