package io.offlinesync.test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import io.offlinesync.BatchTransport;
import io.offlinesync.Operation;
import io.offlinesync.SendResult;
import io.offlinesync.SyncTransport;

/**
 * A programmable transport for tests: it answers by rules (by kind, by target, by any predicate; the first that
 * matches wins, then the default), each a sequence of answers that every operation goes through on its own
 * ("503 twice, then 200"), optionally after a latency, and it records every call.
 *
 * <pre class="code">
 * FakeTransport transport = new FakeTransport()
 *     .whenTarget("/notes").thenAnswer(FakeTransport.http(503), FakeTransport.http(503), FakeTransport.http(201))
 *     .whenKind("http.delete").thenAnswer(FakeTransport.http(404));
 * ...
 * transport.verifySentExactlyOnce(note);
 * </pre>
 *
 * @since 0.1.0
 */
public final class FakeTransport implements SyncTransport {

	private static final ScheduledExecutorService delays = Executors.newSingleThreadScheduledExecutor((task) -> {
		Thread thread = new Thread(task, "offline-sync-fake-transport");
		thread.setDaemon(true);
		return thread;
	});

	private final Clock clock;

	private final List<Rule> rules = new CopyOnWriteArrayList<>();

	private final List<Call> calls = new CopyOnWriteArrayList<>();

	private final List<Integer> batchSizes = new CopyOnWriteArrayList<>();

	private volatile Rule fallback = new Rule((operation) -> true).answers(SendResult.ok());

	/** A transport that delivers everything, recording calls at system time. */
	public FakeTransport() {
		this(Clock.systemUTC());
	}

	/**
	 * A transport that delivers everything.
	 * @param clock stamps each recorded call, such as the outbox's {@link SettableClock}
	 */
	public FakeTransport(Clock clock) {
		this.clock = Objects.requireNonNull(clock, "'clock' must not be null");
	}

	/**
	 * The result an HTTP transport makes of a status: 2xx delivered; 408, 425, 429 and 5xx retryable; others
	 * permanent; with the error text {@code HTTP <status>}.
	 * @param status an HTTP status
	 * @return the result
	 */
	public static SendResult http(int status) {
		if (status / 100 == 2) {
			return SendResult.ok();
		}
		if (status == 408 || status == 425 || status == 429 || status / 100 == 5) {
			return SendResult.retryable("HTTP " + status);
		}
		return SendResult.permanent("HTTP " + status);
	}

	/**
	 * A retryable HTTP failure with a {@code Retry-After}.
	 * @param status 408, 425, 429 or a 5xx status
	 * @param retryAfter the least delay before the next attempt
	 * @return the result
	 */
	public static SendResult http(int status, Duration retryAfter) {
		return SendResult.retryable("HTTP " + status, retryAfter);
	}

	/** @return what a transport reports when nothing listens at the remote: an outage, not an attempt */
	public static SendResult connectionRefused() {
		return SendResult.unreachable("ConnectException: Connection refused");
	}

	/**
	 * @param kind an operation kind, such as {@code http.delete}
	 * @return a rule for operations of that kind; give it its answers
	 */
	public Rule whenKind(String kind) {
		Objects.requireNonNull(kind, "'kind' must not be null");
		return when((operation) -> kind.equals(operation.kind()));
	}

	/**
	 * @param target an operation target, such as {@code /notes}
	 * @return a rule for operations with that target; give it its answers
	 */
	public Rule whenTarget(String target) {
		Objects.requireNonNull(target, "'target' must not be null");
		return when((operation) -> target.equals(operation.target()));
	}

	/**
	 * @param condition which operations
	 * @return a rule for the operations that match; give it its answers
	 */
	public Rule when(Predicate<Operation> condition) {
		return new Rule(Objects.requireNonNull(condition, "'condition' must not be null"));
	}

	/**
	 * Answer operations that no rule matches with these results in turn, each operation on its own; the last one
	 * repeats.
	 * @param answers one or more results
	 * @return this transport
	 */
	public FakeTransport answerByDefault(SendResult... answers) {
		this.fallback = new Rule((operation) -> true).answers(answers);
		return this;
	}

	/**
	 * Answer operations that no rule matches with a function of each.
	 * @param answer makes the result of a call
	 * @return this transport
	 */
	public FakeTransport answerByDefault(Function<Operation, SendResult> answer) {
		this.fallback = new Rule((operation) -> true).answering(answer);
		return this;
	}

	/** Forget the rules, the default answer and the recorded calls. */
	public void reset() {
		this.rules.clear();
		this.calls.clear();
		this.batchSizes.clear();
		this.fallback = new Rule((operation) -> true).answers(SendResult.ok());
	}

	@Override
	public CompletionStage<SendResult> send(Operation operation) {
		Rule rule = this.rules.stream().filter((candidate) -> candidate.condition.test(operation)).findFirst()
			.orElse(this.fallback);
		SendResult result = rule.answer(operation);
		this.calls.add(new Call(operation, operation.attempt(), this.clock.instant(), result));
		if (rule.latency.isZero()) {
			return CompletableFuture.completedFuture(result);
		}
		CompletableFuture<SendResult> later = new CompletableFuture<>();
		delays.schedule(() -> later.complete(result), rule.latency.toNanos(), TimeUnit.NANOSECONDS);
		return later;
	}

	/**
	 * This fake as a {@link BatchTransport}: the engine hands it up to {@code size} operations at a time, each is
	 * answered by the rules as a single send would be (a latency applies to the batch, the longest of its items'),
	 * and every operation is recorded as a call. {@link #batchSizes()} tells how the operations were grouped.
	 * @param size the most operations per batch; at least 1
	 * @return the batch view, sharing this fake's rules and calls
	 */
	public BatchTransport inBatchesOf(int size) {
		if (size < 1) {
			throw new IllegalArgumentException("'size' must be at least 1 but was " + size);
		}
		FakeTransport fake = this;
		return new BatchTransport() {

			@Override
			public int maxBatchSize() {
				return size;
			}

			@Override
			public CompletionStage<SendResult> send(Operation operation) {
				return fake.send(operation);
			}

			@Override
			public CompletionStage<List<SendResult>> sendAll(List<Operation> operations) {
				fake.batchSizes.add(operations.size());
				List<CompletableFuture<SendResult>> each = operations.stream()
					.map((operation) -> fake.send(operation).toCompletableFuture())
					.toList();
				return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
					.thenApply((done) -> each.stream().map(CompletableFuture::join).toList());
			}

		};
	}

	/** @return the size of every batch sent through {@link #inBatchesOf(int)}, in order */
	public List<Integer> batchSizes() {
		return List.copyOf(this.batchSizes);
	}

	/** @return every call so far, in the order they were made */
	public List<Call> calls() {
		return List.copyOf(this.calls);
	}

	/** @return how many calls were made */
	public int callCount() {
		return this.calls.size();
	}

	/**
	 * @param operation an operation
	 * @return the calls for it (by id), in order
	 */
	public List<Call> callsFor(Operation operation) {
		return this.calls.stream().filter((call) -> call.operation().id().equals(operation.id())).toList();
	}

	/**
	 * @throws AssertionError if any call was made
	 */
	public void verifyNothingSent() {
		if (!this.calls.isEmpty()) {
			throw new AssertionError("Expected nothing sent, but " + this.calls.size() + " calls were made:"
					+ describe(this.calls));
		}
	}

	/**
	 * @param operations operations
	 * @throws AssertionError unless each of them was sent exactly once
	 */
	public void verifySentExactlyOnce(Operation... operations) {
		Map<String, Long> counts = this.calls.stream()
			.collect(Collectors.groupingBy((call) -> call.operation().id(), Collectors.counting()));
		List<String> wrong = new ArrayList<>();
		for (Operation operation : operations) {
			long count = counts.getOrDefault(operation.id(), 0L);
			if (count != 1) {
				wrong.add(operation.id() + " (" + operation.kind() + " " + operation.target() + ") was sent " + count
						+ " times");
			}
		}
		if (!wrong.isEmpty()) {
			throw new AssertionError("Expected each operation sent exactly once, but " + String.join("; ", wrong)
					+ ". Calls:" + describe(this.calls));
		}
	}

	/**
	 * @param operations operations, in the order their first sends are expected
	 * @throws AssertionError unless each was sent, the first sends in this order
	 */
	public void verifySentInOrder(Operation... operations) {
		List<String> firstSends = this.calls.stream().map((call) -> call.operation().id()).distinct().toList();
		List<String> expected = Arrays.stream(operations).map(Operation::id).toList();
		List<String> actual = firstSends.stream().filter(expected::contains).toList();
		if (!actual.equals(expected)) {
			throw new AssertionError("Expected first sends in the order " + expected + " but they were " + actual
					+ ". Calls:" + describe(this.calls));
		}
	}

	private static String describe(List<Call> calls) {
		StringBuilder text = new StringBuilder();
		for (Call call : calls) {
			text.append("\n  ").append(call);
		}
		return text.toString();
	}

	/**
	 * One call of the transport.
	 * @param operation the operation as claimed
	 * @param attempt its attempt number (1 for the first)
	 * @param at when the call was made, by the transport's clock
	 * @param result what the transport answered
	 *
	 * @since 0.1.0
	 */
	public record Call(Operation operation, int attempt, Instant at, SendResult result) {

		@Override
		public String toString() {
			return this.operation.id() + " " + this.operation.kind() + " " + this.operation.target() + " attempt "
					+ this.attempt + " at " + this.at + " -> " + this.result;
		}

	}

	/**
	 * The answers for the operations a condition matches.
	 *
	 * @since 0.1.0
	 */
	public final class Rule {

		private final Predicate<Operation> condition;

		private Function<Operation, SendResult> answer = (operation) -> SendResult.ok();

		private Duration latency = Duration.ZERO;

		/** Calls made so far per operation id, for sequences of answers. */
		private final Map<String, AtomicInteger> callsById = new ConcurrentHashMap<>();

		private Rule(Predicate<Operation> condition) {
			this.condition = condition;
		}

		/**
		 * Answer after a delay (of real time), so that sends stay in flight meanwhile.
		 * @param latency the delay; not negative
		 * @return this rule
		 */
		public Rule withLatency(Duration latency) {
			Objects.requireNonNull(latency, "'latency' must not be null");
			if (latency.isNegative()) {
				throw new IllegalArgumentException("'latency' must not be negative but was " + latency);
			}
			this.latency = latency;
			return this;
		}

		/**
		 * Answer with these results in turn, each operation on its own; the last one repeats.
		 * @param answers one or more results, such as {@code http(503), http(503), http(201)}
		 * @return the transport, for more rules
		 */
		public FakeTransport thenAnswer(SendResult... answers) {
			answers(answers);
			FakeTransport.this.rules.add(this);
			return FakeTransport.this;
		}

		/**
		 * Answer with a function of each operation.
		 * @param answer makes the result of a call
		 * @return the transport, for more rules
		 */
		public FakeTransport thenAnswer(Function<Operation, SendResult> answer) {
			answering(answer);
			FakeTransport.this.rules.add(this);
			return FakeTransport.this;
		}

		private Rule answers(SendResult... answers) {
			if (answers.length == 0) {
				throw new IllegalArgumentException("At least one answer is needed");
			}
			List<SendResult> sequence = List.of(answers);
			return answering((operation) -> {
				int call = this.callsById.computeIfAbsent(operation.id(), (id) -> new AtomicInteger()).getAndIncrement();
				return sequence.get(Math.min(call, sequence.size() - 1));
			});
		}

		private Rule answering(Function<Operation, SendResult> answer) {
			this.answer = Objects.requireNonNull(answer, "'answer' must not be null");
			return this;
		}

		private SendResult answer(Operation operation) {
			return Objects.requireNonNull(this.answer.apply(operation), "the answer of a rule must not be null");
		}

	}

}
