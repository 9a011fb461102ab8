package io.offlinesync.benchmarks;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * A reference for the store's group commit: the leader/follower protocol the store used until its writers parked
 * and combined their changes, with nothing else, on a file extended ahead of its writes as the store's journal is.
 * Threads append a 560-byte record (the size of an enqueue's) under a lock and wait on a monitor for a force to cover
 * it; the first waiter to find no force running forces, after spinning up to 200 µs for as many writes as the last
 * force covered. With one thread it is a plain write and force of a file that does not grow.
 */
final class BareGroupCommit {

	private static final int RECORD = 560;

	private final FileChannel channel;

	private final Object appendLock = new Object();

	private final Object syncState = new Object();

	private long size;

	private long written;

	private long durable;

	private long lastBatch = 1;

	private boolean syncing;

	private BareGroupCommit(FileChannel channel) {
		this.channel = channel;
	}

	/** @return appends per second with {@code threads} writers, each waiting for its own write to be durable */
	static double rate(Path file, int threads, int seconds) throws Exception {
		try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
			ByteBuffer padding = ByteBuffer.allocate(1 << 20);
			// Room for 40,000 records a second, more than this protocol reaches here.
			long room = (long) seconds * 40_000 * RECORD;
			for (long at = 0; at < room; at += padding.capacity()) {
				padding.clear();
				channel.write(padding, at);
			}
			channel.force(true);
			BareGroupCommit commit = new BareGroupCommit(channel);
			LongAdder appended = new LongAdder();
			AtomicBoolean running = new AtomicBoolean(true);
			List<Thread> writers = new ArrayList<>();
			for (int i = 0; i < threads; i++) {
				Thread writer = new Thread(() -> {
					ByteBuffer record = ByteBuffer.allocate(RECORD);
					try {
						while (running.get()) {
							commit.awaitDurable(commit.append(record));
							appended.increment();
						}
					}
					catch (IOException | InterruptedException ex) {
						throw new IllegalStateException(ex);
					}
				});
				writer.start();
				writers.add(writer);
			}
			long started = System.nanoTime();
			Thread.sleep(seconds * 1000L);
			long count = appended.sum();
			double elapsed = (System.nanoTime() - started) / 1e9;
			running.set(false);
			for (Thread writer : writers) {
				writer.join();
			}
			return count / elapsed;
		}
	}

	private long append(ByteBuffer record) throws IOException {
		synchronized (this.appendLock) {
			record.clear();
			this.size += this.channel.write(record, this.size);
			synchronized (this.syncState) {
				return ++this.written;
			}
		}
	}

	private void awaitDurable(long ticket) throws IOException, InterruptedException {
		synchronized (this.syncState) {
			while (true) {
				if (this.durable >= ticket) {
					return;
				}
				if (!this.syncing) {
					this.syncing = true;
					break;
				}
				this.syncState.wait();
			}
		}
		long deadline = System.nanoTime() + 200_000;
		while (System.nanoTime() < deadline) {
			synchronized (this.syncState) {
				if (this.written - this.durable >= this.lastBatch) {
					break;
				}
			}
			Thread.yield();
		}
		long target;
		synchronized (this.syncState) {
			target = this.written;
		}
		this.channel.force(false);
		synchronized (this.syncState) {
			this.lastBatch = target - this.durable;
			this.durable = target;
			this.syncing = false;
			this.syncState.notifyAll();
		}
	}

}
