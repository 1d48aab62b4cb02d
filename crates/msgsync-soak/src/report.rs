//! What the soak found, shared by its tasks: violations as they happen, and the state of the
//! chaos the others must know (whether the disk is full, whether the chaos is over).

use std::fmt::Display;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// The state every task of the soak shares.
pub struct Ctx {
    pub seed: u64,
    report: Mutex<Vec<String>>,
    findings: Mutex<Vec<String>>,
    disk_full: AtomicBool,
    /// Disk fills so far.
    fills: AtomicU32,
    stopping: AtomicBool,
    /// Resyncs the drivers are following now (started, no outcome seen yet).
    in_flight: AtomicUsize,
}

impl Ctx {
    pub fn new(seed: u64) -> Arc<Ctx> {
        Arc::new(Ctx {
            seed,
            report: Mutex::new(Vec::new()),
            findings: Mutex::new(Vec::new()),
            disk_full: AtomicBool::new(false),
            fills: AtomicU32::new(0),
            stopping: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
        })
    }

    /// Records a broken guarantee of msgsync: `who` names the account and its scenario (or
    /// the part of the soak), `what` what happened. Printed at once, and again at the end.
    pub fn violation(&self, who: &str, what: impl Display) {
        let line = format!("{who}: {what}");
        eprintln!("VIOLATION (seed {}) {line}", self.seed);
        self.report
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(line);
    }

    pub fn violations(&self) -> Vec<String> {
        self.report
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Records something wrong that no guarantee covers yet: printed at the end, not a
    /// failure of the soak.
    pub fn finding(&self, what: impl Display) {
        let line = what.to_string();
        eprintln!("FINDING (seed {}) {line}", self.seed);
        self.findings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(line);
    }

    pub fn findings(&self) -> Vec<String> {
        self.findings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Counts a resync as followed until the guard is dropped.
    pub fn follow(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self.clone())
    }

    pub fn disk_full(&self) -> bool {
        self.disk_full.load(Ordering::SeqCst)
    }

    /// The disk is full now (a fill), or free again.
    pub fn set_disk_full(&self, full: bool) {
        if full {
            self.fills.fetch_add(1, Ordering::SeqCst);
        }
        self.disk_full.store(full, Ordering::SeqCst);
    }

    pub fn fills(&self) -> u32 {
        self.fills.load(Ordering::SeqCst)
    }

    /// Whether the chaos is over: resyncs finish, nothing new starts.
    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }
}

/// A resync being followed; see [`Ctx::follow`].
pub struct InFlight(Arc<Ctx>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}
