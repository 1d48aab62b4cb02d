//! What the generic code of this module needs of a database, so that code whose SQL is the
//! same in both dialects is written once for both backends.
//!
//! sqlx states what a database reads and binds type by type (`String: Decode<'r, Sqlite>`),
//! and a function generic over the database would have to repeat such bounds for every type
//! it touches, at every caller. Instead, [`Column`] and [`Value`] name the types both
//! databases read and bind (this is the one place that names both), [`ReadRow`] reads them
//! from either database's rows, and [`Dialect`] binds them and runs statements for a generic
//! database. The SQL itself is not here: `QueryBuilder` writes each dialect's placeholders,
//! and SQL that differs between the dialects stays in its backend.

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;

use sqlx::postgres::PgRow;
use sqlx::query_builder::Separated;
use sqlx::sqlite::SqliteRow;
use sqlx::{Database, Decode, Encode, Pool, Postgres, QueryBuilder, Row, Sqlite, Type};

/// A type both databases read from a column.
pub(crate) trait Column:
    for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}

impl<T> Column for T where
    T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres>
{
}

/// A type both databases bind as a parameter of a query built with lifetime `'q`.
pub(crate) trait Value<'q>:
    'q + Encode<'q, Sqlite> + Type<Sqlite> + Encode<'q, Postgres> + Type<Postgres>
{
}

impl<'q, T> Value<'q> for T where
    T: 'q + Encode<'q, Sqlite> + Type<Sqlite> + Encode<'q, Postgres> + Type<Postgres>
{
}

/// A statement's future. Boxed because the backends' `Store` methods must be `Send`, which a
/// future returned by a trait method can only promise as a named type; one allocation per
/// statement.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A row of either database; the record decoders take any.
pub(crate) trait ReadRow: Row {
    /// Reads column `name`, as `Row::try_get` does.
    fn read<T: Column>(&self, name: &str) -> sqlx::Result<T>;
}

impl ReadRow for SqliteRow {
    fn read<T: Column>(&self, name: &str) -> sqlx::Result<T> {
        self.try_get(name)
    }
}

impl ReadRow for PgRow {
    fn read<T: Column>(&self, name: &str) -> sqlx::Result<T> {
        self.try_get(name)
    }
}

/// A database the generic code runs on: SQLite or PostgreSQL.
pub(crate) trait Dialect: Database<Row: ReadRow> {
    /// What ends a claim's `SELECT` so that rows another transaction holds are passed over:
    /// PostgreSQL's `FOR UPDATE SKIP LOCKED`; nothing in SQLite, whose one writer holds them all.
    const SKIP_LOCKED: &'static str;

    /// Binds `value` as the next parameter of `sql`, as `QueryBuilder::push_bind` does.
    fn bind<'b, 'q, T: Value<'q>>(
        sql: &'b mut QueryBuilder<'q, Self>,
        value: T,
    ) -> &'b mut QueryBuilder<'q, Self>;

    /// Binds `value` as the next item of `list`, as `Separated::push_bind` does.
    fn bind_item<'q, S: Display, T: Value<'q>>(list: &mut Separated<'_, 'q, Self, S>, value: T);

    /// Runs the query `sql` holds on `db`; its rows.
    fn fetch_all<'a>(
        sql: &'a mut QueryBuilder<'_, Self>,
        db: &'a Pool<Self>,
    ) -> BoxFuture<'a, sqlx::Result<Vec<Self::Row>>>;

    /// Runs the query `sql` holds on `conn`; its rows.
    fn fetch_all_in<'a>(
        sql: &'a mut QueryBuilder<'_, Self>,
        conn: &'a mut Self::Connection,
    ) -> BoxFuture<'a, sqlx::Result<Vec<Self::Row>>>;

    /// Runs the statement `sql` holds on `conn`.
    fn execute<'a>(
        sql: &'a mut QueryBuilder<'_, Self>,
        conn: &'a mut Self::Connection,
    ) -> BoxFuture<'a, sqlx::Result<()>>;
}

/// The same bodies for both databases: each only calls sqlx, which knows the concrete types.
macro_rules! dialect {
    ($db:ty, $skip_locked:literal) => {
        impl Dialect for $db {
            const SKIP_LOCKED: &'static str = $skip_locked;

            fn bind<'b, 'q, T: Value<'q>>(
                sql: &'b mut QueryBuilder<'q, Self>,
                value: T,
            ) -> &'b mut QueryBuilder<'q, Self> {
                sql.push_bind(value)
            }

            fn bind_item<'q, S: Display, T: Value<'q>>(
                list: &mut Separated<'_, 'q, Self, S>,
                value: T,
            ) {
                list.push_bind(value);
            }

            fn fetch_all<'a>(
                sql: &'a mut QueryBuilder<'_, Self>,
                db: &'a Pool<Self>,
            ) -> BoxFuture<'a, sqlx::Result<Vec<Self::Row>>> {
                Box::pin(sql.build().fetch_all(db))
            }

            fn fetch_all_in<'a>(
                sql: &'a mut QueryBuilder<'_, Self>,
                conn: &'a mut Self::Connection,
            ) -> BoxFuture<'a, sqlx::Result<Vec<Self::Row>>> {
                Box::pin(sql.build().fetch_all(conn))
            }

            fn execute<'a>(
                sql: &'a mut QueryBuilder<'_, Self>,
                conn: &'a mut Self::Connection,
            ) -> BoxFuture<'a, sqlx::Result<()>> {
                Box::pin(async move {
                    sql.build().execute(conn).await?;
                    Ok(())
                })
            }
        }
    };
}

dialect!(Sqlite, "");
dialect!(Postgres, " FOR UPDATE SKIP LOCKED");

/// `.bind(value)` in a chain of `push`es, where `push_bind` would need the database's bounds.
pub(crate) trait Bind<'q> {
    fn bind<T: Value<'q>>(&mut self, value: T) -> &mut Self;
}

impl<'q, DB: Dialect> Bind<'q> for QueryBuilder<'q, DB> {
    fn bind<T: Value<'q>>(&mut self, value: T) -> &mut Self {
        DB::bind(self, value)
    }
}

impl<'q, DB: Dialect, S: Display> Bind<'q> for Separated<'_, 'q, DB, S> {
    fn bind<T: Value<'q>>(&mut self, value: T) -> &mut Self {
        DB::bind_item(self, value);
        self
    }
}
