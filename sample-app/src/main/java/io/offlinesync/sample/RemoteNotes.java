package io.offlinesync.sample;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.springframework.stereotype.Component;

import io.offlinesync.receiver.OperationHandler;
import io.offlinesync.receiver.ReceivedOperation;

/**
 * What the built-in "remote" API does with a note it receives: keep it. The receiver hands each note over once
 * however often it is delivered, whether alone or in a batch.
 */
@Component
class RemoteNotes implements OperationHandler {

	// Appends stay O(1) however many notes arrive (a copy-on-write list made each one copy them all).
	private final ConcurrentLinkedQueue<String> notes = new ConcurrentLinkedQueue<>();

	@Override
	public void handle(ReceivedOperation operation) {
		this.notes.add(operation.payload());
	}

	List<String> all() {
		return List.copyOf(this.notes);
	}

}
