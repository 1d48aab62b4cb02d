//! The message times of one chat.
//!
//! Each message's time is an independent uniform draw over the span (its `slot`, in time units
//! from the span's start), and it must depend only on the message index, never on the message
//! count. A chat's last activity is the largest slot among its first `n` draws; computed
//! naively that is `n` draws per chat, so listing 100 000 chats of 100 000 messages would take
//! 10^10 hashes. Instead the draws are generated through their *records* (the draws larger than
//! every earlier one), which is an exact way to sample an i.i.d. sequence:
//!
//! - draw 0 is a record, uniform over the slots;
//! - after a record of value `m`, each following draw exceeds `m` with probability
//!   `p = (slots - 1 - m) / slots`, so the gap to the next record is geometric(`p`), and the
//!   next record is uniform over the slots above `m`;
//! - a draw between two records is uniform over `0..=m` (it did not exceed `m`).
//!
//! Records are hashed from their rank and the other draws from their index, so the sequence is
//! fixed whatever `n`; the largest of the first `n` draws is the last record before `n`, found
//! after about `ln n` steps.

use super::hash::{below, hash, unit};

const RECORD_VALUE: u64 = 1;
const RECORD_GAP: u64 = 2;
const NON_RECORD: u64 = 3;

/// Gaps are capped here, beyond any message index (`u32`): the cap changes nothing observable.
const GAP_BITS: u32 = 32;

#[derive(Debug, Clone, Copy)]
struct Record {
    index: u64,
    value: u64,
    rank: u64,
}

/// The draws of one chat: `slots` possible values, keyed by the chat.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeline {
    key: u64,
    slots: u64,
}

impl Timeline {
    pub(crate) fn new(key: u64, slots: u64) -> Timeline {
        Timeline {
            key,
            slots: slots.max(1),
        }
    }

    fn first(&self) -> Record {
        Record {
            index: 0,
            value: below(hash(&[self.key, RECORD_VALUE, 0]), self.slots),
            rank: 0,
        }
    }

    fn next(&self, r: Record) -> Option<Record> {
        let higher = self.slots - 1 - r.value;
        if higher == 0 {
            return None;
        }
        let stay = (r.value + 1) as f64 / self.slots as f64;
        let u = unit(hash(&[self.key, RECORD_GAP, r.rank]));
        let rank = r.rank + 1;
        Some(Record {
            index: r.index.saturating_add(geometric(stay, u)),
            value: r.value + 1 + below(hash(&[self.key, RECORD_VALUE, rank]), higher),
            rank,
        })
    }

    /// The last record at an index below `n` (`n` ≥ 1).
    fn last_record_below(&self, n: u64) -> Record {
        let mut r = self.first();
        while let Some(next) = self.next(r).filter(|next| next.index < n) {
            r = next;
        }
        r
    }

    /// The largest of the first `n` draws; `None` when `n` is 0.
    pub(crate) fn max_of_first(&self, n: u64) -> Option<u64> {
        (n > 0).then(|| self.last_record_below(n).value)
    }

    /// Draw `j`.
    pub(crate) fn value(&self, j: u64) -> u64 {
        let r = self.last_record_below(j + 1);
        if r.index == j {
            r.value
        } else {
            self.non_record(j, r.value)
        }
    }

    /// The first `n` draws, in one pass.
    pub(crate) fn values(&self, n: u64) -> Vec<u64> {
        let mut out = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
        let mut current = self.first();
        let mut upcoming = self.next(current);
        for j in 0..n {
            match upcoming {
                Some(r) if r.index == j => {
                    current = r;
                    upcoming = self.next(r);
                    out.push(r.value);
                }
                _ if j == current.index => out.push(current.value),
                _ => out.push(self.non_record(j, current.value)),
            }
        }
        out
    }

    fn non_record(&self, j: u64, max: u64) -> u64 {
        below(hash(&[self.key, NON_RECORD, j]), max + 1)
    }
}

/// A geometric draw: the number of trials up to the first success, where a trial fails with
/// probability `stay`, from a uniform `u` in `(0, 1]`: `1 + max { g : stay^g ≥ u }`.
///
/// Computed with squarings and products only, which IEEE 754 rounds the same everywhere; a
/// logarithm would depend on the platform's libm, and the data must not.
fn geometric(stay: f64, u: f64) -> u64 {
    let mut powers = [0.0f64; GAP_BITS as usize];
    let mut p = stay;
    for slot in powers.iter_mut() {
        *slot = p;
        p *= p;
    }
    let (mut acc, mut g) = (1.0f64, 0u64);
    for (bit, power) in powers.iter().enumerate().rev() {
        let next = acc * power;
        if next >= u {
            acc = next;
            g += 1 << bit;
        }
    }
    g + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pass_and_random_access_agree() {
        for key in 0..50 {
            let t = Timeline::new(key, 1_000_000 + key * 7);
            let all = t.values(500);
            for (j, v) in all.iter().enumerate() {
                assert_eq!(t.value(j as u64), *v);
                assert!(*v < t.slots);
            }
            for n in [1u64, 2, 3, 10, 77, 500] {
                let naive = all[..n as usize].iter().max().copied();
                assert_eq!(t.max_of_first(n), naive, "key {key}, n {n}");
            }
            assert_eq!(t.max_of_first(0), None);
        }
    }

    #[test]
    fn tiny_slot_counts_work() {
        for slots in [1u64, 2, 3] {
            let t = Timeline::new(5, slots);
            let all = t.values(100);
            assert!(all.iter().all(|v| *v < slots));
            assert_eq!(t.max_of_first(100), all.iter().max().copied());
        }
    }

    #[test]
    fn draws_are_uniform() {
        // 20 000 draws over 10 buckets: each bucket within 10% of its expected 2 000.
        let mut buckets = [0u32; 10];
        for key in 0..400 {
            let t = Timeline::new(key, 86_400_000);
            for v in t.values(50) {
                buckets[(v * 10 / 86_400_000) as usize] += 1;
            }
        }
        for b in buckets {
            assert!((1800..=2200).contains(&b), "{buckets:?}");
        }
    }

    #[test]
    fn maxima_have_the_right_law() {
        // The largest of n uniforms on [0,1) has mean n / (n + 1).
        let n = 50u64;
        let slots = 1_000_000_000u64;
        let keys = 4000;
        let mean: f64 = (0..keys)
            .filter_map(|key| Timeline::new(key, slots).max_of_first(n))
            .map(|m| m as f64 / slots as f64)
            .sum::<f64>()
            / keys as f64;
        let expected = n as f64 / (n + 1) as f64;
        assert!((mean - expected).abs() < 0.002, "{mean} vs {expected}");
    }

    #[test]
    fn geometric_has_the_right_mean() {
        // Mean 1/p for p = 0.1.
        let draws = 20_000;
        let total: u64 = (0..draws).map(|k| geometric(0.9, unit(hash(&[k])))).sum();
        let mean = total as f64 / draws as f64;
        assert!((mean - 10.0).abs() < 0.3, "{mean}");
        assert_eq!(geometric(0.0, 0.5), 1);
    }
}
