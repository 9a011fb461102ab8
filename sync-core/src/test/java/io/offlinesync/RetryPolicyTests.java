package io.offlinesync;

import java.time.Duration;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class RetryPolicyTests {

	@Test
	void defaultsAreTheReferenceEngineDefaults() {
		RetryPolicy policy = RetryPolicy.defaults();
		assertThat(policy.maxAttempts()).isEqualTo(8);
		assertThat(policy.initialDelay()).isEqualTo(Duration.ofMillis(500));
		assertThat(policy.maxDelay()).isEqualTo(Duration.ofSeconds(30));
		assertThat(policy.multiplier()).isEqualTo(2.0);
		assertThat(policy.jitterRatio()).isEqualTo(0.2);
	}

	@Test
	void delayGrowsExponentiallyUntilTheCap() {
		RetryPolicy policy = RetryPolicy.builder().jitterRatio(0).build();
		assertThat(new long[] { ms(policy, 1), ms(policy, 2), ms(policy, 3), ms(policy, 4), ms(policy, 5),
				ms(policy, 6), ms(policy, 7), ms(policy, 8) })
			.containsExactly(500, 1000, 2000, 4000, 8000, 16000, 30000, 30000);
	}

	@ParameterizedTest
	@ValueSource(ints = { 60, 1_000, 100_000, Integer.MAX_VALUE })
	void hugeAttemptCountsStayAtTheCapInsteadOfOverflowing(int attempts) {
		RetryPolicy policy = RetryPolicy.builder().jitterRatio(0).build();
		assertThat(policy.delayAfter(attempts)).isEqualTo(Duration.ofSeconds(30));
	}

	@Test
	void jitterMovesEachDelayWithinTheRatioAndNeverAboveTheCap() {
		Random random = new Random(42);
		RetryPolicy policy = RetryPolicy.builder().jitterSource(random::nextDouble).build();
		boolean sawBelow = false;
		boolean sawAbove = false;
		for (int i = 0; i < 2_000; i++) {
			int attempt = 1 + (i % 8);
			long base = Math.min(30_000, 500L << (attempt - 1));
			long delay = policy.delayAfter(attempt).toMillis();
			assertThat(delay).isBetween((long) (base * 0.8), Math.min(30_000, (long) Math.ceil(base * 1.2)));
			sawBelow |= delay < base;
			sawAbove |= delay > base;
		}
		assertThat(sawBelow).isTrue();
		assertThat(sawAbove).isTrue();
	}

	@Test
	void jitterExtremesAreExact() {
		RetryPolicy low = RetryPolicy.builder().jitterSource(() -> 0.0).build();
		RetryPolicy high = RetryPolicy.builder().jitterSource(() -> 0.999_999_999).build();
		assertThat(low.delayAfter(1)).isEqualTo(Duration.ofMillis(400));
		assertThat(high.delayAfter(1)).isEqualTo(Duration.ofMillis(600));
	}

	@Test
	void anotherAttemptIsAllowedOnlyBelowTheMaximum() {
		RetryPolicy policy = RetryPolicy.builder().maxAttempts(3).build();
		assertThat(policy.allowsAnotherAttempt(2)).isTrue();
		assertThat(policy.allowsAnotherAttempt(3)).isFalse();
		assertThat(policy.allowsAnotherAttempt(4)).isFalse();
	}

	@Test
	void invalidSettingsAreRefusedWithTheirName() {
		assertThatIllegalArgumentException().isThrownBy(() -> RetryPolicy.builder().maxAttempts(0).build())
			.withMessage("'maxAttempts' must be at least 1 but was 0");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> RetryPolicy.builder().initialDelay(Duration.ofMillis(-1)).build())
			.withMessage("'initialDelay' must not be negative but was PT-0.001S");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> RetryPolicy.builder().maxDelay(Duration.ofMillis(100)).build())
			.withMessageContaining("'maxDelay' (PT0.1S) must not be shorter than 'initialDelay' (PT0.5S)");
		assertThatIllegalArgumentException().isThrownBy(() -> RetryPolicy.builder().multiplier(0.5).build())
			.withMessageContaining("'multiplier'");
		assertThatIllegalArgumentException().isThrownBy(() -> RetryPolicy.builder().multiplier(Double.NaN).build())
			.withMessageContaining("'multiplier'");
		assertThatIllegalArgumentException().isThrownBy(() -> RetryPolicy.builder().jitterRatio(1.5).build())
			.withMessage("'jitterRatio' must be between 0.0 and 1.0 but was 1.5");
		assertThatIllegalArgumentException().isThrownBy(() -> RetryPolicy.defaults().delayAfter(0))
			.withMessageContaining("'failedAttempts'");
	}

	private static long ms(RetryPolicy policy, int attempts) {
		return policy.delayAfter(attempts).toMillis();
	}

}
