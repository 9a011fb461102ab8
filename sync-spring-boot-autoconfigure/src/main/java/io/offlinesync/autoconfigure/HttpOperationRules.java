package io.offlinesync.autoconfigure;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpMethod;

import io.offlinesync.InvalidOperationException;
import io.offlinesync.NewOperation;
import io.offlinesync.OperationValidator;

/**
 * What the HTTP transport sends, checked once at enqueue (so the application hears of a bad operation at once) and
 * again before every request (the journal may hold operations from before a rule or the base URL changed).
 *
 * <ul>
 * <li>Kinds: {@code http.post}, {@code http.put}, {@code http.patch} and {@code http.delete}.</li>
 * <li>Targets: a path under the base URL, and nothing a server could resolve outside it. The check decodes and
 * normalises as servers do, and refuses dot segments ({@code ..}, {@code .}) in any of their disguises (percent
 * encoding in any case, double encoding, matrix parameters such as {@code ..;}, Unicode compatibility forms),
 * backslashes, encoded slashes, control characters and malformed encodings.</li>
 * <li>Headers: none that defines the connection or the request itself (such as {@code Host}, {@code Content-Length}
 * or the idempotency key), none that a proxy or framework reads as another URL or method, and none of the configured
 * default headers unless {@code sync.transport.overridable-headers} names it.</li>
 * </ul>
 */
final class HttpOperationRules implements OperationValidator {

	static final String IDEMPOTENCY_KEY = "Idempotency-Key";

	private static final Map<String, HttpMethod> METHODS = Map.of("http.post", HttpMethod.POST, "http.put",
			HttpMethod.PUT, "http.patch", HttpMethod.PATCH, "http.delete", HttpMethod.DELETE);

	/** Lower case. Hop-by-hop and message-framing headers, routing overrides, and the key the transport sets. */
	static final Set<String> RESTRICTED_HEADERS = Set.of("host", "content-length", "transfer-encoding", "connection",
			"keep-alive", "proxy-connection", "upgrade", "te", "trailer", "expect", "proxy-authorization",
			"proxy-authenticate", "forwarded", "x-forwarded-host", "x-forwarded-for", "x-forwarded-proto",
			"x-forwarded-port", "x-forwarded-prefix", "x-original-url", "x-rewrite-url", "x-http-method-override",
			"x-http-method", "x-method-override", IDEMPOTENCY_KEY.toLowerCase(Locale.ROOT));

	/** Enough for any real double or triple encoding; a target that still decodes further is refused. */
	private static final int MAX_DECODING_ROUNDS = 4;

	private final URI baseUrl;

	private final String basePath;

	private final Set<String> defaultHeaders;

	private final Set<String> overridableHeaders;

	/**
	 * @param baseUrl the base URL every request stays under
	 * @param defaultHeaders headers every request carries
	 * @param overridableHeaders names of default headers an operation may set itself
	 */
	HttpOperationRules(@Nullable URI baseUrl, Set<String> defaultHeaders, Set<String> overridableHeaders) {
		this.baseUrl = requireBaseUrl(baseUrl);
		String path = (this.baseUrl.getRawPath() != null) ? this.baseUrl.getRawPath() : "";
		this.basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
		this.defaultHeaders = lowerCase(defaultHeaders);
		this.overridableHeaders = lowerCase(overridableHeaders);
	}

	private static URI requireBaseUrl(@Nullable URI baseUrl) {
		if (baseUrl == null) {
			throw new InvalidSyncPropertyException("sync.transport.base-url",
					"'sync.transport.base-url' is not set; the HTTP transport resolves operation targets against it. "
							+ "Set it, or define a SyncTransport bean of your own");
		}
		if (!("http".equals(baseUrl.getScheme()) || "https".equals(baseUrl.getScheme())) || baseUrl.getHost() == null
				|| baseUrl.getRawQuery() != null || baseUrl.getRawFragment() != null) {
			throw new InvalidSyncPropertyException("sync.transport.base-url",
					"'sync.transport.base-url' must be an absolute http or https URL with a host and no query, but was '"
							+ baseUrl + "'");
		}
		return baseUrl;
	}

	private static Set<String> lowerCase(Set<String> names) {
		Set<String> lower = new TreeSet<>();
		names.forEach((name) -> lower.add(name.toLowerCase(Locale.ROOT)));
		return Set.copyOf(lower);
	}

	URI baseUrl() {
		return this.baseUrl;
	}

	@Override
	public void validate(NewOperation operation) {
		method(operation.kind());
		resolve(operation.target());
		checkHeaders(operation.headers());
	}

	/**
	 * @param kind an operation's kind
	 * @return its HTTP method
	 * @throws InvalidOperationException if the transport does not send that kind
	 */
	HttpMethod method(String kind) {
		HttpMethod method = METHODS.get(kind);
		if (method == null) {
			throw new InvalidOperationException("Unsupported kind '" + kind
					+ "': the HTTP transport sends http.post, http.put, http.patch and http.delete");
		}
		return method;
	}

	/**
	 * @param headers an operation's headers
	 * @throws InvalidOperationException if one of them may not be set by an operation
	 */
	void checkHeaders(Map<String, String> headers) {
		for (Map.Entry<String, String> header : headers.entrySet()) {
			String name = header.getKey();
			String lower = name.toLowerCase(Locale.ROOT);
			if (!isToken(name)) {
				throw new InvalidOperationException("Header name '" + name + "' is not a valid HTTP header name");
			}
			if (RESTRICTED_HEADERS.contains(lower)) {
				throw new InvalidOperationException("Header '" + name
						+ "' cannot be set by an operation: it defines the connection, the request's destination or "
						+ "its idempotency key, which the transport sets itself");
			}
			if (this.defaultHeaders.contains(lower) && !this.overridableHeaders.contains(lower)) {
				throw new InvalidOperationException("Header '" + name
						+ "' is configured in sync.transport.headers and cannot be overridden by an operation "
						+ "(list it in sync.transport.overridable-headers to allow that)");
			}
			String value = header.getValue();
			for (int i = 0; i < value.length(); i++) {
				char c = value.charAt(i);
				if ((c < 0x20 && c != '\t') || c == 0x7f) {
					throw new InvalidOperationException("Header '" + name + "' contains the control character U+"
							+ String.format("%04X", (int) c) + " at index " + i);
				}
			}
		}
	}

	/** RFC 9110 token: the characters a header name may have. */
	private static boolean isToken(String name) {
		if (name.isEmpty()) {
			return false;
		}
		for (int i = 0; i < name.length(); i++) {
			char c = name.charAt(i);
			boolean alphanumeric = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
			if (!alphanumeric && "!#$%&'*+-.^_`|~".indexOf(c) < 0) {
				return false;
			}
		}
		return true;
	}

	/**
	 * Resolve a target against the base URL.
	 * @param target an operation's target, a path (and query) under the base URL
	 * @return the URL to request
	 * @throws InvalidOperationException if the target is not a path under the base URL or could resolve outside it
	 */
	URI resolve(String target) {
		if (!target.startsWith("/") || target.startsWith("//")) {
			throw refused(target, "must be a path under the base URL, starting with a single '/'; absolute URLs and "
					+ "other hosts are refused");
		}
		if (target.indexOf('#') >= 0) {
			throw refused(target, "has a fragment ('#'), which is never sent to a server");
		}
		int queryAt = target.indexOf('?');
		String path = (queryAt >= 0) ? target.substring(0, queryAt) : target;
		for (int i = 0; i < target.length(); i++) {
			char c = target.charAt(i);
			if (c <= 0x20 || c == 0x7f || c == '\\') {
				throw refused(target, "contains " + describe(c) + " at index " + i);
			}
		}
		checkPath(target, path);
		URI resolved;
		try {
			resolved = new URI(this.baseUrl.getScheme() + "://" + this.baseUrl.getRawAuthority() + this.basePath
					+ target);
		}
		catch (URISyntaxException ex) {
			throw refused(target, "is not a valid URL path and query (" + ex.getReason() + " at index "
					+ (ex.getIndex() - this.baseUrl.getScheme().length() - 3 - this.baseUrl.getRawAuthority().length()
							- this.basePath.length())
					+ "); percent-encode such characters");
		}
		// Belt and braces: after the checks above, normalising cannot move the path, and this proves it.
		URI normalised = resolved.normalize();
		if (!normalised.equals(resolved) || !isUnderBasePath(resolved.getRawPath())
				|| !this.baseUrl.getRawAuthority().equals(resolved.getRawAuthority())) {
			throw refused(target, "leaves the base URL");
		}
		return URI.create(resolved.toASCIIString());
	}

	/**
	 * Where a redirect may go when following within the base URL is allowed.
	 * @param location the redirect's location, resolved against the request's URL
	 * @return the URL to request next
	 * @throws InvalidOperationException if the location is not under the base URL
	 */
	URI redirectTarget(URI location) {
		String rawPath = (location.getRawPath() != null) ? location.getRawPath() : "";
		if (!this.baseUrl.getScheme().equalsIgnoreCase(String.valueOf(location.getScheme()))
				|| !this.baseUrl.getRawAuthority().equalsIgnoreCase(String.valueOf(location.getRawAuthority()))
				|| !isUnderBasePath(rawPath)) {
			throw new InvalidOperationException("it leads to " + location + ", outside the base URL " + this.baseUrl);
		}
		String target = rawPath.substring(this.basePath.length())
				+ ((location.getRawQuery() != null) ? "?" + location.getRawQuery() : "");
		return resolve(target.isEmpty() ? "/" : target);
	}

	/**
	 * The target as a URI template with bounded cardinality, for the {@code uri} tag of {@code http.client.requests}:
	 * the base path and the target's path, with every segment that looks like an identifier (a number, one with a
	 * digit and more than three characters, one longer than 32 characters, or one with characters other than letters,
	 * digits, {@code -}, {@code _} and {@code .}) replaced by {@code {id}}, and the query left out. Words and short
	 * versions such as {@code v2} stay.
	 * @param target an operation's target
	 * @return the template, for example {@code /api/notes/{id}/comments}
	 */
	String uriTemplate(String target) {
		int end = target.length();
		for (char separator : new char[] { '?', '#' }) {
			int at = target.indexOf(separator);
			end = (at >= 0) ? Math.min(end, at) : end;
		}
		StringBuilder template = new StringBuilder(this.basePath);
		for (String segment : target.substring(0, end).split("/", -1)) {
			if (!segment.isEmpty()) {
				template.append('/').append(isIdentifier(segment) ? "{id}" : segment);
			}
		}
		return template.isEmpty() ? "/" : template.toString();
	}

	private static boolean isIdentifier(String segment) {
		if (segment.length() > 32) {
			return true;
		}
		boolean digit = false;
		boolean letter = false;
		for (int i = 0; i < segment.length(); i++) {
			char c = segment.charAt(i);
			digit |= c >= '0' && c <= '9';
			letter |= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
			boolean plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
					|| c == '_' || c == '.';
			if (!plain) {
				return true;
			}
		}
		return digit && (!letter || segment.length() > 3);
	}

	private boolean isUnderBasePath(String rawPath) {
		return rawPath.startsWith(this.basePath + "/");
	}

	/**
	 * Decode the path as a server would, round after round, and refuse anything that could make a server see a dot
	 * segment, another separator or a control character in any of the rounds.
	 */
	private void checkPath(String target, String path) {
		String current = path;
		int slashes = countSlashes(path);
		for (int round = 0; round <= MAX_DECODING_ROUNDS; round++) {
			if (countSlashes(current) != slashes) {
				throw refused(target, "contains an encoded '/' (%2F), which servers treat differently");
			}
			checkDecoded(target, current, round);
			String compatible = Normalizer.normalize(current, Normalizer.Form.NFKC);
			if (!compatible.equals(current)) {
				checkDecoded(target, compatible, round);
			}
			String decoded = decodeOnce(target, current, round == 0);
			if (decoded.equals(current)) {
				return;
			}
			current = decoded;
		}
		throw refused(target, "is percent-encoded more than " + MAX_DECODING_ROUNDS + " times over");
	}

	private void checkDecoded(String target, String path, int round) {
		String stage = (round == 0) ? "" : " once percent-decoded" + ((round > 1) ? " " + round + " times" : "");
		for (int i = 0; i < path.length(); i++) {
			char c = path.charAt(i);
			if (c < 0x20 || c == 0x7f || c == '\\' || c == '\uFFFD') {
				throw refused(target, "contains " + describe(c) + stage);
			}
		}
		for (String segment : path.split("/", -1)) {
			int parameters = segment.indexOf(';');
			String name = (parameters >= 0) ? segment.substring(0, parameters) : segment;
			if (name.equals(".") || name.equals("..")) {
				throw refused(target, "contains the dot segment '" + segment + "'" + stage
						+ ", which a server resolves outside its place");
			}
		}
	}

	private static int countSlashes(String text) {
		int count = 0;
		for (int i = 0; i < text.length(); i++) {
			if (text.charAt(i) == '/') {
				count++;
			}
		}
		return count;
	}

	/**
	 * One round of percent-decoding, as UTF-8 (malformed sequences become U+FFFD, which the check refuses). In the
	 * first round a '%' that does not start an escape is an error; in later rounds it is text that came from
	 * {@code %25}.
	 */
	private String decodeOnce(String target, String text, boolean strict) {
		if (text.indexOf('%') < 0) {
			return text;
		}
		StringBuilder decoded = new StringBuilder(text.length());
		ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			if (c == '%' && i + 2 < text.length()) {
				int high = Character.digit(text.charAt(i + 1), 16);
				int low = Character.digit(text.charAt(i + 2), 16);
				if (high >= 0 && low >= 0) {
					bytes.write(high * 16 + low);
					i += 2;
					continue;
				}
			}
			if (c == '%' && strict) {
				throw refused(target, "has a '%' at index " + i + " that does not start a percent-encoded byte");
			}
			flush(bytes, decoded);
			decoded.append(c);
		}
		flush(bytes, decoded);
		return decoded.toString();
	}

	private static void flush(ByteArrayOutputStream bytes, StringBuilder decoded) {
		if (bytes.size() > 0) {
			decoded.append(new String(bytes.toByteArray(), StandardCharsets.UTF_8));
			bytes.reset();
		}
	}

	private static String describe(char c) {
		if (c == '\\') {
			return "a backslash";
		}
		if (c == ' ') {
			return "a space";
		}
		if (c == '\uFFFD') {
			return "a malformed UTF-8 sequence";
		}
		return "the control character U+" + String.format("%04X", (int) c);
	}

	private InvalidOperationException refused(String target, String why) {
		return new InvalidOperationException("Target '" + target + "' " + why + " (base URL " + this.baseUrl + ")");
	}

}
