//! `GET /metrics`: the node's metrics in Prometheus' text format — the engine's, the HTTP
//! layer's (requests by route and status, their latency), and the sync queue read from the
//! database at scrape time.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use msgsync_core::time::now_ms;
use prometheus::{
    exponential_buckets, Encoder, Gauge, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec,
    Opts, Registry, TextEncoder,
};

use crate::app::AppState;
use crate::error::AppError;

pub struct HttpMetrics {
    requests: IntCounterVec,
    duration: HistogramVec,
    jobs: GaugeVec,
    oldest_due: Gauge,
}

/// The route label of a request no route matched: the label set stays bounded whatever paths
/// clients try.
const UNMATCHED: &str = "unmatched";

impl HttpMetrics {
    pub fn new(registry: &Registry) -> prometheus::Result<HttpMetrics> {
        let metrics = HttpMetrics {
            requests: IntCounterVec::new(
                Opts::new("msgsync_http_requests_total", "HTTP requests answered"),
                &["method", "route", "status"],
            )?,
            duration: HistogramVec::new(
                HistogramOpts::new(
                    "msgsync_http_request_duration_seconds",
                    "Time to answer an HTTP request (to its first byte)",
                )
                .buckets(exponential_buckets(0.0001, 4.0, 10)?),
                &["method", "route"],
            )?,
            jobs: GaugeVec::new(
                Opts::new(
                    "msgsync_sync_jobs",
                    "Sync jobs queued or running, at scrape time",
                ),
                &["state", "provider"],
            )?,
            oldest_due: Gauge::new(
                "msgsync_sync_queue_oldest_due_seconds",
                "How long the queued sync due longest ago has waited for a worker",
            )?,
        };
        registry.register(Box::new(metrics.requests.clone()))?;
        registry.register(Box::new(metrics.duration.clone()))?;
        registry.register(Box::new(metrics.jobs.clone()))?;
        registry.register(Box::new(metrics.oldest_due.clone()))?;
        Ok(metrics)
    }
}

/// Counts every request by its route template (`/api/v1/chats/{chat_id}`), never its path.
pub async fn count_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED.to_owned(), |p| p.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    let metrics = &state.metrics;
    metrics
        .duration
        .with_label_values(&[&method, &route])
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .with_label_values(&[&method, &route, response.status().as_str()])
        .inc();
    response
}

crate::openapi::errors::route_errors!(MetricsErrors: ALWAYS; ServiceUnavailable);

/// Metrics in Prometheus' text format.
///
/// Syncs by outcome and provider with their durations, pages and messages fetched, provider
/// errors by kind, rate-limit waits, checkpoint latency and size, HTTP requests by route and
/// status with their latencies, the sync queue at scrape time. No key needed. Served here
/// unless `MSGSYNC_METRICS_LISTEN` gives the metrics an address of their own (then this
/// document does not list this route).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "Operations",
    operation_id = "get_metrics",
    responses(
        (status = 200, description = "The metrics", content_type = "text/plain", body = String),
        MetricsErrors,
    ),
)]
pub async fn get_metrics(State(state): State<AppState>) -> Result<Response, AppError> {
    let now = now_ms();
    let stats = state.store.sync_stats(now).await?;
    let metrics = &state.metrics;
    metrics.jobs.reset();
    for (job_state, provider, n) in &stats.active {
        metrics
            .jobs
            .with_label_values(&[job_state.as_str(), provider.as_str()])
            .set(*n as f64);
    }
    metrics.oldest_due.set(
        stats
            .oldest_due_at
            .map_or(0.0, |at| (now - at).max(0) as f64 / 1000.0),
    );
    let mut body = Vec::new();
    TextEncoder::new()
        .encode(&state.engine.registry().gather(), &mut body)
        .map_err(|e| AppError::Internal(format!("encoding the metrics: {e}")))?;
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}
