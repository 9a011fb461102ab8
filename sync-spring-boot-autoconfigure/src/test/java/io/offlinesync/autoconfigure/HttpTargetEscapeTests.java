package io.offlinesync.autoconfigure;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.offlinesync.SendResult;
import io.offlinesync.autoconfigure.RecordingServer.Response;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Thousands of generated hostile targets and redirect locations, sent through the real transport to a real receiver
 * whose base path is {@code /api}, with a second listener standing for another host: whatever is refused, nothing
 * reaches the other listener, and every request the receiver sees resolves, as a server would resolve it, under
 * {@code /api}.
 */
class HttpTargetEscapeTests {

	private static final int TARGETS = 3000;

	private static final List<String> TOKENS = List.of("..", ".", "%2e", "%2E", "%2e%2e", ".%2e", "%2e.", "%252e",
			"%252e%252e", "%25252e", ";", "..;", ";x", "%3b", "%3B..", "\\", "%5c", "%5C", "%2f", "%2F", "%252f", "/",
			"//", "x", "api", "notes", "@", "evil", "%00", "%0a", "%3f", "%23", "..%c0%af", "%c0%ae%c0%ae",
			"%e2%80%a5", "\u2025", "\uFF0E", "\uFF0F", ":", "http:", "~", "%", "%zz", "%2", "a%20b", "é", "%C3%A9",
			"...", ".x", "x.", "%2e%2e%2f", "..%2f", "%2e%2e%5c", "%252e%252e%252f", "127.0.0.1", "#", "?");

	private final RecordingServer receiver = RecordingServer.start();

	private final RecordingServer otherHost = RecordingServer.start();

	@AfterEach
	void stop() {
		this.receiver.close();
		this.otherHost.close();
	}

	@ParameterizedTest(name = "seed {0}")
	@ValueSource(longs = { 20261206L, 7L })
	void noGeneratedTargetOrRedirectLeavesTheBasePath(long seed) throws Exception {
		Random random = new Random(seed);
		List<String> locations = new ArrayList<>();
		for (int i = 0; i < 64; i++) {
			locations.add(redirectLocation(random));
		}
		AtomicInteger answered = new AtomicInteger();
		this.receiver.respond((request) -> {
			int n = answered.incrementAndGet();
			// Every seventh request is sent elsewhere by a hostile redirect, which the transport may follow.
			return (n % 7 == 0) ? new Response(307, Map.of("Location", locations.get(n % locations.size())))
					: Response.of(204);
		});
		WebClientSyncTransport transport = WebClientSyncTransportTests.transport(this.receiver.uri("/api"),
				Duration.ofSeconds(2), Duration.ofSeconds(5), true);
		List<String> targets = new ArrayList<>();
		for (int i = 0; i < TARGETS; i++) {
			targets.add(target(random));
		}
		int refused = 0;
		for (int from = 0; from < targets.size(); from += 50) {
			List<CompletableFuture<SendResult>> sends = new ArrayList<>();
			for (String target : targets.subList(from, Math.min(targets.size(), from + 50))) {
				sends.add(transport.send(WebClientSyncTransportTests.operation("http.post", target, "{}"))
					.toCompletableFuture());
			}
			for (CompletableFuture<SendResult> send : sends) {
				SendResult result = send.get(30, TimeUnit.SECONDS);
				assertThat(result.outcome()).as(String.valueOf(result.error())).isIn(SendResult.Outcome.DELIVERED, SendResult.Outcome.PERMANENT);
				refused += result.isOk() ? 0 : 1;
			}
		}
		assertThat(this.otherHost.requests()).isEmpty();
		assertThat(this.receiver.requests()).isNotEmpty()
			.allSatisfy((request) -> assertThat(serverView(request.rawPath())).as(request.rawPath())
				.satisfiesAnyOf((path) -> assertThat(path).startsWith("/api/"),
						(path) -> assertThat(path).isEqualTo("/api")));
		// The generator makes both kinds: a check that refused everything (or nothing) would prove little.
		assertThat(refused).isBetween(TARGETS / 10, TARGETS - TARGETS / 10);
	}

	private static String target(Random random) {
		StringBuilder target = new StringBuilder("/");
		int tokens = 1 + random.nextInt(7);
		for (int i = 0; i < tokens; i++) {
			if (i > 0 && random.nextInt(4) != 0) {
				target.append('/');
			}
			target.append(TOKENS.get(random.nextInt(TOKENS.size())));
		}
		if (random.nextInt(8) == 0) {
			target.append('?').append(TOKENS.get(random.nextInt(TOKENS.size())));
		}
		return target.toString();
	}

	private String redirectLocation(Random random) {
		// A header value is ASCII: other characters go percent-encoded, as a server would have to send them.
		String escape = asciiOnly(target(random));
		return switch (random.nextInt(6)) {
			case 0 -> "http://127.0.0.1:" + this.otherHost.port() + "/api" + escape;
			case 1 -> "//127.0.0.1:" + this.otherHost.port() + "/api/x";
			case 2 -> "/api" + escape;
			case 3 -> ".." + escape;
			case 4 -> escape.substring(1);
			default -> "http://127.0.0.1:" + this.receiver.port() + "/api" + escape;
		};
	}

	private static String asciiOnly(String text) {
		StringBuilder ascii = new StringBuilder();
		for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
			ascii.append((b >= 0) ? String.valueOf((char) b) : String.format("%%%02X", b & 0xff));
		}
		return ascii.toString();
	}

	/**
	 * The path a lenient server would act on: percent-decoded until nothing changes, backslashes taken as slashes,
	 * compatibility characters folded, matrix parameters dropped, dot segments removed.
	 */
	static String serverView(String rawPath) {
		String path = rawPath;
		for (int round = 0; round < 8; round++) {
			String decoded = decode(path);
			if (decoded.equals(path)) {
				break;
			}
			path = decoded;
		}
		path = Normalizer.normalize(path.replace('\\', '/'), Normalizer.Form.NFKC).replace('\\', '/');
		Deque<String> segments = new ArrayDeque<>();
		for (String segment : path.split("/", -1)) {
			int parameters = segment.indexOf(';');
			String name = (parameters >= 0) ? segment.substring(0, parameters) : segment;
			if (name.equals("..")) {
				segments.pollLast();
			}
			else if (!name.equals(".") && !name.isEmpty()) {
				segments.addLast(name);
			}
		}
		return "/" + String.join("/", segments);
	}

	private static String decode(String text) {
		ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			if (c == '%' && i + 2 < text.length() && Character.digit(text.charAt(i + 1), 16) >= 0
					&& Character.digit(text.charAt(i + 2), 16) >= 0) {
				bytes.write(Integer.parseInt(text.substring(i + 1, i + 3), 16));
				i += 2;
			}
			else {
				bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
			}
		}
		return bytes.toString(StandardCharsets.UTF_8);
	}

}
