package io.offlinesync.test.autoconfigure;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.test.context.PropertyMapping;

/**
 * Sets up the outbox of a Spring Boot test: a store of the test context's own (so that any number of cached contexts
 * never collide), and, as beans the test injects, a {@link io.offlinesync.test.FakeTransport}, a
 * {@link io.offlinesync.test.ControllableNetwork} whose probe the engine follows, a
 * {@link io.offlinesync.test.SettableClock} (unless the application defines a {@code Clock}; moving it wakes the
 * engine) and, for manual stepping, a {@link io.offlinesync.test.ManualSyncEngine}.
 *
 * <pre class="code">
 * &#64;SpringBootTest
 * &#64;AutoConfigureOfflineSync
 * class NotesTests {
 *     &#64;Autowired FakeTransport transport;
 *     ...
 * }
 * </pre>
 *
 * @since 0.1.0
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ImportAutoConfiguration
public @interface AutoConfigureOfflineSync {

	/**
	 * @return which store the context uses; by default one of its own in memory, or the application's JDBC store
	 */
	@PropertyMapping("sync.test.store")
	StoreIsolation store() default StoreIsolation.AUTO;

	/**
	 * @return whether deliveries go to a {@link io.offlinesync.test.FakeTransport} bean instead of the application's
	 * transport
	 */
	@PropertyMapping("sync.test.fake-transport")
	boolean fakeTransport() default true;

	/**
	 * @return whether the engine runs in the background; {@code false} to step it with the
	 * {@link io.offlinesync.test.ManualSyncEngine} bean (or {@code SyncEngine.tick()})
	 */
	@PropertyMapping(value = "sync.engine.auto-startup", skip = PropertyMapping.Skip.ON_DEFAULT_VALUE)
	boolean backgroundEngine() default true;

}
