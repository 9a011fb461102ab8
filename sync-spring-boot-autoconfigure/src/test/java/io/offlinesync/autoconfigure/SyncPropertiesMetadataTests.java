package io.offlinesync.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.beans.BeanWrapper;
import org.springframework.beans.PropertyAccessorFactory;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an IDE shows from the generated metadata matches what the application really gets: every property with a
 * default declares it, and each declared default converts to the value a fresh {@link SyncProperties} holds.
 */
class SyncPropertiesMetadataTests {

	@Test
	void everyDefaultIsInTheMetadataAndEqualsTheRealOne() throws IOException {
		BeanWrapper defaults = PropertyAccessorFactory.forBeanPropertyAccess(new SyncProperties());
		List<String> checked = new ArrayList<>();
		for (JsonNode property : metadata()) {
			String name = property.get("name").asString();
			if (!name.startsWith("sync.")) {
				continue;
			}
			String path = beanPath(name.substring("sync.".length()));
			Object real = defaults.getPropertyValue(path);
			JsonNode declared = property.get("defaultValue");
			if (real == null || (real instanceof Collection<?> empty && empty.isEmpty())
					|| (real instanceof Map<?, ?> none && none.isEmpty())) {
				assertThat(declared).as("%s has no default, but the metadata declares one", name).isNull();
				continue;
			}
			assertThat(declared).as("%s defaults to %s, which the metadata does not show", name, real).isNotNull();
			// Bound as the application binds a property: what a user gets by writing the shown default.
			String value = declared.isString() ? declared.asString() : declared.toString();
			Object bound = new Binder(new MapConfigurationPropertySource(Map.of(name, value)))
				.bind(name, Bindable.of(defaults.getPropertyTypeDescriptor(path).getResolvableType()))
				.get();
			assertThat(bound).as(name).isEqualTo(real);
			checked.add(name);
		}
		assertThat(checked).contains("sync.store.file.directory", "sync.engine.tick-interval", "sync.retry.multiplier",
				"sync.probe.recheck-max-delay", "sync.store.max-payload-size", "sync.transport.redirects");
	}

	private static Iterable<JsonNode> metadata() throws IOException {
		try (InputStream in = SyncPropertiesMetadataTests.class.getClassLoader()
			.getResourceAsStream("META-INF/spring-configuration-metadata.json")) {
			assertThat(in).as("generated metadata").isNotNull();
			return JsonMapper.builder().build().readTree(in).get("properties");
		}
	}

	/** {@code store.file.damaged-copies-to-keep} to {@code store.file.damagedCopiesToKeep}. */
	private static String beanPath(String property) {
		StringBuilder path = new StringBuilder();
		boolean upper = false;
		for (char c : property.toCharArray()) {
			if (c == '-') {
				upper = true;
			}
			else {
				path.append(upper ? Character.toUpperCase(c) : c);
				upper = false;
			}
		}
		return path.toString();
	}

}
