package io.offlinesync.receiver.autoconfigure;

import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.BodyExtractors;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.scheduler.Schedulers;

import io.offlinesync.batch.BatchFormat;
import io.offlinesync.receiver.DeliveryReceiver;

/**
 * The batch endpoint in a Spring WebFlux application: {@code POST <sync.receiver.path>/batch}. The handler and the
 * idempotency store may block (a database), so a batch is handled off the event loop.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
@ConditionalOnClass(RouterFunctions.class)
class SyncReceiverWebFluxConfiguration {

	@Bean
	RouterFunction<ServerResponse> syncReceiverReactiveRoutes(DeliveryReceiver receiver,
			SyncReceiverProperties properties) {
		return RouterFunctions.route()
			.POST(properties.getPath() + "/batch", (request) -> DataBufferUtils
				// Not bodyToMono: the codecs buffer 256 KB at most, and batches are larger.
				.join(request.body(BodyExtractors.toDataBuffers()), BatchFormat.MAX_BODY_BYTES)
				.map(SyncReceiverWebFluxConfiguration::bytes)
				.defaultIfEmpty(new byte[0])
				.publishOn(Schedulers.boundedElastic())
				.map((body) -> receiver.receiveBatch(body,
						request.headers().firstHeader(HttpHeaders.CONTENT_ENCODING)))
				.flatMap((results) -> ServerResponse.ok()
					.contentType(MediaType.parseMediaType(BatchFormat.MEDIA_TYPE))
					.bodyValue(results))
				.onErrorResume(IllegalArgumentException.class, (ex) -> ServerResponse.badRequest()
					.contentType(MediaType.TEXT_PLAIN)
					.bodyValue(String.valueOf(ex.getMessage())))
				.onErrorResume(DataBufferLimitException.class, (ex) -> ServerResponse
					.status(HttpStatus.CONTENT_TOO_LARGE)
					.contentType(MediaType.TEXT_PLAIN)
					.bodyValue("A batch body is at most " + BatchFormat.MAX_BODY_BYTES + " bytes")))
			.build();
	}

	private static byte[] bytes(DataBuffer buffer) {
		try {
			byte[] bytes = new byte[buffer.readableByteCount()];
			buffer.read(bytes);
			return bytes;
		}
		finally {
			DataBufferUtils.release(buffer);
		}
	}

}
