//! The k nearest neighbours of every sample doc by cosine similarity, exact,
//! through an inverted index of the sample's vectors: a doc's similarities
//! are accumulated only over the docs that share a feature with it. Rows are
//! spread over the cores; each neighbour list is ordered by similarity, ties
//! by row, so the result never depends on thread timing.

use rayon::prelude::*;

use super::features::Matrix;

/// Neighbours of one row: (row, cosine), best first.
pub type Neighbours = Vec<(u32, f32)>;

/// The `k` most similar other rows of each row of `m` (rows are unit
/// vectors); rows sharing no feature are never neighbours.
pub fn nearest(m: &Matrix, k: usize) -> Vec<Neighbours> {
    let n = m.rows();
    let postings = transpose(m);
    (0..n)
        .into_par_iter()
        .map_init(
            || (vec![0f32; n], Vec::<u32>::new()),
            |(acc, touched), i| {
                let (cols, vals) = m.row(i);
                for (&c, &w) in cols.iter().zip(vals) {
                    let (rows, weights) = postings.row(c as usize);
                    for (&j, &x) in rows.iter().zip(weights) {
                        let slot = &mut acc[j as usize];
                        if *slot == 0.0 {
                            touched.push(j);
                        }
                        *slot += w * x;
                    }
                }
                let found: Neighbours = touched
                    .iter()
                    .filter(|&&j| j as usize != i)
                    .map(|&j| (j, acc[j as usize]))
                    .filter(|&(_, s)| s > 0.0)
                    .collect();
                for &j in touched.iter() {
                    acc[j as usize] = 0.0;
                }
                touched.clear();
                keep_best(found, k)
            },
        )
        .collect()
}

/// The `k` most similar of `found`, best first, ties by row (so the result
/// never depends on thread timing), with no spare capacity: the list may
/// have held every row.
pub fn keep_best(mut found: Neighbours, k: usize) -> Neighbours {
    let better = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if found.len() > k {
        found.select_nth_unstable_by(k, better);
        found.truncate(k);
    }
    found.sort_unstable_by(better);
    found.shrink_to_fit();
    found
}

/// Columns as rows: for each feature, the rows holding it and their weights.
pub fn transpose(m: &Matrix) -> Matrix {
    let mut counts = vec![0usize; m.cols + 1];
    for &c in &m.indices {
        counts[c as usize + 1] += 1;
    }
    for c in 0..m.cols {
        counts[c + 1] += counts[c];
    }
    let indptr = counts.clone();
    let mut next = counts;
    let mut indices = vec![0u32; m.indices.len()];
    let mut values = vec![0f32; m.values.len()];
    for r in 0..m.rows() {
        let (cols, vals) = m.row(r);
        for (&c, &v) in cols.iter().zip(vals) {
            let at = next[c as usize];
            indices[at] = r as u32;
            values[at] = v;
            next[c as usize] += 1;
        }
    }
    Matrix {
        indptr,
        indices,
        values,
        cols: m.rows(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[(u32, f32)]) -> (Vec<u32>, Vec<f32>) {
        let n: f32 = v.iter().map(|x| x.1 * x.1).sum::<f32>().sqrt();
        v.iter().map(|&(c, w)| (c, w / n)).unzip()
    }

    #[test]
    fn nearest_finds_the_most_similar_rows_in_order() {
        let m = Matrix::from_rows(
            vec![
                unit(&[(0, 1.0), (1, 1.0)]),
                unit(&[(0, 1.0), (1, 0.9)]),
                unit(&[(1, 1.0), (2, 1.0)]),
                unit(&[(3, 1.0)]),
            ],
            4,
        );
        let nn = nearest(&m, 2);
        assert_eq!(nn[0].iter().map(|x| x.0).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(nn[2].iter().map(|x| x.0).collect::<Vec<_>>(), [0, 1]);
        assert!(nn[3].is_empty());
        assert!((nn[0][0].1 - 0.9986).abs() < 1e-3);
    }
}
