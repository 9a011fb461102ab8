package io.offlinesync.test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.jspecify.annotations.Nullable;

/**
 * A TCP proxy on 127.0.0.1 that makes a link of the kind an outbox catches up over after an outage: a one-way delay
 * each way (a round trip of twice it), a bandwidth cap each way shared by every connection, and faults on request —
 * {@link #resetConnections()} (every open connection reset) and {@link #stall()} / {@link #resume()} (nothing
 * forwarded meanwhile). Bytes are forwarded in the order they came, each no sooner than its delay after it arrived.
 * For tests and benchmarks; this machine's kernel may have no {@code netem}.
 *
 * <pre class="code">
 * try (ShapingProxy link = ShapingProxy.to(receiverPort).withDelay(Duration.ofMillis(50)).start()) {
 *     // send to link.uri("/api") instead of the receiver: 100 ms round trips
 * }
 * </pre>
 *
 * @since 0.1.0
 */
public final class ShapingProxy implements AutoCloseable {

	private static final int CHUNK = 16 * 1024;

	private final InetSocketAddress target;

	private Duration delay = Duration.ZERO;

	private long bytesPerSecond;

	/** Set by {@link #start()}. */
	private @Nullable ServerSocket server;

	private final List<Socket> sockets = new CopyOnWriteArrayList<>();

	private final Link toTarget = new Link();

	private final Link fromTarget = new Link();

	private final Object stallMonitor = new Object();

	private boolean stalled;

	private final AtomicInteger connections = new AtomicInteger();

	private volatile boolean closed;

	private ShapingProxy(InetSocketAddress target) {
		this.target = target;
	}

	/**
	 * @param port a port on 127.0.0.1 to forward to
	 * @return a proxy to it, not started, without delay or cap
	 */
	public static ShapingProxy to(int port) {
		return new ShapingProxy(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
	}

	/**
	 * @param oneWay the delay each way; a round trip takes twice it
	 * @return this proxy
	 */
	public ShapingProxy withDelay(Duration oneWay) {
		Objects.requireNonNull(oneWay, "'oneWay' must not be null");
		if (oneWay.isNegative()) {
			throw new IllegalArgumentException("'oneWay' must not be negative but was " + oneWay);
		}
		this.delay = oneWay;
		return this;
	}

	/**
	 * @param bytesPerSecond the most bytes forwarded per second each way, over all connections; 0 for no cap
	 * @return this proxy
	 */
	public ShapingProxy withBandwidth(long bytesPerSecond) {
		if (bytesPerSecond < 0) {
			throw new IllegalArgumentException("'bytesPerSecond' must not be negative but was " + bytesPerSecond);
		}
		this.bytesPerSecond = bytesPerSecond;
		return this;
	}

	/**
	 * Listen on a free port of 127.0.0.1.
	 * @return this proxy
	 */
	public ShapingProxy start() {
		try {
			this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		ServerSocket listening = this.server;
		daemon("shaping-proxy-accept", () -> accept(listening)).start();
		return this;
	}

	/** @return the port it listens on */
	public int port() {
		if (this.server == null) {
			throw new IllegalStateException("The proxy is not started: call start() first");
		}
		return this.server.getLocalPort();
	}

	/**
	 * @param path a path
	 * @return {@code http://127.0.0.1:<port><path>}
	 */
	public URI uri(String path) {
		return URI.create("http://127.0.0.1:" + port() + path);
	}

	/** @return how many connections it accepted */
	public int connectionsOpened() {
		return this.connections.get();
	}

	/** @return how many bytes it forwarded, both ways */
	public long bytesForwarded() {
		return this.toTarget.forwarded.get() + this.fromTarget.forwarded.get();
	}

	/** @return how many bytes it forwarded toward the target: what the sender's side of a link carries */
	public long bytesToTarget() {
		return this.toTarget.forwarded.get();
	}

	/** Reset every open connection, as a link that drops does; new ones are accepted. */
	public void resetConnections() {
		for (Socket socket : this.sockets) {
			try {
				socket.setSoLinger(true, 0);
				socket.close();
			}
			catch (IOException ex) {
				// Closed already.
			}
		}
		this.sockets.clear();
	}

	/** Forward nothing until {@link #resume()}; what arrives meanwhile waits. */
	public void stall() {
		synchronized (this.stallMonitor) {
			this.stalled = true;
		}
	}

	/** Forward again after {@link #stall()}. */
	public void resume() {
		synchronized (this.stallMonitor) {
			this.stalled = false;
			this.stallMonitor.notifyAll();
		}
	}

	@Override
	public void close() {
		this.closed = true;
		resume();
		try {
			if (this.server != null) {
				this.server.close();
			}
		}
		catch (IOException ex) {
			// Closing.
		}
		// Closed, not reset: the ends see the connections end as they would at a shutdown.
		this.sockets.forEach(ShapingProxy::close);
		this.sockets.clear();
	}

	private void accept(ServerSocket listening) {
		while (!this.closed) {
			Socket client;
			try {
				client = listening.accept();
			}
			catch (IOException ex) {
				return;
			}
			Socket upstream = new Socket();
			try {
				upstream.connect(this.target, 5_000);
			}
			catch (IOException ex) {
				close(client);
				continue;
			}
			this.connections.incrementAndGet();
			this.sockets.add(client);
			this.sockets.add(upstream);
			pipe(client, upstream, this.toTarget);
			pipe(upstream, client, this.fromTarget);
		}
	}

	/** Forward one direction: a reader stamps each chunk, a writer holds it for the delay and the cap. */
	private void pipe(Socket from, Socket to, Link link) {
		LinkedBlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
		daemon("shaping-proxy-read", () -> {
			byte[] buffer = new byte[CHUNK];
			try (InputStream in = from.getInputStream()) {
				int read;
				while ((read = in.read(buffer)) >= 0) {
					queue.add(new Chunk(Arrays.copyOf(buffer, read), System.nanoTime()));
				}
			}
			catch (IOException ex) {
				// Reset or closed: the end of this direction.
			}
			queue.add(Chunk.END);
		}).start();
		daemon("shaping-proxy-write", () -> {
			try {
				OutputStream out = to.getOutputStream();
				while (true) {
					Chunk chunk = queue.take();
					parkUntil(chunk.arrivedNanos() + this.delay.toNanos());
					awaitNotStalled();
					if (chunk == Chunk.END) {
						to.shutdownOutput();
						return;
					}
					parkUntil(link.slot(chunk.bytes().length, this.bytesPerSecond));
					// Counted first, so that whatever the peer has read is counted already.
					link.forwarded.addAndGet(chunk.bytes().length);
					out.write(chunk.bytes());
					out.flush();
				}
			}
			catch (IOException ex) {
				close(from);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}).start();
	}

	private void awaitNotStalled() throws InterruptedException {
		synchronized (this.stallMonitor) {
			while (this.stalled && !this.closed) {
				this.stallMonitor.wait();
			}
		}
	}

	private static void parkUntil(long deadlineNanos) {
		long left;
		while ((left = deadlineNanos - System.nanoTime()) > 0) {
			LockSupport.parkNanos(left);
		}
	}

	private static void close(Socket socket) {
		try {
			socket.close();
		}
		catch (IOException ex) {
			// Closing.
		}
	}

	private static Thread daemon(String name, Runnable task) {
		Thread thread = new Thread(task, name);
		thread.setDaemon(true);
		return thread;
	}

	private record Chunk(byte[] bytes, long arrivedNanos) {

		static final Chunk END = new Chunk(new byte[0], 0);

	}

	/** One direction of the link: when it is free to carry the next bytes, under its cap. */
	private static final class Link {

		private final AtomicLong forwarded = new AtomicLong();

		private long freeAtNanos;

		/** @return when bytes of this length may start, the link then busy until they have passed */
		synchronized long slot(int bytes, long bytesPerSecond) {
			if (bytesPerSecond <= 0) {
				return 0;
			}
			long start = Math.max(System.nanoTime(), this.freeAtNanos);
			this.freeAtNanos = start + bytes * 1_000_000_000L / bytesPerSecond;
			return start;
		}

	}

}
