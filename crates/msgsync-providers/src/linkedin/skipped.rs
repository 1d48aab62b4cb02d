//! What a session skipped because LinkedIn's answer could not be used: counted, and told once
//! per sync (a session serves one sync), so that a changed answer shape shows in the log
//! without flooding it.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

#[derive(Default)]
pub(crate) struct Skipped {
    counts: Mutex<BTreeMap<&'static str, u64>>,
}

impl Skipped {
    /// Counts `n` records skipped for `why`; the first of each reason is logged.
    pub(crate) fn note(&self, why: &'static str, n: u64) {
        if n == 0 {
            return;
        }
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let count = counts.entry(why).or_insert(0);
        if *count == 0 {
            tracing::warn!(
                reason = why,
                "LinkedIn answered records msgsync cannot use; they are skipped and counted \
                 (said once per sync, totals at its end)"
            );
        }
        *count += n;
    }

    /// How many were skipped for `why`.
    #[cfg(test)]
    pub(crate) fn count(&self, why: &str) -> u64 {
        self.counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(why)
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for Skipped {
    fn drop(&mut self) {
        let counts = self
            .counts
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if !counts.is_empty() {
            tracing::warn!(skipped = ?counts, "records of LinkedIn's answers skipped in this sync");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_records_are_counted_by_reason() {
        let s = Skipped::default();
        s.note("a", 1);
        s.note("a", 2);
        s.note("b", 0);
        assert_eq!((s.count("a"), s.count("b")), (3, 0));
    }
}
