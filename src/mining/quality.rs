//! How well a clustering agrees with known labels, for benches and tests:
//! normalized mutual information (arithmetic mean of the entropies, as in
//! scikit-learn), adjusted Rand index, and accuracy under the best
//! one-to-one matching of clusters to labels (Hungarian method, written out
//! here). Labels are any integers: the "unclustered" bucket (`-1`) is one
//! more cluster, which is the honest way to count it.

use rustc_hash::FxHashMap;
use serde::Serialize;

/// Agreement of a clustering with gold labels, each in `[0, 1]` (ARI can dip
/// below 0 for worse-than-chance clusterings).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Agreement {
    pub nmi: f64,
    pub ari: f64,
    pub accuracy: f64,
}

/// Scores `predicted` against `gold` (same length).
pub fn agreement(predicted: &[i64], gold: &[i64]) -> Agreement {
    let table = Contingency::new(predicted, gold);
    Agreement {
        nmi: table.nmi(),
        ari: table.ari(),
        accuracy: table.accuracy(),
    }
}

struct Contingency {
    /// counts[p][g]
    counts: Vec<Vec<f64>>,
    rows: Vec<f64>,
    cols: Vec<f64>,
    n: f64,
}

impl Contingency {
    fn new(predicted: &[i64], gold: &[i64]) -> Contingency {
        let mut p_ids: FxHashMap<i64, usize> = FxHashMap::default();
        let mut g_ids: FxHashMap<i64, usize> = FxHashMap::default();
        let mut cells: Vec<(usize, usize)> = Vec::with_capacity(predicted.len());
        for (&p, &g) in predicted.iter().zip(gold) {
            let np = p_ids.len();
            let ng = g_ids.len();
            cells.push((*p_ids.entry(p).or_insert(np), *g_ids.entry(g).or_insert(ng)));
        }
        let mut counts = vec![vec![0.0; g_ids.len()]; p_ids.len()];
        for (p, g) in cells {
            counts[p][g] += 1.0;
        }
        let rows = counts.iter().map(|r| r.iter().sum()).collect();
        let cols = (0..g_ids.len())
            .map(|g| counts.iter().map(|r| r[g]).sum())
            .collect();
        Contingency {
            counts,
            rows,
            cols,
            n: predicted.len() as f64,
        }
    }

    fn nmi(&self) -> f64 {
        let entropy = |xs: &[f64]| -> f64 {
            xs.iter()
                .filter(|&&x| x > 0.0)
                .map(|&x| -(x / self.n) * (x / self.n).ln())
                .sum()
        };
        let (hp, hg) = (entropy(&self.rows), entropy(&self.cols));
        let mut mi = 0.0;
        for (p, row) in self.counts.iter().enumerate() {
            for (g, &c) in row.iter().enumerate() {
                if c > 0.0 {
                    mi += c / self.n * (c * self.n / (self.rows[p] * self.cols[g])).ln();
                }
            }
        }
        let mean = (hp + hg) / 2.0;
        if mean <= 0.0 {
            1.0
        } else {
            (mi / mean).clamp(0.0, 1.0)
        }
    }

    fn ari(&self) -> f64 {
        let pairs = |x: f64| x * (x - 1.0) / 2.0;
        let index: f64 = self.counts.iter().flatten().map(|&c| pairs(c)).sum();
        let a: f64 = self.rows.iter().map(|&x| pairs(x)).sum();
        let b: f64 = self.cols.iter().map(|&x| pairs(x)).sum();
        let expected = a * b / pairs(self.n);
        let max = (a + b) / 2.0;
        if (max - expected).abs() < f64::EPSILON {
            1.0
        } else {
            (index - expected) / (max - expected)
        }
    }

    fn accuracy(&self) -> f64 {
        let size = self.rows.len().max(self.cols.len());
        let mut cost = vec![vec![0.0; size]; size];
        for (p, row) in self.counts.iter().enumerate() {
            for (g, &c) in row.iter().enumerate() {
                cost[p][g] = -c;
            }
        }
        let matched: f64 = hungarian(&cost)
            .iter()
            .enumerate()
            .map(|(p, &g)| -cost[p][g])
            .sum();
        matched / self.n
    }
}

/// A minimum-cost perfect matching of a square cost matrix: `result[row]` is
/// the column given to `row` (Kuhn–Munkres with potentials, O(n³)).
pub fn hungarian(cost: &[Vec<f64>]) -> Vec<usize> {
    let n = cost.len();
    // 1-based arrays; column 0 is the virtual start.
    let mut u = vec![0.0; n + 1];
    let mut v = vec![0.0; n + 1];
    let mut owner = vec![0usize; n + 1];
    let mut way = vec![0usize; n + 1];
    for row in 1..=n {
        owner[0] = row;
        let mut col0 = 0;
        let mut min = vec![f64::INFINITY; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[col0] = true;
            let r = owner[col0];
            let mut delta = f64::INFINITY;
            let mut next = 0;
            for col in 1..=n {
                if used[col] {
                    continue;
                }
                let reduced = cost[r - 1][col - 1] - u[r] - v[col];
                if reduced < min[col] {
                    min[col] = reduced;
                    way[col] = col0;
                }
                if min[col] < delta {
                    delta = min[col];
                    next = col;
                }
            }
            for col in 0..=n {
                if used[col] {
                    u[owner[col]] += delta;
                    v[col] -= delta;
                } else {
                    min[col] -= delta;
                }
            }
            col0 = next;
            if owner[col0] == 0 {
                break;
            }
        }
        loop {
            let prev = way[col0];
            owner[col0] = owner[prev];
            col0 = prev;
            if col0 == 0 {
                break;
            }
        }
    }
    let mut result = vec![0; n];
    for col in 1..=n {
        if owner[col] > 0 {
            result[owner[col] - 1] = col - 1;
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_partitions_score_one_whatever_the_names() {
        let a = agreement(&[0, 0, 1, 1, 2, 2], &[5, 5, 3, 3, 9, 9]);
        assert!((a.nmi - 1.0).abs() < 1e-12 && (a.ari - 1.0).abs() < 1e-12);
        assert!((a.accuracy - 1.0).abs() < 1e-12);
    }

    #[test]
    fn matches_the_definitions_on_a_small_case() {
        // Worked out independently from the definitions (scikit-learn's
        // normalized_mutual_info_score and adjusted_rand_score agree).
        let a = agreement(&[0, 0, 1, 1, 1, 2], &[0, 0, 0, 1, 1, 1]);
        assert!((a.nmi - 0.439_869_500_511_028_6).abs() < 1e-9, "{}", a.nmi);
        assert!((a.ari - 0.117_647_058_823_529_38).abs() < 1e-9, "{}", a.ari);
        assert!((a.accuracy - 4.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn hungarian_finds_the_cheapest_matching() {
        let cost = vec![
            vec![4.0, 1.0, 3.0],
            vec![2.0, 0.0, 5.0],
            vec![3.0, 2.0, 2.0],
        ];
        let m = hungarian(&cost);
        let total: f64 = m.iter().enumerate().map(|(r, &c)| cost[r][c]).sum();
        assert_eq!(total, 5.0);
    }
}
