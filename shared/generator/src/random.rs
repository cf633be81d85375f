//! The seeded random source: xoshiro256** seeded through SplitMix64.
//!
//! Both algorithms are fixed here in integer arithmetic, so one seed gives the
//! same sequence on every platform and with every version of every dependency.

/// A deterministic pseudo-random source; never use it for anything secret.
#[derive(Debug, Clone)]
pub struct SeededRandom {
    state: [u64; 4],
}

impl SeededRandom {
    /// Starts the sequence for `seed`; equal seeds give equal sequences.
    pub fn new(seed: u64) -> Self {
        let mut splitmix = seed;
        let state = [
            splitmix64(&mut splitmix),
            splitmix64(&mut splitmix),
            splitmix64(&mut splitmix),
            splitmix64(&mut splitmix),
        ];
        Self { state }
    }

    /// An independent sequence for one purpose (`stream`), so that adding a draw
    /// in one part of the generator does not shift every other part.
    pub fn fork(&self, stream: u64) -> Self {
        let mixed = self.state[0] ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Self::new(mixed.rotate_left(17) ^ self.state[3])
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.state[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let shifted = self.state[1] << 17;

        self.state[2] ^= self.state[0];
        self.state[3] ^= self.state[1];
        self.state[1] ^= self.state[2];
        self.state[0] ^= self.state[3];
        self.state[2] ^= shifted;
        self.state[3] = self.state[3].rotate_left(45);

        result
    }

    /// A number in `0..bound` without modulo bias; `bound` 0 gives 0.
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        let wide = u128::from(self.next_u64()) * u128::from(bound);
        (wide >> 64) as u64
    }

    /// A number in `low..=high` (inclusive); gives `low` when `high < low`.
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        let span = high.abs_diff(low) + 1;
        low.wrapping_add_unsigned(self.below(span))
    }

    /// True with probability `per_mille` / 1000.
    pub fn chance(&mut self, per_mille: u32) -> bool {
        self.below(1000) < u64::from(per_mille)
    }

    /// One element of `items`, uniformly; `None` when `items` is empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let index = self.below(items.len() as u64);
        items.get(usize::try_from(index).ok()?)
    }

    /// The index of one of `weights`, each chosen in proportion to its weight;
    /// `None` when every weight is zero.
    pub fn weighted_index(&mut self, weights: &[u32]) -> Option<usize> {
        let total: u64 = weights.iter().map(|weight| u64::from(*weight)).sum();
        if total == 0 {
            return None;
        }

        let mut ticket = self.below(total);
        for (index, weight) in weights.iter().enumerate() {
            let weight = u64::from(*weight);
            if ticket < weight {
                return Some(index);
            }
            ticket -= weight;
        }
        None
    }
}

/// One SplitMix64 step: spreads a simple counter into well-mixed seeds.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut mixed = *state;
    mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    mixed ^ (mixed >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_the_published_reference_sequence() {
        // Reference values of SplitMix64 started from state 0.
        let mut state = 0;
        assert_eq!(splitmix64(&mut state), 0xE220_A839_7B1D_CDAF);
        assert_eq!(splitmix64(&mut state), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn same_seed_gives_same_sequence_and_other_seed_another() {
        let draw = |seed| {
            let mut random = SeededRandom::new(seed);
            (0..8).map(|_| random.next_u64()).collect::<Vec<_>>()
        };

        assert_eq!(draw(42), draw(42));
        assert_ne!(draw(42), draw(43));
    }

    #[test]
    fn between_stays_inside_its_bounds_and_reaches_both_ends() {
        let mut random = SeededRandom::new(7);
        let draws: Vec<i64> = (0..2_000).map(|_| random.between(-3, 3)).collect();

        assert!(draws.iter().all(|draw| (-3..=3).contains(draw)));
        assert!(draws.contains(&-3));
        assert!(draws.contains(&3));
    }

    #[test]
    fn weighted_index_never_picks_a_zero_weight() {
        let mut random = SeededRandom::new(9);
        let picks: Vec<usize> = (0..1_000)
            .filter_map(|_| random.weighted_index(&[5, 0, 5]))
            .collect();

        assert_eq!(picks.len(), 1_000);
        assert!(!picks.contains(&1));
        assert_eq!(random.weighted_index(&[0, 0]), None);
    }
}
