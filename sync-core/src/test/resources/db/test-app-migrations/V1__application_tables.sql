-- An application's own first migration, applied before it added offline-sync.
CREATE TABLE notes (id BIGINT PRIMARY KEY, text VARCHAR(200));
