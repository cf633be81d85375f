//! Which open items one payment covers when the payer said nothing: a
//! bounded search for combinations of amounts adding up to the payment,
//! preferring the oldest items, that gives up cleanly when the search grows
//! too large.

/// What the combination search found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubsetSearch {
    /// Combinations found, as positions in the amounts given, each in
    /// ascending order; the first prefers the earliest positions.
    pub solutions: Vec<Vec<usize>>,
    /// True when the step budget ran out before the search was complete.
    pub gave_up: bool,
}

/// The bounds of one search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubsetBounds {
    /// Smallest acceptable total, in minor units.
    pub low: i64,
    /// Largest acceptable total, in minor units.
    pub high: i64,
    /// The most amounts in one combination.
    pub max_size: usize,
    /// The most steps the search may take.
    pub budget: usize,
    /// How many combinations to find before stopping: two are enough to
    /// know a match is ambiguous.
    pub wanted: usize,
}

/// Combinations of `amounts` (positive, in minor units, oldest first) whose
/// total lies within the bounds.
///
/// The search tries including each amount before skipping it, in the order
/// given, so the first combination found is the one made of the oldest
/// items; branches that can no longer reach the low bound or already passed
/// the high one are cut.
pub fn find_subsets(amounts: &[i64], bounds: SubsetBounds) -> SubsetSearch {
    let mut reachable = vec![0_i64; amounts.len() + 1];
    for position in (0..amounts.len()).rev() {
        reachable[position] = reachable[position + 1].saturating_add(amounts[position].max(0));
    }

    let mut search = Search {
        amounts,
        reachable: &reachable,
        bounds,
        steps: 0,
        chosen: Vec::new(),
        found: SubsetSearch::default(),
    };
    search.explore(0, 0);
    search.found
}

struct Search<'a> {
    amounts: &'a [i64],
    reachable: &'a [i64],
    bounds: SubsetBounds,
    steps: usize,
    chosen: Vec<usize>,
    found: SubsetSearch,
}

impl Search<'_> {
    fn explore(&mut self, position: usize, total: i64) {
        if self.is_finished() {
            return;
        }
        self.steps += 1;
        if self.steps > self.bounds.budget {
            self.found.gave_up = true;
            return;
        }

        // A combination in range is kept, and not extended further.
        if !self.chosen.is_empty() && (self.bounds.low..=self.bounds.high).contains(&total) {
            self.found.solutions.push(self.chosen.clone());
            return;
        }

        let remaining = self.reachable.get(position).copied().unwrap_or(0);
        let can_grow = position < self.amounts.len() && self.chosen.len() < self.bounds.max_size;
        if !can_grow || total.saturating_add(remaining) < self.bounds.low {
            return;
        }

        let amount = self.amounts[position];
        if amount > 0 && total.saturating_add(amount) <= self.bounds.high {
            self.chosen.push(position);
            self.explore(position + 1, total + amount);
            self.chosen.pop();
        }
        self.explore(position + 1, total);
    }

    fn is_finished(&self) -> bool {
        self.found.gave_up || self.found.solutions.len() >= self.bounds.wanted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds(low: i64, high: i64) -> SubsetBounds {
        SubsetBounds {
            low,
            high,
            max_size: 6,
            budget: 100_000,
            wanted: 2,
        }
    }

    #[test]
    fn three_invoices_adding_up_to_the_payment_are_found() {
        let amounts = [12_000, 7_550, 30_000, 4_450, 99_999];

        let search = find_subsets(&amounts, bounds(24_000, 24_000));

        assert_eq!(search.solutions, [vec![0, 1, 3]]);
        assert!(!search.gave_up);
    }

    #[test]
    fn combinations_within_tolerance_are_accepted_and_outside_it_refused() {
        let amounts = [10_000, 20_000];

        let fee_taken = find_subsets(&amounts, bounds(29_950, 30_050));
        let too_far = find_subsets(&amounts, bounds(29_800, 29_850));

        assert_eq!(fee_taken.solutions, [vec![0, 1]]);
        assert!(too_far.solutions.is_empty());
    }

    #[test]
    fn the_oldest_items_are_preferred_and_a_second_combination_shows_ambiguity() {
        let amounts = [5_000, 8_000, 5_000, 8_000];

        let search = find_subsets(&amounts, bounds(13_000, 13_000));

        assert_eq!(search.solutions, [vec![0, 1], vec![0, 3]]);
    }

    #[test]
    fn combinations_larger_than_the_cap_are_not_searched() {
        let amounts = [1_000; 8];

        let capped = find_subsets(
            &amounts,
            SubsetBounds {
                max_size: 3,
                ..bounds(8_000, 8_000)
            },
        );
        let allowed = find_subsets(
            &amounts,
            SubsetBounds {
                max_size: 8,
                ..bounds(8_000, 8_000)
            },
        );

        assert!(capped.solutions.is_empty());
        assert_eq!(allowed.solutions, [vec![0, 1, 2, 3, 4, 5, 6, 7]]);
    }

    #[test]
    fn the_search_gives_up_cleanly_when_its_budget_runs_out() {
        // No combination of even amounts reaches an odd total: the search
        // must try them all, which the small budget does not allow.
        let amounts: Vec<i64> = (1..=40).map(|n| n * 2).collect();

        let search = find_subsets(
            &amounts,
            SubsetBounds {
                budget: 1_000,
                ..bounds(301, 301)
            },
        );

        assert!(search.gave_up);
        assert!(search.solutions.is_empty());
    }
}
