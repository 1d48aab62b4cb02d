//! A tiny hash and random stream of our own.
//!
//! The sandbox promises the same data for the same seed across restarts, machines and Rust
//! versions, so nothing here may come from std's `DefaultHasher` (whose algorithm may change)
//! or from a crate whose output could change with an upgrade. splitmix64 is a few lines,
//! well studied, and good enough for test data.

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// The splitmix64 finalizer: a bijective, well-avalanching mix of 64 bits.
pub(crate) const fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hashes a tuple of words, order-sensitive.
pub(crate) fn hash(words: &[u64]) -> u64 {
    // "msgsync" in ASCII: any fixed start value works, it only has to never change.
    let mut h = 0x006d_7367_7379_6e63_u64;
    for &w in words {
        h = mix(h ^ mix(w.wrapping_add(GOLDEN)));
    }
    h
}

/// A uniform integer in `0..n` (0 when `n` is 0) from 64 random bits, by multiply-shift: no
/// modulo bias worth speaking of for the small ranges used here, and no loop.
pub(crate) fn below(bits: u64, n: u64) -> u64 {
    ((u128::from(bits) * u128::from(n)) >> 64) as u64
}

/// A uniform float in `(0, 1]` from 64 random bits.
pub(crate) fn unit(bits: u64) -> f64 {
    ((bits >> 11) + 1) as f64 / (1u64 << 53) as f64
}

/// A splitmix64 stream seeded from a hash: one per generated entity (chat, message). The
/// order of the draws made from it is part of the data format.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(words: &[u64]) -> Rng {
        Rng(hash(words))
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix(self.0)
    }

    /// Uniform in `0..n`.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        below(self.next(), n)
    }

    /// Uniform in `lo..=hi` (`lo` when `hi < lo`).
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo).saturating_add(1))
    }

    /// True with probability `percent` / 100.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One element of a non-empty list.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let i = self.below(items.len() as u64) as usize;
        // `below(n) < n`; the lists are non-empty constants, so this never falls back.
        &items[i.min(items.len().saturating_sub(1))]
    }
}

/// A keyed bijection of `u32` (a 4-round Feistel network): distinct inputs give distinct,
/// random-looking outputs, which is how ids drawn for distinct chats stay unique.
pub(crate) fn permute32(key: u64, x: u32) -> u32 {
    let (mut left, mut right) = ((x >> 16) as u16, x as u16);
    for round in 0..4u64 {
        let f = hash(&[key, round, u64::from(right)]) as u16;
        (left, right) = (right, left ^ f);
    }
    (u32::from(left) << 16) | u32::from(right)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable() {
        // Pinned values: if these change, every sandbox data set changes.
        assert_eq!(mix(0), 0);
        assert_eq!(mix(1), 0x5692_161d_100b_05e5);
        assert_eq!(hash(&[]), 0x006d_7367_7379_6e63);
        assert_ne!(hash(&[1, 2]), hash(&[2, 1]));
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = Rng::new(&[7]);
        for n in [1u64, 2, 3, 10, 1000, u64::MAX] {
            for _ in 0..1000 {
                assert!(rng.below(n) < n);
            }
        }
        assert_eq!(rng.below(0), 0);
        for _ in 0..1000 {
            let u = unit(rng.next());
            assert!(u > 0.0 && u <= 1.0);
            let r = rng.range(3, 5);
            assert!((3..=5).contains(&r));
        }
    }

    #[test]
    fn permutation_is_injective() {
        let mut seen = std::collections::HashSet::new();
        for x in 0..200_000u32 {
            assert!(seen.insert(permute32(42, x)));
        }
        assert!(seen.insert(permute32(42, u32::MAX)));
    }
}
