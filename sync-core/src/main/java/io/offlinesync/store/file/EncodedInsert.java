package io.offlinesync.store.file;

import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;

import io.offlinesync.Operation;

/** New operations with their records, encoded before the store's monitor was taken, and where each begins. */
final class EncodedInsert extends AbstractList<Operation> implements RandomAccess {

	private final List<Operation> operations;

	private final RecordBuffer bytes;

	private final long[] starts;

	EncodedInsert(List<Operation> operations, RecordBuffer bytes, long[] starts) {
		this.operations = operations;
		this.bytes = bytes;
		this.starts = starts;
	}

	@Override
	public Operation get(int index) {
		return this.operations.get(index);
	}

	@Override
	public int size() {
		return this.operations.size();
	}

	RecordBuffer bytes() {
		return this.bytes;
	}

	long[] starts() {
		return this.starts;
	}

}
