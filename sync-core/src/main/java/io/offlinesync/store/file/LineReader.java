package io.offlinesync.store.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/**
 * Reads a channel line by line into a reusable buffer, keeping each line's offset.
 */
final class LineReader {

	private final FileChannel in;

	private final ByteBuffer chunk = ByteBuffer.allocate(1 << 16);

	private byte[] line = new byte[1024];

	private int length;

	private long offset;

	private long position;

	private boolean complete;

	/** Bytes left to read up to the end given. */
	private long unread;

	LineReader(FileChannel in, long end) {
		this.in = in;
		this.unread = end;
		this.chunk.flip();
	}

	/** @return whether a line (complete or a torn tail) was read */
	boolean next() throws IOException {
		this.offset = this.position;
		this.length = 0;
		while (true) {
			if (!this.chunk.hasRemaining()) {
				this.chunk.clear();
				this.chunk.limit((int) Math.min(this.chunk.capacity(), this.unread));
				int read = (this.unread > 0) ? this.in.read(this.chunk) : -1;
				this.chunk.flip();
				this.unread -= Math.max(read, 0);
				if (read <= 0) {
					this.complete = false;
					return this.length > 0;
				}
			}
			// Scan the chunk's array for the line end and copy the run at once, not byte by byte.
			byte[] bytes = this.chunk.array();
			int from = this.chunk.position();
			int limit = this.chunk.limit();
			int end = JournalCodec.lineEnd(bytes, from, limit);
			int run = end - from;
			if (this.length + run > this.line.length) {
				this.line = Arrays.copyOf(this.line, Math.max(this.line.length * 2, this.length + run));
			}
			System.arraycopy(bytes, from, this.line, this.length, run);
			this.length += run;
			if (end < limit) {
				this.chunk.position(end + 1);
				this.position += run + 1;
				this.complete = true;
				return true;
			}
			this.chunk.position(limit);
			this.position += run;
		}
	}

	byte[] buffer() {
		return this.line;
	}

	int length() {
		return this.length;
	}

	long offset() {
		return this.offset;
	}

	boolean complete() {
		return this.complete;
	}

}
