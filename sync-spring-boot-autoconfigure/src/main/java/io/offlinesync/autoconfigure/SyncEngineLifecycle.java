package io.offlinesync.autoconfigure;

import org.springframework.context.SmartLifecycle;

import io.offlinesync.SyncEngine;

/**
 * Starts the engine with the application context, after the web server (so that an application can deliver to
 * itself), and stops it first on shutdown: sends in flight finish and are recorded, or are left to the in-flight
 * timeout; nothing is half-written.
 */
class SyncEngineLifecycle implements SmartLifecycle {

	private final SyncEngine engine;

	private final boolean autoStartup;

	SyncEngineLifecycle(SyncEngine engine, boolean autoStartup) {
		this.engine = engine;
		this.autoStartup = autoStartup;
	}

	@Override
	public void start() {
		this.engine.start();
	}

	@Override
	public void stop() {
		this.engine.close();
	}

	@Override
	public boolean isRunning() {
		return this.engine.isRunning();
	}

	@Override
	public boolean isAutoStartup() {
		return this.autoStartup;
	}

}
