package io.offlinesync.receiver.autoconfigure;

import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.servlet.function.RouterFunction;
import org.springframework.web.servlet.function.RouterFunctions;
import org.springframework.web.servlet.function.ServerResponse;

import io.offlinesync.batch.BatchFormat;
import io.offlinesync.receiver.DeliveryReceiver;

/**
 * The batch endpoint in a Spring MVC application: {@code POST <sync.receiver.path>/batch}.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(RouterFunctions.class)
class SyncReceiverWebMvcConfiguration {

	@Bean
	RouterFunction<ServerResponse> syncReceiverRoutes(DeliveryReceiver receiver, SyncReceiverProperties properties) {
		return RouterFunctions.route().POST(properties.getPath() + "/batch", (request) -> {
			byte[] body = request.body(byte[].class);
			try {
				byte[] results = receiver.receiveBatch(body,
						request.headers().firstHeader(HttpHeaders.CONTENT_ENCODING));
				return ServerResponse.ok().contentType(MediaType.parseMediaType(BatchFormat.MEDIA_TYPE)).body(results);
			}
			catch (IllegalArgumentException ex) {
				return ServerResponse.badRequest().contentType(MediaType.TEXT_PLAIN).body(String.valueOf(ex.getMessage()));
			}
		}).build();
	}

}
