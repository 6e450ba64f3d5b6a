//! Community detection on the similarity graph: the Louvain method (Blondel
//! et al., 2008) maximising modularity with a resolution parameter. Each
//! level moves single nodes to the neighbouring community that gains the
//! most, in an order shuffled by the seeded generator, until no move gains;
//! then each community becomes one node and the next level starts. The
//! number of communities is not given: it is whatever modularity prefers,
//! which is how mining finds the number of topics by itself.

use rustc_hash::FxHashMap;

use super::rng::Rng;

/// An undirected weighted graph: each edge is listed from both ends; a
/// self-loop (an aggregated community's inner weight) is listed once.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub offsets: Vec<usize>,
    pub targets: Vec<u32>,
    pub weights: Vec<f64>,
}

impl Graph {
    /// A graph of `n` nodes from undirected `edges` (either direction, any
    /// repeats summed; self-edges allowed).
    pub fn from_edges(n: usize, edges: &[(u32, u32, f64)]) -> Graph {
        let mut lists: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n];
        for &(a, b, w) in edges {
            lists[a as usize].push((b, w));
            if a != b {
                lists[b as usize].push((a, w));
            }
        }
        let mut g = Graph {
            offsets: Vec::with_capacity(n + 1),
            ..Graph::default()
        };
        g.offsets.push(0);
        for mut list in lists {
            list.sort_unstable_by_key(|e| e.0);
            let mut i = 0;
            while i < list.len() {
                let (t, mut w) = list[i];
                i += 1;
                while i < list.len() && list[i].0 == t {
                    w += list[i].1;
                    i += 1;
                }
                g.targets.push(t);
                g.weights.push(w);
            }
            g.offsets.push(g.targets.len());
        }
        g
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Neighbours of `i` with edge weights.
    pub fn edges(&self, i: usize) -> impl Iterator<Item = (u32, f64)> + '_ {
        let (a, b) = (self.offsets[i], self.offsets[i + 1]);
        self.targets[a..b]
            .iter()
            .copied()
            .zip(self.weights[a..b].iter().copied())
    }

    /// Weighted degree of every node (a self-loop counts twice).
    fn degrees(&self) -> Vec<f64> {
        (0..self.len())
            .map(|i| {
                self.edges(i)
                    .map(|(t, w)| if t as usize == i { 2.0 * w } else { w })
                    .sum()
            })
            .collect()
    }

    /// The graph whose nodes are the communities of `membership`.
    fn aggregate(&self, membership: &[u32], communities: usize) -> Graph {
        let mut edges: FxHashMap<(u32, u32), f64> = FxHashMap::default();
        for i in 0..self.len() {
            let ci = membership[i];
            for (t, w) in self.edges(i) {
                let ct = membership[t as usize];
                // Each non-loop edge is seen from both ends: keep one.
                if (t as usize) < i {
                    continue;
                }
                let key = (ci.min(ct), ci.max(ct));
                *edges.entry(key).or_insert(0.0) += w;
            }
        }
        let mut list: Vec<(u32, u32, f64)> =
            edges.into_iter().map(|((a, b), w)| (a, b, w)).collect();
        list.sort_unstable_by_key(|x| (x.0, x.1));
        Graph::from_edges(communities, &list)
    }
}

/// Modularity of `membership` on `g` at `resolution`.
pub fn modularity(g: &Graph, membership: &[u32], resolution: f64) -> f64 {
    let k = g.degrees();
    let two_m: f64 = k.iter().sum();
    if two_m == 0.0 {
        return 0.0;
    }
    let communities = membership
        .iter()
        .map(|&c| c as usize + 1)
        .max()
        .unwrap_or(0);
    let mut inside = vec![0.0; communities];
    let mut total = vec![0.0; communities];
    for i in 0..g.len() {
        let c = membership[i] as usize;
        total[c] += k[i];
        for (t, w) in g.edges(i) {
            if membership[t as usize] as usize == c {
                inside[c] += if t as usize == i { 2.0 * w } else { w };
            }
        }
    }
    (0..communities)
        .map(|c| inside[c] / two_m - resolution * (total[c] / two_m).powi(2))
        .sum()
}

/// The map equation (Rosvall & Bergstrom, 2008) of `membership` on `g`:
/// the bits per step needed to describe a random walk on the graph with one
/// codebook per community and an index codebook for moves between them.
/// Fewer bits mean communities that hold the walk longer — a measure of how
/// well a partition fits the graph that, unlike modularity, needs no
/// resolution parameter.
pub fn codelength(g: &Graph, membership: &[u32]) -> f64 {
    let plogp = |x: f64| if x > 0.0 { x * x.log2() } else { 0.0 };
    let degree = g.degrees();
    let total: f64 = degree.iter().sum();
    if total == 0.0 {
        return 0.0;
    }
    let communities = membership
        .iter()
        .map(|&c| c as usize + 1)
        .max()
        .unwrap_or(0);
    let mut volume = vec![0.0; communities];
    let mut inside = vec![0.0; communities];
    for i in 0..g.len() {
        let c = membership[i] as usize;
        volume[c] += degree[i];
        for (t, w) in g.edges(i) {
            if membership[t as usize] as usize == c {
                inside[c] += if t as usize == i { 2.0 * w } else { w };
            }
        }
    }
    // Flow out of each community, and through it, per step.
    let exit: Vec<f64> = (0..communities)
        .map(|c| (volume[c] - inside[c]) / total)
        .collect();
    let exits: f64 = exit.iter().sum();
    plogp(exits)
        - 2.0 * exit.iter().map(|&q| plogp(q)).sum::<f64>()
        - degree.iter().map(|&d| plogp(d / total)).sum::<f64>()
        + (0..communities)
            .map(|c| plogp(exit[c] + volume[c] / total))
            .sum::<f64>()
}

/// Communities of `g` (ids `0..`, numbered by first node), by Louvain at
/// `resolution` (1 is classic modularity; higher finds smaller communities).
pub fn louvain(g: &Graph, resolution: f64, rng: &mut Rng) -> Vec<u32> {
    let mut membership: Vec<u32> = (0..g.len() as u32).collect();
    let mut level = g.clone();
    loop {
        let (local, communities) = move_nodes(&level, resolution, rng);
        if communities == level.len() {
            break;
        }
        for m in membership.iter_mut() {
            *m = local[*m as usize];
        }
        level = level.aggregate(&local, communities);
    }
    membership
}

/// One level: nodes move to their best neighbouring community until no move
/// gains; returns the renumbered communities and their number.
fn move_nodes(g: &Graph, resolution: f64, rng: &mut Rng) -> (Vec<u32>, usize) {
    let n = g.len();
    let k = g.degrees();
    let two_m: f64 = k.iter().sum();
    let mut community: Vec<u32> = (0..n as u32).collect();
    if two_m == 0.0 {
        return (community, n);
    }
    let mut total = k.clone();
    let mut order: Vec<u32> = (0..n as u32).collect();
    rng.shuffle(&mut order);
    let mut weight_to = vec![0.0f64; n];
    let mut touched: Vec<u32> = Vec::new();
    // Stop when a full pass moves nothing; the pass cap only guards against
    // endless back-and-forth between equal gains.
    for _ in 0..100 {
        let mut moved = 0usize;
        for &i in &order {
            let i = i as usize;
            let own = community[i];
            for (t, w) in g.edges(i) {
                if t as usize == i {
                    continue;
                }
                let c = community[t as usize];
                if weight_to[c as usize] == 0.0 {
                    touched.push(c);
                }
                weight_to[c as usize] += w;
            }
            total[own as usize] -= k[i];
            let scale = resolution * k[i] / two_m;
            let mut best = own;
            let mut best_gain = weight_to[own as usize] - scale * total[own as usize];
            for &c in &touched {
                let gain = weight_to[c as usize] - scale * total[c as usize];
                if gain > best_gain + 1e-12 {
                    best = c;
                    best_gain = gain;
                }
            }
            total[best as usize] += k[i];
            if best != own {
                community[i] = best;
                moved += 1;
            }
            for &c in &touched {
                weight_to[c as usize] = 0.0;
            }
            touched.clear();
        }
        if moved == 0 {
            break;
        }
    }
    renumber(&mut community)
}

/// Renumbers ids to `0..` by first appearance; returns how many there are.
pub fn renumber(ids: &mut [u32]) -> (Vec<u32>, usize) {
    let mut map: FxHashMap<u32, u32> = FxHashMap::default();
    for id in ids.iter_mut() {
        let next = map.len() as u32;
        *id = *map.entry(*id).or_insert(next);
    }
    (ids.to_vec(), map.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two cliques of `size` joined by one weak edge.
    fn two_cliques(size: u32) -> Graph {
        let mut edges = Vec::new();
        for base in [0, size] {
            for a in 0..size {
                for b in a + 1..size {
                    edges.push((base + a, base + b, 1.0));
                }
            }
        }
        edges.push((0, size, 0.1));
        Graph::from_edges(2 * size as usize, &edges)
    }

    #[test]
    fn finds_the_two_cliques() {
        let g = two_cliques(6);
        let m = louvain(&g, 1.0, &mut Rng::new(3));
        assert!(m[..6].iter().all(|&c| c == m[0]));
        assert!(m[6..].iter().all(|&c| c == m[6]));
        assert_ne!(m[0], m[6]);
        assert!(modularity(&g, &m, 1.0) > 0.45);
    }

    #[test]
    fn same_seed_same_communities() {
        let mut edges = Vec::new();
        let mut r = Rng::new(9);
        for _ in 0..400 {
            edges.push((r.below(100) as u32, r.below(100) as u32, 1.0 + r.next_f64()));
        }
        let g = Graph::from_edges(100, &edges);
        let a = louvain(&g, 1.0, &mut Rng::new(5));
        let b = louvain(&g, 1.0, &mut Rng::new(5));
        assert_eq!(a, b);
    }

    #[test]
    fn the_right_split_is_the_shortest_description() {
        let g = two_cliques(6);
        let right = louvain(&g, 1.0, &mut Rng::new(3));
        let one = vec![0; 12];
        let singletons: Vec<u32> = (0..12).collect();
        assert!(codelength(&g, &right) < codelength(&g, &one));
        assert!(codelength(&g, &right) < codelength(&g, &singletons));
    }

    #[test]
    fn higher_resolution_finds_more_communities() {
        let g = two_cliques(6);
        let count = |m: &[u32]| m.iter().max().map_or(0, |&x| x + 1);
        let coarse = louvain(&g, 0.01, &mut Rng::new(1));
        let fine = louvain(&g, 5.0, &mut Rng::new(1));
        assert!(
            count(&coarse) <= 2 && count(&fine) > 2,
            "{coarse:?} {fine:?}"
        );
    }
}
