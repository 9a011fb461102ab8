package io.offlinesync.benchmarks;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * A ceiling for the store's many-writer rows: a group commit that loses no time, for a closed loop of a known number
 * of writers, with no store work. Each writer hands over a 560-byte record (the size of an enqueue's) and parks; the
 * writer whose record completes the batch of all of them writes the batch with one call, forces the file and unparks
 * the others. Nothing is encoded, indexed or gathered by time, and no writer waits for a force its record missed. The
 * file is extended with line feeds a megabyte at a time, ahead of the records, as the store's journal is.
 *
 * <p>It only works while every writer keeps writing: a writer that stops would leave the others parked. So
 * {@link #drain()} releases a part batch, and until {@link #resume()} every writer forces its own record.
 */
final class LockstepGroupCommit implements AutoCloseable {

	private static final int RECORD = 560;

	private static final int EXTEND_BY = 1 << 20;

	private static final ByteBuffer LINE_FEEDS;

	static {
		byte[] lineFeeds = new byte[EXTEND_BY];
		Arrays.fill(lineFeeds, (byte) '\n');
		LINE_FEEDS = ByteBuffer.wrap(lineFeeds).asReadOnlyBuffer();
	}

	private final byte[] record = new byte[RECORD];

	private final FileChannel channel;

	private final int writers;

	/** Forces one at a time, in the order their batches were taken; only draining ever has two leaders. */
	private final Object forceLock = new Object();

	// Guarded by this.
	private ByteBuffer batch;

	private final List<Thread> parked = new ArrayList<>();

	private long round;

	private boolean draining;

	private volatile long durableRound;

	// Guarded by forceLock.
	private long end;

	private long allocated;

	LockstepGroupCommit(Path file, int writers) throws IOException {
		this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
		this.writers = writers;
		this.batch = ByteBuffer.allocate(RECORD * writers);
		Arrays.fill(this.record, (byte) 'x');
		this.record[RECORD - 1] = '\n';
	}

	/** Hand over one record and return once a force has covered it. */
	void write() throws IOException {
		long mine;
		Round full = null;
		synchronized (this) {
			this.batch.put(this.record);
			mine = this.round;
			if (this.parked.size() + 1 < this.writers && !this.draining) {
				this.parked.add(Thread.currentThread());
			}
			else {
				full = endRound();
			}
		}
		if (full != null) {
			force(full);
			return;
		}
		while (this.durableRound <= mine) {
			LockSupport.park(this);
		}
	}

	/** Release the writers of a part batch, and have every writer that comes later force its own record. */
	void drain() throws IOException {
		Round part;
		synchronized (this) {
			this.draining = true;
			if (this.parked.isEmpty()) {
				return;
			}
			part = endRound();
		}
		force(part);
	}

	/** Batch all writers again; call only while none of them writes. */
	synchronized void resume() {
		this.draining = false;
	}

	/** With this object's monitor held: end this round, taking its records and the writers parked in it. */
	private Round endRound() {
		Round ended = new Round(this.batch.flip(), this.round++, this.parked.toArray(new Thread[0]));
		this.parked.clear();
		this.batch = ByteBuffer.allocate(RECORD * this.writers);
		return ended;
	}

	private void force(Round ended) throws IOException {
		ByteBuffer records = ended.records();
		synchronized (this.forceLock) {
			if (this.end + records.remaining() > this.allocated) {
				ByteBuffer lineFeeds = LINE_FEEDS.duplicate();
				while (lineFeeds.hasRemaining()) {
					this.channel.write(lineFeeds, this.allocated + lineFeeds.position());
				}
				this.allocated += EXTEND_BY;
			}
			while (records.hasRemaining()) {
				this.end += this.channel.write(records, this.end);
			}
			this.channel.force(false);
			this.durableRound = Math.max(this.durableRound, ended.number() + 1);
		}
		for (Thread writer : ended.covered()) {
			LockSupport.unpark(writer);
		}
	}

	@Override
	public void close() throws IOException {
		this.channel.close();
	}

	/** A batch of records, the round it ended, and the writers parked until it is forced. */
	private record Round(ByteBuffer records, long number, Thread[] covered) {
	}

}
