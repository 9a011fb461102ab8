package io.offlinesync.store.file;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;

/**
 * Decodes batches of lines on a few threads, and on the thread that takes them while it would wait, and hands them
 * back in the order they were submitted, keeping a bounded number in flight.
 */
final class ParallelDecoder {

	private final JournalFormat format;

	private final SharedStrings shared;

	private final ExecutorService workers;

	private final int maxInFlight;

	private final ArrayDeque<FutureTask<LineBatch>> inFlight = new ArrayDeque<>();

	ParallelDecoder(JournalFormat format, SharedStrings shared) {
		this.format = format;
		this.shared = shared;
		// The opening thread fills the index meanwhile, and decodes too when it would wait: one core is its own.
		int threads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() - 1));
		this.maxInFlight = 2 * threads + 1;
		this.workers = Executors.newFixedThreadPool(threads, (task) -> {
			Thread thread = new Thread(task, "offline-sync-journal-decoder");
			thread.setDaemon(true);
			return thread;
		});
	}

	void submit(LineBatch batch) {
		FutureTask<LineBatch> task = new FutureTask<>(() -> batch.decode(this.format, this.shared));
		this.workers.execute(task);
		this.inFlight.addLast(task);
	}

	boolean hasInFlight() {
		return !this.inFlight.isEmpty();
	}

	boolean hasRoom() {
		return this.inFlight.size() < this.maxInFlight;
	}

	/**
	 * The next batch submitted, decoded. Rather than wait for it, the calling thread decodes batches that no worker
	 * has begun yet, in order: a worker that comes to one of them later finds it done.
	 */
	LineBatch next() throws IOException {
		FutureTask<LineBatch> next = this.inFlight.removeFirst();
		if (!next.isDone()) {
			next.run();
			for (FutureTask<LineBatch> later : this.inFlight) {
				if (next.isDone()) {
					break;
				}
				later.run();
			}
		}
		try {
			return next.get();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new InterruptedIOException("Interrupted while reading the journal");
		}
		catch (ExecutionException ex) {
			throw new IOException("Decoding the journal failed: " + ex.getCause(), ex.getCause());
		}
	}

	void close() {
		this.workers.shutdownNow();
	}

}
