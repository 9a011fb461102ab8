package io.offlinesync.test.autoconfigure;

/**
 * Which store a test's application context uses, so that the contexts Spring caches side by side in one JVM never
 * share one.
 *
 * @since 0.1.0
 */
public enum StoreIsolation {

	/**
	 * An in-memory store of the context's own, unless the application uses the JDBC store: that one stays, so that
	 * enqueues keep joining (and rolling back with) the test's transactions, in the test's database.
	 */
	AUTO,

	/** An in-memory store of the context's own, whatever the application configures. */
	MEMORY,

	/** A file store in a temporary directory of the context's own, deleted when the context closes. */
	FILE,

	/** The store the application configures, unchanged. */
	APPLICATION

}
