//! The generator's random numbers: splitmix64, seeded by the program's seed,
//! so a seed names one program on every machine and every run.

/// A splitmix64 generator (Steele, Lea and Flood, "Fast splittable
/// pseudorandom number generators", 2014).
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    /// The generator for one seed.
    pub(crate) fn new(seed: u64) -> Self {
        Rng {
            state: seed ^ 0x5eed_f022_de5a_6a12,
        }
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "`below(0)`");
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `low..=high`.
    pub(crate) fn between(&mut self, low: u32, high: u32) -> u32 {
        low + self.below((high - low + 1) as usize) as u32
    }

    /// `true` with the given probability, in percent.
    pub(crate) fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent as usize
    }

    /// One of `items`, uniformly.
    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// The index of one of `weights`, with probability proportional to its
    /// weight; `None` when all weights are zero.
    pub(crate) fn weighted(&mut self, weights: &[u32]) -> Option<usize> {
        let total: u32 = weights.iter().sum();
        if total == 0 {
            return None;
        }
        let mut at = self.below(total as usize) as u32;
        for (index, &weight) in weights.iter().enumerate() {
            if at < weight {
                return Some(index);
            }
            at -= weight;
        }
        unreachable!("`at` is below the total")
    }
}
