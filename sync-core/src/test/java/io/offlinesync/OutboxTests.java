package io.offlinesync;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.offlinesync.store.InMemoryOutboxStore;
import io.offlinesync.store.IndexedOutboxStore;
import io.offlinesync.test.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class OutboxTests {

	private final InMemoryOutboxStore store = new InMemoryOutboxStore();

	private final Outbox outbox = new Outbox(this.store, OutboxConfig.builder().maxPayloadBytes(16).build(),
			MutableClock.startingAt("2026-01-01T00:00:00Z"));

	@ParameterizedTest
	@ValueSource(strings = { "", " ", "\t\n" })
	void blankKindOrTargetIsRefusedByName(String blank) {
		assertThatExceptionOfType(InvalidOperationException.class)
			.isThrownBy(() -> this.outbox.enqueue(blank, "/a", "{}"))
			.withMessageStartingWith("'kind' must not be blank");
		assertThatExceptionOfType(InvalidOperationException.class)
			.isThrownBy(() -> this.outbox.enqueue("http.post", blank, "{}"))
			.withMessageStartingWith("'target' must not be blank");
		assertNothingStored();
	}

	@Test
	void nullArgumentsAreRefusedByName() {
		assertThatExceptionOfType(InvalidOperationException.class)
			.isThrownBy(() -> this.outbox.enqueue(null, "/a", "{}"))
			.withMessage("'kind' must not be blank but was null");
		assertThatExceptionOfType(InvalidOperationException.class)
			.isThrownBy(() -> this.outbox.enqueue("http.post", "/a", null))
			.withMessageContaining("'payload' must not be null");
		assertNothingStored();
	}

	@Test
	void payloadOverTheLimitIsRefusedWithItsSize() {
		this.outbox.enqueue("http.post", "/a", "0123456789abcdef");
		assertThatExceptionOfType(InvalidOperationException.class)
			.isThrownBy(() -> this.outbox.enqueue("http.post", "/a", "0123456789abcdefX"))
			.withMessage("'payload' is 17 bytes in UTF-8, over the limit of 16 bytes");
		// The limit counts UTF-8 bytes, not chars: 5 emoji are 10 chars but 20 bytes.
		assertThatExceptionOfType(InvalidOperationException.class)
			.isThrownBy(() -> this.outbox.enqueue("http.post", "/a", "😀😀😀😀😀"))
			.withMessageContaining("20 bytes");
		assertThat(this.outbox.stats().total()).isEqualTo(1);
	}

	@Test
	void loneSurrogatesAreRefusedWithTheirPosition() {
		assertThatExceptionOfType(InvalidOperationException.class)
			.isThrownBy(() -> this.outbox.enqueue("http.post", "/a", "ab\uD800c"))
			.withMessageStartingWith("'payload' contains a lone surrogate (U+D800) at index 2");
		assertThatExceptionOfType(InvalidOperationException.class)
			.isThrownBy(() -> this.outbox.enqueue("http.post", "/a", "\uDC00"))
			.withMessageContaining("U+DC00");
		assertThatExceptionOfType(InvalidOperationException.class)
			.isThrownBy(() -> this.outbox.enqueue("http.post", "/a\uD83D", "{}"))
			.withMessageStartingWith("'target' contains a lone surrogate");
		assertNothingStored();
	}

	@Test
	void headersWithLineBreaksAreRefused() {
		assertThatExceptionOfType(InvalidOperationException.class)
			.isThrownBy(() -> this.outbox.enqueue(NewOperation.of("http.post", "/a", "").withHeader("X-A", "1\r\nX-B: 2")))
			.withMessage("Header 'X-A' must not contain a line break");
		assertNothingStored();
	}

	@Test
	void enqueueAllStoresNothingWhenOneOperationIsRefused() {
		List<NewOperation> batch = List.of(NewOperation.of("http.post", "/a", "ok"),
				NewOperation.of("http.post", "/a", "far too long a payload"), NewOperation.of("http.post", "/a", "ok"));
		assertThatExceptionOfType(InvalidOperationException.class).isThrownBy(() -> this.outbox.enqueueAll(batch))
			.withMessageEndingWith("(operation 2 of 3)");
		assertNothingStored();
	}

	@Test
	void enqueueNotifiesListenersOnlyWhenSomethingWasStored() {
		List<List<Operation>> heard = new java.util.ArrayList<>();
		this.outbox.addEnqueueListener(heard::add);
		Operation one = this.outbox.enqueue("http.post", "/a", "1");
		List<Operation> two = this.outbox.enqueueAll(
				List.of(NewOperation.of("http.post", "/a", "2"), NewOperation.of("http.post", "/a", "3")));
		this.outbox.enqueueAll(List.of());
		assertThat(heard).containsExactly(List.of(one), two);
	}

	@Test
	void markFailedNeedsAFailedResult() {
		Operation claimed = this.outbox.claim(this.outbox.enqueue("http.post", "/a", "1").id());
		assertThatIllegalArgumentException().isThrownBy(() -> this.outbox.markFailed(claimed, SendResult.ok()))
			.withMessageContaining("needs a failed result");
		assertThat(this.outbox.find(claimed.id())).contains(claimed);
	}

	private void assertNothingStored() {
		assertThat(this.outbox.list(Set.of(), null, 10)).isEmpty();
	}

	@Test
	void aStoreThatFailsItsWritesIsReportedUntilAWriteSucceedsAgain() {
		AtomicBoolean diskFull = new AtomicBoolean();
		IndexedOutboxStore failing = new IndexedOutboxStore() {
			@Override
			protected long persist(List<Operation> upserts, List<String> removals) {
				if (diskFull.get()) {
					throw new StoreException("No space left on device");
				}
				return 0;
			}
		};
		MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");
		Outbox outbox = new Outbox(failing, OutboxConfig.defaults(), clock);
		outbox.enqueue("http.post", "/a", "1");
		assertThat(outbox.storeFailure()).isEmpty();

		diskFull.set(true);
		Instant first = clock.instant();
		assertThatExceptionOfType(StoreException.class).isThrownBy(() -> outbox.enqueue("http.post", "/a", "2"));
		clock.advance(Duration.ofSeconds(5));
		assertThatExceptionOfType(StoreException.class).isThrownBy(() -> outbox.enqueue("http.post", "/a", "3"));
		// A pass that finds nothing to claim writes nothing, and so proves nothing.
		diskFull.set(false);
		assertThat(outbox.claimReady(1)).hasSize(1);
		assertThat(outbox.storeFailure()).isEmpty();

		diskFull.set(true);
		assertThatExceptionOfType(StoreException.class).isThrownBy(() -> outbox.enqueue("http.post", "/a", "4"));
		assertThat(outbox.storeFailure()).hasValueSatisfying((failure) -> {
			assertThat(failure.since()).isEqualTo(clock.instant());
			assertThat(failure.reason()).isEqualTo("No space left on device");
		});
		diskFull.set(false);
		assertThat(outbox.claimReady(1)).isEmpty();
		assertThat(outbox.storeFailure()).as("nothing was written").isPresent();
		outbox.enqueue("http.post", "/a", "5");
		assertThat(outbox.storeFailure()).isEmpty();
		assertThat(first).isBefore(clock.instant());
	}

}
