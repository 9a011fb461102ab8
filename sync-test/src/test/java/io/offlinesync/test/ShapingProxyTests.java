package io.offlinesync.test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The link's delay and cap are lower bounds a transfer cannot beat, and its faults happen; timed against an echo
 * server on 127.0.0.1.
 */
class ShapingProxyTests {

	private ServerSocket echo;

	@BeforeEach
	void startEcho() throws IOException {
		this.echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
		Thread acceptor = new Thread(() -> {
			while (!this.echo.isClosed()) {
				try {
					Socket socket = this.echo.accept();
					Thread worker = new Thread(() -> {
						try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
							in.transferTo(out);
						}
						catch (IOException ex) {
							// Reset by the test.
						}
					});
					worker.setDaemon(true);
					worker.start();
				}
				catch (IOException ex) {
					return;
				}
			}
		});
		acceptor.setDaemon(true);
		acceptor.start();
	}

	@AfterEach
	void stopEcho() throws IOException {
		this.echo.close();
	}

	/** @return the nanoseconds from sending the bytes until all of them came back */
	private static long roundTrip(ShapingProxy proxy, int bytes) throws IOException {
		try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
			socket.setSoTimeout(20_000);
			long started = System.nanoTime();
			OutputStream out = socket.getOutputStream();
			CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
				try {
					out.write(new byte[bytes]);
					out.flush();
				}
				catch (IOException ex) {
					throw new IllegalStateException(ex);
				}
			});
			InputStream in = socket.getInputStream();
			int received = 0;
			byte[] buffer = new byte[8192];
			while (received < bytes) {
				int read = in.read(buffer);
				assertThat(read).as("echo ended early").isPositive();
				received += read;
			}
			writing.join();
			return System.nanoTime() - started;
		}
	}

	@Test
	void aRoundTripTakesTwiceTheDelayAndNoMoreThanItNeeds() throws IOException {
		try (ShapingProxy proxy = ShapingProxy.to(this.echo.getLocalPort()).withDelay(Duration.ofMillis(50)).start()) {
			long nanos = roundTrip(proxy, 100);
			assertThat(Duration.ofNanos(nanos)).isGreaterThanOrEqualTo(Duration.ofMillis(100))
				.isLessThan(Duration.ofSeconds(2));
			assertThat(proxy.connectionsOpened()).isOne();
			assertThat(proxy.bytesForwarded()).isEqualTo(200);
			assertThat(proxy.bytesToTarget()).isEqualTo(100);
		}
	}

	@Test
	void theBandwidthCapBoundsATransfer() throws IOException {
		try (ShapingProxy proxy = ShapingProxy.to(this.echo.getLocalPort()).withBandwidth(100_000).start()) {
			// 50 KB each way at 100 KB/s: at least half a second.
			long nanos = roundTrip(proxy, 50_000);
			assertThat(Duration.ofNanos(nanos)).isGreaterThanOrEqualTo(Duration.ofMillis(480))
				.isLessThan(Duration.ofSeconds(10));
		}
	}

	@Test
	void aStalledLinkHoldsEverythingUntilItResumesAndAResetEndsConnections() throws Exception {
		try (ShapingProxy proxy = ShapingProxy.to(this.echo.getLocalPort()).start()) {
			proxy.stall();
			CompletableFuture<Long> transfer = CompletableFuture.supplyAsync(() -> {
				try {
					return roundTrip(proxy, 10);
				}
				catch (IOException ex) {
					throw new IllegalStateException(ex);
				}
			});
			assertThatExceptionOfType(TimeoutException.class)
				.isThrownBy(() -> transfer.get(300, TimeUnit.MILLISECONDS));
			proxy.resume();
			assertThat(transfer.get(10, TimeUnit.SECONDS)).isPositive();

			try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
				socket.setSoTimeout(10_000);
				socket.getOutputStream().write(1);
				assertThat(socket.getInputStream().read()).isEqualTo(1);
				proxy.resetConnections();
				assertThatExceptionOfType(IOException.class).isThrownBy(() -> {
					socket.getOutputStream().write(new byte[1 << 16]);
					if (socket.getInputStream().read() >= 0) {
						throw new IOException("more came after the reset");
					}
					throw new IOException("ended");
				});
			}
		}
	}

}
