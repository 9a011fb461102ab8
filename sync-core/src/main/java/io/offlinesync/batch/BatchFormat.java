package io.offlinesync.batch;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes and reads the batch wire format (see the {@linkplain io.offlinesync.batch package documentation}).
 * Thread-safe.
 *
 * @since 0.1.0
 */
public final class BatchFormat {

	/** The media type of a batch request and its response. */
	public static final String MEDIA_TYPE = "application/vnd.offline-sync.batch+json";

	/** The path a receiver takes batches on, under the sender's base URL, unless configured otherwise. */
	public static final String DEFAULT_PATH = "/_offline-sync/batch";

	/** The largest body a receiver inflates, in bytes. */
	public static final int MAX_BODY_BYTES = 256 * 1024 * 1024;

	/** The most operations a receiver takes in one batch. */
	public static final int MAX_ITEMS = 10_000;

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private BatchFormat() {
	}

	/**
	 * @param items the operations
	 * @param gzip whether to compress the body
	 * @return the request body
	 */
	public static byte[] writeRequest(List<BatchItem> items, boolean gzip) {
		ObjectNode body = JSON.createObjectNode();
		ArrayNode operations = body.putArray("operations");
		for (BatchItem item : items) {
			ObjectNode operation = operations.addObject();
			operation.put("idempotencyKey", item.idempotencyKey());
			operation.put("kind", item.kind());
			operation.put("target", item.target());
			if (!item.headers().isEmpty()) {
				ObjectNode headers = operation.putObject("headers");
				item.headers().forEach(headers::put);
			}
			operation.put("payload", item.payload());
		}
		byte[] json = JSON.writeValueAsBytes(body);
		return gzip ? gzip(json) : json;
	}

	/**
	 * @param body the request body
	 * @param contentEncoding its {@code Content-Encoding}, or {@literal null}
	 * @return the operations, in order
	 * @throws IllegalArgumentException if it is not a batch, saying what is wrong
	 */
	public static List<BatchItem> readRequest(byte[] body, @Nullable String contentEncoding) {
		JsonNode root = parse(body, contentEncoding);
		JsonNode operations = root.get("operations");
		if (operations == null || !operations.isArray()) {
			throw new IllegalArgumentException("A batch is an object with an array 'operations'");
		}
		if (operations.size() > MAX_ITEMS) {
			throw new IllegalArgumentException("A batch holds at most " + MAX_ITEMS + " operations but this one holds "
					+ operations.size());
		}
		List<BatchItem> items = new ArrayList<>(operations.size());
		for (JsonNode operation : operations) {
			Map<String, String> headers = new LinkedHashMap<>();
			JsonNode headerNode = operation.get("headers");
			if (headerNode != null && headerNode.isObject()) {
				for (Map.Entry<String, JsonNode> header : headerNode.properties()) {
					headers.put(header.getKey(), header.getValue().asString());
				}
			}
			items.add(new BatchItem(text(operation, "idempotencyKey", items.size()), text(operation, "kind", items.size()),
					text(operation, "target", items.size()), headers, text(operation, "payload", items.size())));
		}
		return items;
	}

	/**
	 * @param results one per operation, in order
	 * @return the response body
	 */
	public static byte[] writeResponse(List<BatchItemResult> results) {
		ObjectNode body = JSON.createObjectNode();
		ArrayNode array = body.putArray("results");
		for (BatchItemResult result : results) {
			ObjectNode item = array.addObject();
			item.put("idempotencyKey", result.idempotencyKey());
			item.put("status", result.status().name().toLowerCase(Locale.ROOT));
			if (result.reason() != null) {
				item.put("reason", result.reason());
			}
			if (result.retryAfter() != null) {
				item.put("retryAfter", result.retryAfter().toString());
			}
		}
		return JSON.writeValueAsBytes(body);
	}

	/**
	 * @param body the response body
	 * @param contentEncoding its {@code Content-Encoding}, or {@literal null}
	 * @return the results, in order
	 * @throws IllegalArgumentException if it is not a batch response, saying what is wrong
	 */
	public static List<BatchItemResult> readResponse(byte[] body, @Nullable String contentEncoding) {
		JsonNode results = parse(body, contentEncoding).get("results");
		if (results == null || !results.isArray()) {
			throw new IllegalArgumentException("A batch response is an object with an array 'results'");
		}
		List<BatchItemResult> read = new ArrayList<>(results.size());
		for (JsonNode result : results) {
			String status = text(result, "status", read.size());
			BatchItemResult.Status parsed;
			try {
				parsed = BatchItemResult.Status.valueOf(status.toUpperCase(Locale.ROOT));
			}
			catch (IllegalArgumentException ex) {
				throw new IllegalArgumentException("Result " + (read.size() + 1) + " has the unknown status '" + status
						+ "'; known are done, retryable and permanent");
			}
			JsonNode reason = result.get("reason");
			JsonNode retryAfter = result.get("retryAfter");
			read.add(new BatchItemResult(text(result, "idempotencyKey", read.size()), parsed,
					(reason != null && !reason.isNull()) ? reason.asString() : null,
					(retryAfter != null && !retryAfter.isNull()) ? duration(retryAfter.asString()) : null));
		}
		return read;
	}

	private static Duration duration(String text) {
		try {
			return Duration.parse(text);
		}
		catch (DateTimeParseException ex) {
			throw new IllegalArgumentException("'retryAfter' must be an ISO-8601 duration such as PT30S but was '"
					+ text + "'");
		}
	}

	private static JsonNode parse(byte[] body, @Nullable String contentEncoding) {
		byte[] json = body;
		if (contentEncoding != null && contentEncoding.trim().equalsIgnoreCase("gzip")) {
			json = gunzip(body);
		}
		else if (contentEncoding != null && !contentEncoding.isBlank() && !contentEncoding.equalsIgnoreCase("identity")) {
			throw new IllegalArgumentException("Content-Encoding '" + contentEncoding + "' is not supported; gzip is");
		}
		try {
			JsonNode root = JSON.readTree(json);
			if (root == null || !root.isObject()) {
				throw new IllegalArgumentException("The body is not a JSON object");
			}
			return root;
		}
		catch (JacksonException ex) {
			throw new IllegalArgumentException("The body is not JSON: " + ex.getOriginalMessage(), ex);
		}
	}

	private static String text(JsonNode node, String field, int index) {
		JsonNode value = node.get(field);
		if (value == null || !value.isString()) {
			throw new IllegalArgumentException("Item " + (index + 1) + " lacks the text field '" + field + "'");
		}
		return value.asString();
	}

	/**
	 * @param bytes a body, such as a request written without compression
	 * @return it gzip-compressed, as {@code Content-Encoding: gzip} says
	 */
	public static byte[] gzip(byte[] bytes) {
		ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 4 + 64);
		try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
			gzip.write(bytes);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return out.toByteArray();
	}

	private static byte[] gunzip(byte[] bytes) {
		try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
			byte[] json = in.readNBytes(MAX_BODY_BYTES + 1);
			if (json.length > MAX_BODY_BYTES) {
				throw new IllegalArgumentException("The body is larger than " + MAX_BODY_BYTES + " bytes once inflated");
			}
			return json;
		}
		catch (IOException ex) {
			throw new IllegalArgumentException("The body is not valid gzip: " + ex.getMessage(), ex);
		}
	}

}
