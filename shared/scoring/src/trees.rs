//! A small gradient-boosted trees model: shallow regression trees grown on
//! the gradient and curvature of the loss (Newton boosting), on features cut
//! into quantile bins. Logistic loss for "paid late", squared or Huber loss
//! for days to settle. Deterministic: the same rows give the same model.

use serde::{Deserialize, Serialize};

use crate::ScoringError;
use crate::features::{Feature, Features};
use crate::linear::sigmoid;

/// What the trees minimise.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Loss {
    /// Log loss on 0/1 labels; predictions are log-odds.
    Logistic,
    /// Squared error.
    Squared,
    /// Pseudo-Huber: squared near the target, linear beyond `delta`, so a
    /// few extreme delays do not drag every prediction.
    Huber {
        /// Where the loss turns from squared to linear.
        delta: f64,
    },
}

impl Loss {
    /// First and second derivative of the loss at `prediction`.
    fn derivatives(self, prediction: f64, target: f64) -> (f64, f64) {
        match self {
            Loss::Logistic => {
                let probability = sigmoid(prediction);
                (
                    probability - target,
                    (probability * (1.0 - probability)).max(1e-6),
                )
            }
            Loss::Squared => (prediction - target, 1.0),
            Loss::Huber { delta } => {
                let scaled = (prediction - target) / delta;
                let root = (1.0 + scaled * scaled).sqrt();
                (
                    (prediction - target) / root,
                    (1.0 / (root * root * root)).max(1e-6),
                )
            }
        }
    }

    /// The best constant prediction: log-odds of the mean, the mean, or the
    /// median.
    fn base(self, targets: &[f64]) -> f64 {
        let mean = targets.iter().sum::<f64>() / targets.len().max(1) as f64;
        match self {
            Loss::Logistic => {
                let share = mean.clamp(1e-6, 1.0 - 1e-6);
                (share / (1.0 - share)).ln()
            }
            Loss::Squared => mean,
            Loss::Huber { .. } => crate::features::median(&mut targets.to_vec()).unwrap_or(mean),
        }
    }
}

/// How the trees are grown.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TreeSettings {
    /// How many trees.
    pub trees: usize,
    /// Splits from root to leaf at most.
    pub depth: usize,
    /// Shrinkage of each tree's contribution.
    pub learning_rate: f64,
    /// L2 penalty on leaf values.
    pub l2: f64,
    /// Smallest curvature (hessian sum) a leaf may hold.
    pub min_leaf_weight: f64,
    /// Quantile bins per feature.
    pub bins: usize,
    /// Share of rows each tree is grown on (the rest are left out).
    pub row_share: f64,
    /// Seed of the row sampling.
    pub seed: u64,
}

impl Default for TreeSettings {
    fn default() -> Self {
        TreeSettings {
            trees: 200,
            depth: 3,
            learning_rate: 0.05,
            l2: 1.0,
            min_leaf_weight: 5.0,
            bins: 32,
            row_share: 0.8,
            seed: 7,
        }
    }
}

/// One node of a tree; every node keeps the value a prediction would take
/// if the tree stopped there, which lets predictions be explained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Node {
    value: f64,
    split: Option<Split>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Split {
    feature: usize,
    /// Rows with a value at or below go left.
    threshold: f64,
    left: usize,
    right: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Tree {
    nodes: Vec<Node>,
}

impl Tree {
    /// The path of node positions from the root to the leaf `row` falls in.
    fn path(&self, row: &Features) -> Vec<usize> {
        let mut path = vec![0];
        let mut at = 0;
        while let Some(split) = self.nodes.get(at).and_then(|node| node.split.as_ref()) {
            at = if row.values[split.feature] <= split.threshold {
                split.left
            } else {
                split.right
            };
            path.push(at);
        }
        path
    }

    fn predict(&self, row: &Features) -> f64 {
        self.path(row)
            .last()
            .and_then(|at| self.nodes.get(*at))
            .map_or(0.0, |node| node.value)
    }
}

/// The trained ensemble: a base value plus the sum of the trees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoostedTrees {
    loss: Loss,
    base: f64,
    trees: Vec<Tree>,
}

impl BoostedTrees {
    /// Grows the trees on `rows` and their `targets` (0/1 for the logistic
    /// loss).
    pub fn fit(
        rows: &[Features],
        targets: &[f64],
        loss: Loss,
        settings: &TreeSettings,
    ) -> Result<BoostedTrees, ScoringError> {
        if rows.len() != targets.len() {
            return Err(ScoringError::MismatchedLabels {
                rows: rows.len(),
                labels: targets.len(),
            });
        }
        let bins = Bins::fit(rows, settings.bins);
        let binned: Vec<Vec<u8>> = rows.iter().map(|row| bins.place(row)).collect();

        let base = loss.base(targets);
        let mut predictions = vec![base; rows.len()];
        let mut random = SplitMix(settings.seed);
        let mut trees = Vec::with_capacity(settings.trees);
        for _ in 0..settings.trees {
            let (gradients, hessians): (Vec<f64>, Vec<f64>) = predictions
                .iter()
                .zip(targets)
                .map(|(prediction, target)| loss.derivatives(*prediction, *target))
                .unzip();
            let sample: Vec<usize> = (0..rows.len())
                .filter(|_| random.unit() < settings.row_share)
                .collect();

            let grower = Grower {
                binned: &binned,
                bins: &bins,
                gradients: &gradients,
                hessians: &hessians,
                settings,
            };
            let tree = grower.grow(sample);
            for (prediction, row) in predictions.iter_mut().zip(rows) {
                *prediction += tree.predict(row);
            }
            trees.push(tree);
        }

        Ok(BoostedTrees { loss, base, trees })
    }

    /// The raw prediction: log-odds for the logistic loss, the value
    /// otherwise.
    pub fn predict(&self, row: &Features) -> f64 {
        self.base + self.trees.iter().map(|tree| tree.predict(row)).sum::<f64>()
    }

    /// The prediction before any split is looked at: the base plus each
    /// tree's root value.
    pub fn bias(&self) -> f64 {
        self.base
            + self
                .trees
                .iter()
                .filter_map(|tree| tree.nodes.first())
                .map(|root| root.value)
                .sum::<f64>()
    }

    /// Each feature's share of the raw prediction beyond [`Self::bias`]:
    /// along each tree's path, the change in node value is credited to the
    /// feature split on.
    pub fn contributions(&self, row: &Features) -> Vec<f64> {
        let mut shares = vec![0.0; Feature::COUNT];
        for tree in &self.trees {
            let path = tree.path(row);
            for pair in path.windows(2) {
                let (parent, child) = (&tree.nodes[pair[0]], &tree.nodes[pair[1]]);
                if let Some(split) = &parent.split {
                    shares[split.feature] += child.value - parent.value;
                }
            }
        }
        shares
    }

    /// Which loss it was trained on.
    pub fn loss(&self) -> Loss {
        self.loss
    }
}

/// Per-feature cut points: a value goes in the first bin whose upper bound
/// is at or above it.
struct Bins {
    bounds: Vec<Vec<f64>>,
}

impl Bins {
    fn fit(rows: &[Features], bins: usize) -> Bins {
        let bins = bins.clamp(2, usize::from(u8::MAX));
        let bounds = (0..Feature::COUNT)
            .map(|feature| {
                let mut values: Vec<f64> = rows.iter().map(|row| row.values[feature]).collect();
                values.sort_by(f64::total_cmp);
                values.dedup();
                if values.len() <= bins {
                    return values
                        .windows(2)
                        .map(|pair| (pair[0] + pair[1]) / 2.0)
                        .collect();
                }
                let mut cuts: Vec<f64> =
                    (1..bins).map(|k| values[k * values.len() / bins]).collect();
                cuts.dedup();
                cuts
            })
            .collect();
        Bins { bounds }
    }

    fn place(&self, row: &Features) -> Vec<u8> {
        self.bounds
            .iter()
            .zip(row.values)
            .map(|(bounds, value)| {
                let bin = bounds.partition_point(|bound| *bound < value);
                u8::try_from(bin).unwrap_or(u8::MAX)
            })
            .collect()
    }
}

struct Grower<'a> {
    binned: &'a [Vec<u8>],
    bins: &'a Bins,
    gradients: &'a [f64],
    hessians: &'a [f64],
    settings: &'a TreeSettings,
}

struct BestSplit {
    gain: f64,
    feature: usize,
    bin: usize,
}

impl Grower<'_> {
    fn grow(&self, rows: Vec<usize>) -> Tree {
        let mut tree = Tree { nodes: Vec::new() };
        self.grow_node(&mut tree, rows, 0);
        tree
    }

    fn leaf_value(&self, gradient: f64, hessian: f64) -> f64 {
        -gradient / (hessian + self.settings.l2) * self.settings.learning_rate
    }

    /// Adds the node for `rows` and its children; returns its position.
    fn grow_node(&self, tree: &mut Tree, rows: Vec<usize>, depth: usize) -> usize {
        let gradient: f64 = rows.iter().map(|row| self.gradients[*row]).sum();
        let hessian: f64 = rows.iter().map(|row| self.hessians[*row]).sum();
        let at = tree.nodes.len();
        tree.nodes.push(Node {
            value: self.leaf_value(gradient, hessian),
            split: None,
        });

        if depth >= self.settings.depth {
            return at;
        }
        let Some(best) = self.best_split(&rows, gradient, hessian) else {
            return at;
        };

        let (left_rows, right_rows): (Vec<usize>, Vec<usize>) = rows
            .into_iter()
            .partition(|row| usize::from(self.binned[*row][best.feature]) <= best.bin);
        let left = self.grow_node(tree, left_rows, depth + 1);
        let right = self.grow_node(tree, right_rows, depth + 1);
        tree.nodes[at].split = Some(Split {
            feature: best.feature,
            threshold: self.bins.bounds[best.feature][best.bin],
            left,
            right,
        });
        at
    }

    fn best_split(&self, rows: &[usize], gradient: f64, hessian: f64) -> Option<BestSplit> {
        let l2 = self.settings.l2;
        let score = |g: f64, h: f64| g * g / (h + l2);
        let parent = score(gradient, hessian);

        // One pass over the rows fills every feature's histogram: each row's
        // bins sit together in memory.
        let offsets: Vec<usize> = self
            .bins
            .bounds
            .iter()
            .scan(0, |next, bounds| {
                let offset = *next;
                *next += bounds.len() + 1;
                Some(offset)
            })
            .collect();
        let size = offsets.last().map_or(0, |last| {
            last + self.bins.bounds[Feature::COUNT - 1].len() + 1
        });
        let mut histogram = vec![(0.0, 0.0); size];
        for row in rows {
            let (g, h) = (self.gradients[*row], self.hessians[*row]);
            for (offset, bin) in offsets.iter().zip(&self.binned[*row]) {
                let cell = &mut histogram[offset + usize::from(*bin)];
                cell.0 += g;
                cell.1 += h;
            }
        }

        let mut best: Option<BestSplit> = None;
        for (feature, offset) in offsets.iter().enumerate() {
            let cuts = self.bins.bounds[feature].len();
            let (mut left_g, mut left_h) = (0.0, 0.0);
            for (bin, (g, h)) in histogram[*offset..offset + cuts].iter().enumerate() {
                left_g += g;
                left_h += h;
                let (right_g, right_h) = (gradient - left_g, hessian - left_h);
                if left_h < self.settings.min_leaf_weight || right_h < self.settings.min_leaf_weight
                {
                    continue;
                }
                let gain = score(left_g, left_h) + score(right_g, right_h) - parent;
                if gain > best.as_ref().map_or(1e-9, |b| b.gain) {
                    best = Some(BestSplit { gain, feature, bin });
                }
            }
        }
        best
    }
}

/// A small deterministic generator for row sampling (SplitMix64).
struct SplitMix(u64);

impl SplitMix {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(first: f64, second: f64) -> Features {
        let mut values = [0.0; Feature::COUNT];
        values[0] = first;
        values[1] = second;
        Features { values }
    }

    fn settings() -> TreeSettings {
        TreeSettings {
            trees: 60,
            learning_rate: 0.3,
            min_leaf_weight: 0.5,
            ..TreeSettings::default()
        }
    }

    #[test]
    fn a_separable_toy_set_is_learned() {
        // Late when both features are high: a rule no single line draws well.
        let rows: Vec<Features> = (0..100)
            .map(|i| row(f64::from(i % 10), f64::from(i / 10)))
            .collect();
        let late: Vec<f64> = rows
            .iter()
            .map(|row| f64::from(u8::from(row.values[0] > 4.0 && row.values[1] > 4.0)))
            .collect();

        let model = BoostedTrees::fit(&rows, &late, Loss::Logistic, &settings()).expect("fit");

        for (row, late) in rows.iter().zip(&late) {
            let probability = sigmoid(model.predict(row));
            assert_eq!(
                probability > 0.5,
                *late == 1.0,
                "{:?} → {probability}",
                row.values
            );
        }
    }

    #[test]
    fn regression_trees_follow_a_step() {
        let rows: Vec<Features> = (0..80).map(|i| row(f64::from(i), 0.0)).collect();
        let days: Vec<f64> = rows
            .iter()
            .map(|row| if row.values[0] < 40.0 { 20.0 } else { 45.0 })
            .collect();

        for loss in [Loss::Squared, Loss::Huber { delta: 5.0 }] {
            let model = BoostedTrees::fit(&rows, &days, loss, &settings()).expect("fit");
            assert!(
                (model.predict(&row(10.0, 0.0)) - 20.0).abs() < 1.0,
                "{loss:?}"
            );
            assert!(
                (model.predict(&row(70.0, 0.0)) - 45.0).abs() < 1.0,
                "{loss:?}"
            );
        }
    }

    #[test]
    fn contributions_add_up_to_the_prediction_beyond_the_bias() {
        let rows: Vec<Features> = (0..100)
            .map(|i| row(f64::from(i % 10), f64::from(i / 10)))
            .collect();
        let days: Vec<f64> = rows.iter().map(|row| 3.0 * row.values[0]).collect();
        let model = BoostedTrees::fit(&rows, &days, Loss::Squared, &settings()).expect("fit");

        let probe = row(8.0, 2.0);
        let shares = model.contributions(&probe);
        let total: f64 = shares.iter().sum();

        assert!((model.bias() + total - model.predict(&probe)).abs() < 1e-9);
        assert!(shares[0].abs() > 10.0 * shares[1].abs(), "{shares:?}");
    }

    #[test]
    fn the_same_rows_grow_the_same_trees() {
        let rows: Vec<Features> = (0..50)
            .map(|i| row(f64::from(i % 7), f64::from(i)))
            .collect();
        let days: Vec<f64> = rows
            .iter()
            .map(|row| row.values[0] + row.values[1])
            .collect();

        let first = BoostedTrees::fit(&rows, &days, Loss::Squared, &settings()).expect("fit");
        let second = BoostedTrees::fit(&rows, &days, Loss::Squared, &settings()).expect("fit");

        assert_eq!(first, second);
    }
}
