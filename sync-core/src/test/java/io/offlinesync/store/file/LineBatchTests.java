package io.offlinesync.store.file;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offlinesync.Operation;
import io.offlinesync.OperationStatus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

class LineBatchTests {

	@TempDir
	Path directory;

	private final JournalFormat format = new JournalFormat();

	private final SharedStrings shared = new SharedStrings();

	private Operation operation(int number) {
		return Operation.builder()
			.id("id-" + number)
			.kind("http.post")
			.target("/notes")
			.payload("payload " + number)
			.status(OperationStatus.PENDING)
			.createdAt(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(number))
			.build();
	}

	private byte[] record(Operation operation) {
		RecordBuffer buffer = new RecordBuffer(64);
		this.format.put(operation, buffer);
		return Arrays.copyOf(buffer.array(), buffer.length());
	}

	@Test
	void recordsOfOneRunCreatedAtTheSameTimeShareOneInstant() throws IOException {
		Instant sameTime = Instant.parse("2026-01-01T00:00:00.5Z");
		ByteArrayOutputStream journal = new ByteArrayOutputStream();
		for (int i = 0; i < 3; i++) {
			// Written from equal copies: what is read must not depend on it.
			Instant created = (i < 2) ? Instant.parse(sameTime.toString()) : sameTime.plusNanos(1_000);
			journal.writeBytes(record(operation(i).toBuilder().createdAt(created).nextAttemptAt(created)
				.updatedAt(created).build()));
		}
		Path file = this.directory.resolve("journal");
		Files.write(file, journal.toByteArray());
		LineBatch batch;
		try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
			batch = LineBatch.read(in, 0, in.size()).decode(this.format, this.shared);
		}
		assertThat(batch.count()).isEqualTo(3);
		Instant first = operationOf(batch, 0).createdAt();
		Instant second = operationOf(batch, 1).createdAt();
		Instant third = operationOf(batch, 2).createdAt();
		assertThat(first).isEqualTo(sameTime);
		assertThat(second).isSameAs(first);
		assertThat(third).isEqualTo(sameTime.plusNanos(1_000)).isNotSameAs(first);
		assertThat(operationOf(batch, 2).updatedAt()).isSameAs(third);
	}

	private static Operation operationOf(LineBatch batch, int index) {
		return ((JournalRecord.Put) batch.decoded(index)).operation();
	}

	@Test
	void aRunWithoutLineEndsLongerThanTheMostReadAtOnceIsDamageInPiecesAndTheRecordsAfterItAreKept()
			throws IOException {
		ByteArrayOutputStream journal = new ByteArrayOutputStream();
		List<Operation> written = new ArrayList<>();
		for (int i = 0; i < 6; i++) {
			written.add(operation(i));
			journal.writeBytes(record(written.get(i)));
		}
		int damageStart = journal.size();
		journal.writeBytes("x".repeat(2_500).getBytes());
		journal.writeBytes("\n".getBytes());
		int damageEnd = journal.size() - 1;
		for (int i = 6; i < 12; i++) {
			written.add(operation(i));
			journal.writeBytes(record(written.get(i)));
		}
		byte[] tornRecord = record(operation(12));
		int tornStart = journal.size();
		journal.write(tornRecord, 0, tornRecord.length - 20);
		Path file = this.directory.resolve("journal");
		Files.write(file, journal.toByteArray());

		List<Operation> read = new ArrayList<>();
		List<long[]> damage = new ArrayList<>();
		RecoveryReport.DroppedRecord torn = null;
		try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
			long position = 0;
			while (position < in.size()) {
				LineBatch batch = LineBatch.read(in, position, in.size(), 1_000).decode(this.format, this.shared);
				assertThat(batch.end()).isGreaterThan(position);
				position = batch.end();
				for (int i = 0; i < batch.count(); i++) {
					if (batch.decoded(i) instanceof JournalRecord.Put put) {
						read.add(put.operation());
					}
					else {
						assertThat(batch.decoded(i)).isInstanceOf(JournalRecord.Damaged.class);
						damage.add(new long[] { batch.offset(i), batch.length(i) });
					}
				}
				if (batch.tornLine() != null) {
					assertThat(torn).isNull();
					torn = batch.tornLine();
				}
			}
		}
		// Opening leaves payloads on disk: a stand-in takes their place.
		assertThat(read).extracting(Operation::id, Operation::createdAt)
			.containsExactlyElementsOf(written.stream().map((operation) -> tuple(operation.id(), operation.createdAt())).toList());
		// The 2,500 bytes come in pieces of at most 1,000, one after another, covering all of them.
		assertThat(damage).hasSizeGreaterThanOrEqualTo(3);
		assertThat(damage.get(0)[0]).isEqualTo(damageStart);
		for (int i = 1; i < damage.size(); i++) {
			assertThat(damage.get(i)[0]).isEqualTo(damage.get(i - 1)[0] + damage.get(i - 1)[1]);
			assertThat(damage.get(i - 1)[1]).isLessThanOrEqualTo(1_000);
		}
		long[] last = damage.get(damage.size() - 1);
		assertThat(last[0] + last[1]).isEqualTo(damageEnd);
		assertThat(torn).isNotNull();
		assertThat(torn.offset()).isEqualTo(tornStart);
		assertThat(torn.length()).isEqualTo(tornRecord.length - 20);
	}

}
