package io.offlinesync;

/**
 * Checks an operation at enqueue, before anything is stored, against rules the outbox itself does not know: those
 * of the transport that will deliver it (which kinds it sends, which targets and headers it allows). A refusal
 * there is an error the application sees at once, instead of an operation parked later.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface OperationValidator {

	/**
	 * Check one operation.
	 * @param operation the operation about to be stored; never {@literal null}
	 * @throws InvalidOperationException if it is refused; the message names the field and the rule
	 */
	void validate(NewOperation operation);

}
