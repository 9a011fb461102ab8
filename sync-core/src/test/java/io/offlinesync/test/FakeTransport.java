package io.offlinesync.test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import io.offlinesync.Operation;
import io.offlinesync.SendResult;
import io.offlinesync.SyncTransport;

/**
 * The reference guide's fake HTTP transport: a result per target, else per kind, else a default; records every
 * send. Answers synchronously.
 */
public final class FakeTransport implements SyncTransport {

	private final Map<String, Function<Operation, SendResult>> byTarget = new ConcurrentHashMap<>();

	private final Map<String, Function<Operation, SendResult>> byKind = new ConcurrentHashMap<>();

	private volatile Function<Operation, SendResult> fallback = (operation) -> SendResult.ok();

	private final List<Operation> sent = new CopyOnWriteArrayList<>();

	public FakeTransport answerForTarget(String target, SendResult result) {
		this.byTarget.put(target, (operation) -> result);
		return this;
	}

	public FakeTransport answerForKind(String kind, SendResult result) {
		this.byKind.put(kind, (operation) -> result);
		return this;
	}

	public FakeTransport answerByDefault(SendResult result) {
		this.fallback = (operation) -> result;
		return this;
	}

	public FakeTransport answerByDefault(Function<Operation, SendResult> answer) {
		this.fallback = answer;
		return this;
	}

	@Override
	public CompletionStage<SendResult> send(Operation operation) {
		this.sent.add(operation);
		Function<Operation, SendResult> rule = this.byTarget.getOrDefault(operation.target(),
				this.byKind.getOrDefault(operation.kind(), this.fallback));
		return CompletableFuture.completedFuture(rule.apply(operation));
	}

	public int callCount() {
		return this.sent.size();
	}

	public List<Operation> sent() {
		return this.sent;
	}

}
