//! An in-process HTTP load generator: N connections hammering one URL for a while.

use std::time::{Duration, Instant};

/// What one or more rounds of load on one URL measured.
#[derive(Default)]
pub struct LoadResult {
    latencies: Vec<Duration>,
    elapsed: Duration,
    pub errors: u64,
}

impl LoadResult {
    pub fn requests(&self) -> u64 {
        self.latencies.len() as u64
    }

    pub fn rps(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// The `p`-quantile latency in milliseconds (`merge` keeps latencies sorted).
    pub fn percentile_ms(&self, p: f64) -> f64 {
        let index = ((self.latencies.len() as f64 * p) as usize)
            .min(self.latencies.len().saturating_sub(1));
        self.latencies
            .get(index)
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    }

    /// Adds another round of the same URL.
    pub fn merge(&mut self, other: LoadResult) {
        self.latencies.extend(other.latencies);
        self.latencies.sort_unstable();
        self.elapsed += other.elapsed;
        self.errors += other.errors;
    }
}

pub async fn hammer(
    url: &str,
    key: &str,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<LoadResult> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .build()?;
    let started = Instant::now();
    let deadline = started + duration;
    let workers = (0..connections).map(|_| {
        let client = client.clone();
        let url = url.to_owned();
        let key = key.to_owned();
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                let ok = match client.get(&url).header("X-API-KEY", &key).send().await {
                    Ok(resp) => resp.status().is_success() && resp.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if ok {
                    latencies.push(t.elapsed());
                } else {
                    errors += 1;
                }
            }
            (latencies, errors)
        })
    });
    let mut result = LoadResult::default();
    for worker in futures::future::join_all(workers).await {
        let (latencies, errors) = worker?;
        result.latencies.extend(latencies);
        result.errors += errors;
    }
    result.elapsed = started.elapsed();
    result.latencies.sort_unstable();
    Ok(result)
}
