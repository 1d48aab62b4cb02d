//! PostgreSQL for the cluster figures: a fresh database per figure, dropped at its end, and
//! `msgsync serve` nodes sharing one.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use msgsync_harness::{Server, ServerOptions};
use sqlx::{Connection, PgConnection};

/// The default PostgreSQL server (and its maintenance database) the figures create their
/// databases through.
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Every node of a cluster must hold the same master key (any 32 bytes, hex).
const MASTER_KEY: &str = "6d7367737966632d62656e63682d6b65792d3030303030303030303030303031";

/// Sandbox data anchored at a fixed instant, so that every node's simulators serve the same
/// accounts (a job created through one node may run on another, against that node's simulator).
const SANDBOX_EPOCH: &str = "2026-01-01";

/// How many log lines each node keeps: enough for every `sync started` of the largest figure
/// (1,000 accounts), which is how the runner of a sync is found.
const NODE_LOG_LINES: usize = 20_000;

/// Fails with one clear sentence when PostgreSQL cannot be reached: the PostgreSQL figures
/// never skip silently.
pub async fn check_reachable(admin: &str) -> anyhow::Result<()> {
    let conn = admin_connection(admin).await?;
    conn.close().await?;
    Ok(())
}

async fn admin_connection(admin: &str) -> anyhow::Result<PgConnection> {
    PgConnection::connect(admin).await.with_context(|| {
        format!(
            "PostgreSQL is needed for the PostgreSQL and cluster figures and is not reachable at \
             {admin}; start it or pass --pg-url"
        )
    })
}

/// A database of the figure's own, dropped (with whatever connections are left on it) by
/// [`Database::drop_now`] or, on an error path, when dropped.
pub struct Database {
    admin: String,
    name: String,
    pub url: String,
    dropped: bool,
}

impl Database {
    pub async fn create(admin: &str, purpose: &str) -> anyhow::Result<Database> {
        let mut conn = admin_connection(admin).await?;
        let name = format!(
            "msgsync_bench_{purpose}_{}_{}",
            std::process::id(),
            unique()
        );
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .with_context(|| format!("creating database {name}"))?;
        conn.close().await?;
        let base = admin
            .rsplit_once('/')
            .context("the PostgreSQL URL names no database")?
            .0;
        Ok(Database {
            admin: admin.to_owned(),
            url: format!("{base}/{name}"),
            name,
            dropped: false,
        })
    }

    /// Drops the database now (its nodes should be stopped first; any connection left is
    /// closed by `WITH (FORCE)`).
    pub async fn drop_now(mut self) -> anyhow::Result<()> {
        self.dropped = true;
        drop_database(&self.admin, &self.name).await
    }
}

async fn drop_database(admin: &str, name: &str) -> anyhow::Result<()> {
    let mut conn = admin_connection(admin).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .with_context(|| format!("dropping database {name}"))?;
    conn.close().await?;
    Ok(())
}

impl Drop for Database {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // An error path: dropped from a thread of its own with a runtime of its own, since
        // this may run inside the bench's runtime (which cannot block on itself).
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                if let Err(e) = runtime.block_on(drop_database(&admin, &name)) {
                    eprintln!("could not drop database {name}: {e:#}");
                }
            }
        })
        .join();
    }
}

/// A name part no other database of this process has.
fn unique() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{}_{nanos}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// `count` nodes on one fresh database, started one after the other (the first applies the
/// migrations). Each has its own API key, valid on every node since keys live in the database.
pub struct Cluster {
    pub nodes: Vec<Server>,
    // Last: the nodes stop before their database goes.
    db: Database,
}

impl Cluster {
    pub async fn start(
        bin: &Path,
        admin: &str,
        purpose: &str,
        count: usize,
        env: &[(&str, String)],
    ) -> anyhow::Result<Cluster> {
        let db = Database::create(admin, purpose).await?;
        let mut all = vec![
            ("MSGSYNC_DATABASE_URL".to_owned(), db.url.clone()),
            ("MSGSYNC_MASTER_KEY".to_owned(), MASTER_KEY.to_owned()),
            ("MSGSYNC_SANDBOX_EPOCH".to_owned(), SANDBOX_EPOCH.to_owned()),
        ];
        all.extend(env.iter().map(|(k, v)| (k.to_string(), v.clone())));
        let mut nodes = Vec::with_capacity(count);
        for _ in 0..count {
            let options = ServerOptions {
                env: all.clone(),
                tail_lines: NODE_LOG_LINES,
                ..ServerOptions::default()
            };
            // On an error the nodes started so far stop and `db` is dropped with them.
            nodes.push(Server::start_with(bin, options).await?);
        }
        Ok(Cluster { nodes, db })
    }

    pub fn database_url(&self) -> &str {
        &self.db.url
    }

    /// The node whose log says it started (or resumed) a run of `account`'s sync, other than
    /// those in `besides`; waits up to `within`.
    pub async fn runner(
        &self,
        account: &str,
        besides: &[usize],
        within: Duration,
    ) -> anyhow::Result<usize> {
        let deadline = Instant::now() + within;
        loop {
            for (i, node) in self.nodes.iter().enumerate() {
                if !besides.contains(&i) && node.log_has(&[account, "sync started"]) {
                    return Ok(i);
                }
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "no node logged that it runs the sync of {account} within {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Stops the nodes, then drops the database.
    pub async fn stop(self) -> anyhow::Result<()> {
        let Cluster { nodes, db } = self;
        drop(nodes);
        db.drop_now().await
    }
}
