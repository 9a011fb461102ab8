package io.offlinesync.store;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

import io.offlinesync.Operation;
import io.offlinesync.OperationFilter;

/**
 * What a bulk action's filter selects, read page by page from a listing in id order.
 */
final class Selection {

	private static final int PAGE = 1024;

	private Selection() {
	}

	/**
	 * @param filter the filter, whose statuses the listing is asked for and whose limit ends the selection
	 * @param page lists the operations of the filter's statuses after an id (or from the start), at most a number
	 * @return the selected operations, oldest first
	 */
	static List<Operation> matching(OperationFilter filter, BiFunction<String, Integer, List<Operation>> page) {
		List<Operation> selected = new ArrayList<>();
		String after = null;
		while (selected.size() < filter.limit()) {
			List<Operation> candidates = page.apply(after, PAGE);
			for (Operation candidate : candidates) {
				if (filter.matches(candidate) && selected.size() < filter.limit()) {
					selected.add(candidate);
				}
			}
			if (candidates.size() < PAGE) {
				break;
			}
			after = candidates.get(candidates.size() - 1).id();
		}
		return selected;
	}

}
