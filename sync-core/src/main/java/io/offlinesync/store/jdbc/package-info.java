/**
 * The JDBC store: operations in one table of the application's database (PostgreSQL or H2), claimed with row locks
 * that other instances skip, so that several instances share one table.
 *
 * @since 0.1.0
 */
@NullMarked
package io.offlinesync.store.jdbc;

import org.jspecify.annotations.NullMarked;
