package io.offlinesync.store;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import org.jspecify.annotations.Nullable;

import io.offlinesync.Operation;

/**
 * Sorted lists seen as the sorted collections whose copy constructors build a tree from them in linear time: how
 * {@link OperationIndex} fills its trees from a journal read in order.
 */
final class SortedRuns {

	private SortedRuns() {
	}

	/**
	 * @param operations operations with distinct ids
	 * @return them in ascending id order: the list itself if it is, as an outbox makes them, otherwise a sorted copy
	 * @throws IllegalArgumentException if an id is given twice
	 */
	static List<Operation> inIdOrder(List<Operation> operations) {
		boolean ascending = true;
		for (int i = 1; i < operations.size() && ascending; i++) {
			ascending = operations.get(i - 1).id().compareTo(operations.get(i).id()) < 0;
		}
		if (ascending) {
			return operations;
		}
		List<Operation> sorted = new ArrayList<>(operations);
		sorted.sort(Comparator.comparing(Operation::id));
		for (int i = 1; i < sorted.size(); i++) {
			if (sorted.get(i - 1).id().equals(sorted.get(i).id())) {
				throw new IllegalArgumentException("Operation id '" + sorted.get(i).id() + "' is given twice");
			}
		}
		return sorted;
	}

	/**
	 * A list sorted by a comparator, seen as a sorted set: the {@link TreeSet} constructor builds its tree from one in
	 * linear time. It offers nothing more than that needs.
	 */
	static final class Run<E> extends AbstractSet<E> implements SortedSet<E> {

		private final List<E> sorted;

		private final @Nullable Comparator<? super E> order;

		Run(List<E> sorted, @Nullable Comparator<? super E> order) {
			this.sorted = sorted;
			this.order = order;
		}

		@Override
		public Iterator<E> iterator() {
			return Collections.unmodifiableList(this.sorted).iterator();
		}

		@Override
		public int size() {
			return this.sorted.size();
		}

		@Override
		public @Nullable Comparator<? super E> comparator() {
			return this.order;
		}

		@Override
		public E first() {
			return this.sorted.get(0);
		}

		@Override
		public E last() {
			return this.sorted.get(this.sorted.size() - 1);
		}

		@Override
		public SortedSet<E> subSet(E fromElement, E toElement) {
			throw new UnsupportedOperationException();
		}

		@Override
		public SortedSet<E> headSet(E toElement) {
			throw new UnsupportedOperationException();
		}

		@Override
		public SortedSet<E> tailSet(E fromElement) {
			throw new UnsupportedOperationException();
		}

	}

	/**
	 * Operations in id order, seen as a sorted map by id: the {@link TreeMap} constructor builds its tree from one in
	 * linear time. It offers nothing more than that needs.
	 */
	static final class ById extends AbstractMap<String, Operation> implements SortedMap<String, Operation> {

		private final Run<Operation> run;

		ById(List<Operation> inIdOrder) {
			this.run = new Run<>(inIdOrder, Comparator.comparing(Operation::id));
		}

		@Override
		public Set<Entry<String, Operation>> entrySet() {
			return new AbstractSet<>() {

				@Override
				public Iterator<Entry<String, Operation>> iterator() {
					Iterator<Operation> each = ById.this.run.iterator();
					return new Iterator<>() {

						@Override
						public boolean hasNext() {
							return each.hasNext();
						}

						@Override
						public Entry<String, Operation> next() {
							Operation operation = each.next();
							return new SimpleImmutableEntry<>(operation.id(), operation);
						}

					};
				}

				@Override
				public int size() {
					return ById.this.run.size();
				}

			};
		}

		@Override
		public @Nullable Comparator<? super String> comparator() {
			return null;
		}

		@Override
		public String firstKey() {
			return this.run.first().id();
		}

		@Override
		public String lastKey() {
			return this.run.last().id();
		}

		@Override
		public SortedMap<String, Operation> subMap(String fromKey, String toKey) {
			throw new UnsupportedOperationException();
		}

		@Override
		public SortedMap<String, Operation> headMap(String toKey) {
			throw new UnsupportedOperationException();
		}

		@Override
		public SortedMap<String, Operation> tailMap(String fromKey) {
			throw new UnsupportedOperationException();
		}

	}

}
