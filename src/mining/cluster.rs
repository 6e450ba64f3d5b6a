//! Docs → topics. A bounded sample of docs (all of them up to
//! [`SAMPLE_DOCS`]) is linked into a graph of each doc's nearest neighbours
//! by cosine — of their word features, or of their embeddings when a
//! sentence model is configured ([`super::meaning`]) — and the graph is split into communities by Louvain. The number
//! of topics is not given: Louvain runs at a ladder of resolutions and the
//! partition that describes a random walk on the graph in the fewest bits
//! (the map equation) wins — plain modularity would merge small topics as
//! the graph grows. `--clusters K` instead searches the resolution until
//! there are at least K topics and merges the closest ones down to K. Docs
//! outside the sample join the topic whose centroid they are nearest, or the
//! unclustered bucket when they are farther from it than nearly all of its
//! sample members; communities with fewer tickets than `--min-cluster-size`
//! are unclustered too. Memory and time grow with the sample, not with the
//! number of tickets.

use rayon::prelude::*;

use super::corpus::Corpus;
use super::features::{FeatureSpace, Matrix};
use super::knn;
use super::louvain::{louvain, modularity, Graph};
use super::meaning::{self, Embeddings};
use super::rng::Rng;

/// Most docs clustered through the graph; the rest are assigned.
pub const SAMPLE_DOCS: usize = 20_000;
/// Neighbours per doc in the graph: about √n / 4, within these bounds. A
/// graph of more docs needs more neighbours per doc for a topic's phrasings
/// to stay linked to each other rather than fall into islands.
const NEIGHBOURS: (usize, usize) = (10, 40);

/// Neighbours per doc for a sample of `n` docs.
pub fn neighbours(n: usize) -> usize {
    ((n as f64).sqrt() / 4.0)
        .round()
        .clamp(NEIGHBOURS.0 as f64, NEIGHBOURS.1 as f64) as usize
}

/// Louvain resolutions tried when the number of topics is free: 1 to 32
/// in steps of √2.
const RESOLUTIONS: usize = 11;
/// A doc outside the sample is unclustered when it is less similar to its
/// nearest centroid than this share of that topic's sample members are.
const OUTLIER_QUANTILE: f64 = 0.05;

/// What the user chose.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// Exactly this many topics, instead of finding their number.
    pub clusters: Option<usize>,
    /// Fewer tickets than this is no topic.
    pub min_cluster_size: u32,
    pub seed: u64,
}

/// Knobs fixed for every input (exposed for the bench's ablations only).
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct Tuning {
    pub neighbours: usize,
    pub sample_docs: usize,
    /// A fixed Louvain resolution instead of the map-equation choice (0).
    pub resolution: f64,
    pub features: super::features::FeatureConfig,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            neighbours: 0,
            sample_docs: SAMPLE_DOCS,
            resolution: 0.0,
            features: super::features::FeatureConfig::default(),
        }
    }
}

/// Topics found, per doc.
#[derive(Debug, Clone)]
pub struct Clustering {
    /// Topic of each doc (`0..topics`, largest first), `-1` unclustered.
    pub doc_topic: Vec<i32>,
    /// Cosine of each doc to its topic's centroid (0 when unclustered).
    pub doc_similarity: Vec<f32>,
    pub topics: usize,
    /// Docs clustered through the graph.
    pub sampled: usize,
    /// Modularity of the sample's partition.
    pub modularity: f64,
}

/// Steps reported to a progress callback: (name, done, total).
pub type Progress<'a> = &'a (dyn Fn(&str, u64, u64) + Sync);

/// Clusters the docs of `corpus`, by their meaning when `meaning` holds
/// their embeddings, else by their words.
pub fn cluster(
    corpus: &Corpus,
    meaning: Option<&Embeddings>,
    opts: &ClusterOptions,
    progress: Progress,
) -> Clustering {
    cluster_tuned(corpus, meaning, opts, &Tuning::default(), progress)
}

#[doc(hidden)]
pub fn cluster_tuned(
    corpus: &Corpus,
    meaning: Option<&Embeddings>,
    opts: &ClusterOptions,
    tuning: &Tuning,
    progress: Progress,
) -> Clustering {
    let rng = Rng::new(opts.seed);
    let sample = choose_sample(corpus, tuning.sample_docs, &mut rng.fork(1));
    match meaning {
        Some(e) => partition(
            corpus,
            &Meaning { e, sample: &sample },
            &sample,
            opts,
            tuning,
            &rng,
            progress,
        ),
        None => {
            progress("featurizing", 0, sample.len() as u64);
            let space = FeatureSpace::fit_with(corpus, &sample, tuning.features.clone());
            let m = space.matrix(corpus, &sample);
            let words = Words { corpus, space, m };
            partition(corpus, &words, &sample, opts, tuning, &rng, progress)
        }
    }
}

/// What clustering needs of the docs' vectors, whether they hold words or
/// meaning. Every vector has unit length, so a dot product is a cosine.
trait Vectors: Sync {
    type Centroids: Sync;
    /// The `k` nearest neighbours of each sample doc (positions in the sample).
    fn nearest(&self, k: usize) -> Vec<knn::Neighbours>;
    /// Unit centroids of the sample's communities.
    fn centroids(&self, membership: &[u32], communities: usize) -> Self::Centroids;
    /// Cosine of sample doc `r` with centroid `c`.
    fn member_similarity(&self, r: usize, centroids: &Self::Centroids, c: usize) -> f32;
    /// The nearest centroid of each of `docs` (`-1` when none is similar at
    /// all) and its cosine.
    fn assign(&self, docs: &[u32], centroids: &Self::Centroids) -> Vec<(i64, f32)>;
}

/// Docs as sparse word features fitted on the sample.
struct Words<'a> {
    corpus: &'a Corpus,
    space: FeatureSpace,
    /// The sample's rows.
    m: Matrix,
}

impl Vectors for Words<'_> {
    /// The centroids, and the same transposed for lookups by feature.
    type Centroids = (Matrix, Matrix);

    fn nearest(&self, k: usize) -> Vec<knn::Neighbours> {
        knn::nearest(&self.m, k)
    }

    fn centroids(&self, membership: &[u32], communities: usize) -> Self::Centroids {
        let c = centroids(&self.m, membership, communities);
        let by_feature = knn::transpose(&c);
        (c, by_feature)
    }

    fn member_similarity(&self, r: usize, centroids: &Self::Centroids, c: usize) -> f32 {
        dot_row(&self.m, r, &centroids.0, c)
    }

    fn assign(&self, docs: &[u32], centroids: &Self::Centroids) -> Vec<(i64, f32)> {
        let mut scores = vec![0f32; centroids.0.rows()];
        docs.iter()
            .map(|&d| {
                let (cols, vals) = self.space.vector(&self.corpus.docs[d as usize]);
                nearest_centroid(&cols, &vals, &centroids.1, &mut scores)
            })
            .collect()
    }
}

/// Docs as the sentence model's embeddings.
struct Meaning<'a> {
    e: &'a Embeddings,
    sample: &'a [u32],
}

impl Vectors for Meaning<'_> {
    type Centroids = Embeddings;

    fn nearest(&self, k: usize) -> Vec<knn::Neighbours> {
        meaning::nearest(self.e, self.sample, k)
    }

    fn centroids(&self, membership: &[u32], communities: usize) -> Embeddings {
        meaning::centroids(self.e, self.sample, membership, communities)
    }

    fn member_similarity(&self, r: usize, centroids: &Embeddings, c: usize) -> f32 {
        crate::semantic::dot(self.e.row(self.sample[r] as usize), centroids.row(c))
    }

    fn assign(&self, docs: &[u32], centroids: &Embeddings) -> Vec<(i64, f32)> {
        docs.iter()
            .map(|&d| meaning::nearest_centroid(self.e.row(d as usize), centroids))
            .collect()
    }
}

/// The sample linked into a graph and split into communities; every other
/// doc joins its nearest community; communities big enough become topics.
fn partition<V: Vectors>(
    corpus: &Corpus,
    vectors: &V,
    sample: &[u32],
    opts: &ClusterOptions,
    tuning: &Tuning,
    rng: &Rng,
    progress: Progress,
) -> Clustering {
    let n_docs = corpus.docs.len();
    progress("linking neighbours", 0, sample.len() as u64);
    let k = if tuning.neighbours > 0 {
        tuning.neighbours
    } else {
        neighbours(sample.len())
    };
    let graph = build_graph(&vectors.nearest(k));
    progress("finding topics", 0, 1);
    let weight = sample_weights(corpus, sample);
    let min_size = f64::from(opts.min_cluster_size.max(1));
    let mut louvain_rng = rng.fork(2);
    let membership = match opts.clusters {
        None if tuning.resolution > 0.0 => louvain(&graph, tuning.resolution, &mut louvain_rng),
        None => shortest_description(&graph, &mut louvain_rng),
        Some(k) => with_k_topics(&graph, &weight, min_size, k, &mut louvain_rng),
    };
    let q = modularity(&graph, &membership, 1.0);
    let communities = membership
        .iter()
        .map(|&c| c as usize + 1)
        .max()
        .unwrap_or(0);

    // Centroids of every community, then every doc outside the sample joins
    // its nearest one, if near enough.
    let centroids = vectors.centroids(&membership, communities);
    let member_sim: Vec<f32> = (0..sample.len())
        .into_par_iter()
        .map(|r| vectors.member_similarity(r, &centroids, membership[r] as usize))
        .collect();
    let floor = outlier_floors(&membership, &member_sim, communities);
    let mut doc_comm = vec![-1i64; n_docs];
    let mut doc_sim = vec![0f32; n_docs];
    for (r, &d) in sample.iter().enumerate() {
        doc_comm[d as usize] = i64::from(membership[r]);
        doc_sim[d as usize] = member_sim[r];
    }
    assign_rest(
        vectors,
        &centroids,
        &floor,
        sample,
        &mut doc_comm,
        &mut doc_sim,
        progress,
    );

    // Topics: communities with enough tickets, numbered largest first.
    let order = topics_by_size(corpus, &doc_comm, communities, min_size);
    let mut topic_of = vec![-1i32; communities];
    for (t, &c) in order.iter().enumerate() {
        topic_of[c] = t as i32;
    }
    let doc_topic: Vec<i32> = doc_comm
        .iter()
        .map(|&c| if c >= 0 { topic_of[c as usize] } else { -1 })
        .collect();
    for (d, &t) in doc_topic.iter().enumerate() {
        if t < 0 {
            doc_sim[d] = 0.0;
        }
    }
    Clustering {
        topics: order.len(),
        doc_topic,
        doc_similarity: doc_sim,
        sampled: sample.len(),
        modularity: q,
    }
}

/// Gives every doc not in `sample` its nearest community (or none, below
/// that community's floor) and its similarity, in parallel.
fn assign_rest<V: Vectors>(
    vectors: &V,
    centroids: &V::Centroids,
    floor: &[f32],
    sample: &[u32],
    doc_comm: &mut [i64],
    doc_sim: &mut [f32],
    progress: Progress,
) {
    let n_docs = doc_comm.len();
    let mut in_sample = vec![false; n_docs];
    for &d in sample {
        in_sample[d as usize] = true;
    }
    let rest: Vec<u32> = (0..n_docs as u32)
        .filter(|&d| !in_sample[d as usize])
        .collect();
    if rest.is_empty() {
        return;
    }
    progress("assigning", 0, rest.len() as u64);
    let assigned: Vec<(i64, f32)> = rest
        .par_chunks(4096)
        .flat_map_iter(|chunk| vectors.assign(chunk, centroids))
        .collect();
    for (&d, (c, s)) in rest.iter().zip(assigned) {
        let near = c >= 0 && s >= floor[c as usize];
        doc_comm[d as usize] = if near { c } else { -1 };
        doc_sim[d as usize] = if near { s } else { 0.0 };
    }
}

/// Tickets each sample doc stands for: its own count scaled up by the share
/// of all tickets the sample holds.
fn sample_weights(corpus: &Corpus, sample: &[u32]) -> Vec<f64> {
    let sample_tickets: u64 = sample
        .iter()
        .map(|&d| u64::from(corpus.docs[d as usize].count))
        .sum();
    let scale = corpus.tickets_in_docs() as f64 / sample_tickets.max(1) as f64;
    sample
        .iter()
        .map(|&d| f64::from(corpus.docs[d as usize].count) * scale)
        .collect()
}

/// The communities with at least `min_size` tickets, largest first (ties by
/// id): the topics, in their order.
fn topics_by_size(
    corpus: &Corpus,
    doc_comm: &[i64],
    communities: usize,
    min_size: f64,
) -> Vec<usize> {
    let mut size = vec![0u64; communities];
    for (d, &c) in doc_comm.iter().enumerate() {
        if c >= 0 {
            size[c as usize] += u64::from(corpus.docs[d].count);
        }
    }
    let mut order: Vec<usize> = (0..communities)
        .filter(|&c| size[c] as f64 >= min_size)
        .collect();
    order.sort_by(|&a, &b| size[b].cmp(&size[a]).then(a.cmp(&b)));
    order
}

/// Up to `max` docs, drawn without replacement with chances proportional to
/// their ticket counts (Efraimidis–Spirakis); ascending ids.
fn choose_sample(corpus: &Corpus, max: usize, rng: &mut Rng) -> Vec<u32> {
    let n = corpus.docs.len();
    if n <= max {
        return (0..n as u32).collect();
    }
    let mut keyed: Vec<(f64, u32)> = corpus
        .docs
        .iter()
        .enumerate()
        .map(|(d, doc)| {
            // Smallest keys win: -ln(u) / weight is an exponential draw.
            let u = rng.next_f64().max(f64::MIN_POSITIVE);
            (-u.ln() / f64::from(doc.count), d as u32)
        })
        .collect();
    keyed.select_nth_unstable_by(max, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut sample: Vec<u32> = keyed[..max].iter().map(|k| k.1).collect();
    sample.sort_unstable();
    sample
}

/// The similarity graph: an edge wherever one doc is among the other's
/// nearest neighbours, weighted by their cosine.
fn build_graph(nn: &[knn::Neighbours]) -> Graph {
    let mut edges: Vec<(u32, u32, f64)> =
        Vec::with_capacity(nn.len() * nn.first().map_or(0, Vec::len));
    for (i, list) in nn.iter().enumerate() {
        let a = i as u32;
        for &(b, s) in list {
            // A mutual pair is listed from both sides: add it once.
            if b < a && nn[b as usize].iter().any(|x| x.0 == a) {
                continue;
            }
            edges.push((a, b, f64::from(s)));
        }
    }
    Graph::from_edges(nn.len(), &edges)
}

/// Louvain at each resolution of a geometric ladder; the partition with the
/// shortest map-equation description of the graph wins. Modularity alone
/// (resolution 1) merges small topics as the graph grows; the map equation
/// picks the scale at which the graph is most modular in the information
/// sense, with no parameter to set.
fn shortest_description(graph: &Graph, rng: &mut Rng) -> Vec<u32> {
    let mut best: Option<(f64, Vec<u32>)> = None;
    for step in 0..RESOLUTIONS {
        let resolution = 2f64.powf(step as f64 / 2.0);
        let m = louvain(graph, resolution, &mut rng.clone());
        let bits = super::louvain::codelength(graph, &m);
        if best.as_ref().is_none_or(|(b, _)| bits < *b) {
            best = Some((bits, m));
        }
    }
    best.map(|(_, m)| m).unwrap_or_default()
}

/// Louvain with the resolution raised until there are at least `k` topics
/// (communities weighing `min_size` or more), then the closest topics merged
/// until exactly `k` remain (fewer when the data cannot be split that far).
fn with_k_topics(
    graph: &Graph,
    weight: &[f64],
    min_size: f64,
    k: usize,
    rng: &mut Rng,
) -> Vec<u32> {
    let topics = |m: &[u32]| -> usize {
        let n = m.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
        let mut w = vec![0.0; n];
        for (i, &c) in m.iter().enumerate() {
            w[c as usize] += weight[i];
        }
        w.iter().filter(|&&x| x >= min_size).count()
    };
    let run = |resolution: f64| louvain(graph, resolution, &mut rng.clone());
    // Bracket the resolution: `low` gives fewer than k topics, `high` at
    // least k (or is as fine as it is worth going).
    let mut best = run(1.0);
    let (mut low, mut high) = (1.0 / 64.0, 1.0);
    if topics(&best) < k {
        low = 1.0;
        loop {
            high *= 2.0;
            best = run(high);
            if topics(&best) >= k || high >= 256.0 {
                break;
            }
            low = high;
        }
    }
    if topics(&best) >= k {
        for _ in 0..8 {
            let mid = (low * high).sqrt();
            let m = run(mid);
            if topics(&m) >= k {
                high = mid;
                best = m;
            } else {
                low = mid;
            }
        }
    }
    merge_to_k(graph, best, weight, min_size, k)
}

/// Merges the pair of topics whose union gains the most modularity until
/// `k` topics remain.
fn merge_to_k(
    graph: &Graph,
    mut membership: Vec<u32>,
    weight: &[f64],
    min_size: f64,
    k: usize,
) -> Vec<u32> {
    let n = membership
        .iter()
        .map(|&c| c as usize + 1)
        .max()
        .unwrap_or(0);
    let mut size = vec![0.0; n];
    for (i, &c) in membership.iter().enumerate() {
        size[c as usize] += weight[i];
    }
    let mut volume = vec![0.0; n];
    let mut between: rustc_hash::FxHashMap<(u32, u32), f64> = rustc_hash::FxHashMap::default();
    let mut two_m = 0.0;
    for i in 0..graph.len() {
        let ci = membership[i];
        for (t, w) in graph.edges(i) {
            let ct = membership[t as usize];
            let w2 = if t as usize == i { 2.0 * w } else { w };
            volume[ci as usize] += w2;
            two_m += w2;
            if ci != ct {
                *between.entry((ci.min(ct), ci.max(ct))).or_insert(0.0) += w / 2.0;
            }
        }
    }
    let mut alive: Vec<bool> = size.iter().map(|&s| s >= min_size).collect();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    while alive.iter().filter(|&&a| a).count() > k {
        // Best pair among topics that touch; ties by ids for determinism.
        let mut best: Option<((u32, u32), f64)> = None;
        let mut pairs: Vec<(&(u32, u32), &f64)> = between.iter().collect();
        pairs.sort_unstable_by_key(|p| *p.0);
        for (&(a, b), &w) in pairs {
            if !alive[a as usize] || !alive[b as usize] {
                continue;
            }
            let gain =
                2.0 * w / two_m - 2.0 * volume[a as usize] * volume[b as usize] / (two_m * two_m);
            if best.is_none_or(|(_, g)| gain > g) {
                best = Some(((a, b), gain));
            }
        }
        let Some(((a, b), _)) = best else {
            break;
        };
        // b joins a.
        alive[b as usize] = false;
        parent[b as usize] = a;
        size[a as usize] += size[b as usize];
        volume[a as usize] += volume[b as usize];
        let moved: Vec<((u32, u32), f64)> = between
            .iter()
            .filter(|(p, _)| p.0 == b || p.1 == b)
            .map(|(p, w)| (*p, *w))
            .collect();
        for (p, w) in moved {
            between.remove(&p);
            let other = if p.0 == b { p.1 } else { p.0 };
            if other != a {
                *between.entry((a.min(other), a.max(other))).or_insert(0.0) += w;
            }
        }
    }
    let root = |mut c: u32| {
        while parent[c as usize] != c {
            c = parent[c as usize];
        }
        c
    };
    for m in membership.iter_mut() {
        *m = root(*m);
    }
    super::louvain::renumber(&mut membership);
    membership
}

/// Unit centroids (mean of member vectors) of `communities` communities.
fn centroids(m: &Matrix, membership: &[u32], communities: usize) -> Matrix {
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); communities];
    for (r, &c) in membership.iter().enumerate() {
        members[c as usize].push(r);
    }
    let rows: Vec<(Vec<u32>, Vec<f32>)> = members
        .par_iter()
        .map(|rows| {
            let mut acc: rustc_hash::FxHashMap<u32, f32> = rustc_hash::FxHashMap::default();
            for &r in rows {
                let (cols, vals) = m.row(r);
                for (&c, &v) in cols.iter().zip(vals) {
                    *acc.entry(c).or_insert(0.0) += v;
                }
            }
            let mut entries: Vec<(u32, f32)> = acc.into_iter().collect();
            entries.sort_unstable_by_key(|e| e.0);
            let norm = entries
                .iter()
                .map(|e| e.1 * e.1)
                .sum::<f32>()
                .sqrt()
                .max(f32::MIN_POSITIVE);
            entries.into_iter().map(|(c, v)| (c, v / norm)).unzip()
        })
        .collect();
    Matrix::from_rows(rows, m.cols)
}

/// Cosine of row `r` of `m` with row `c` of `centroids`.
fn dot_row(m: &Matrix, r: usize, centroids: &Matrix, c: usize) -> f32 {
    let (ai, av) = m.row(r);
    let (bi, bv) = centroids.row(c);
    let (mut i, mut j, mut s) = (0, 0, 0.0);
    while i < ai.len() && j < bi.len() {
        match ai[i].cmp(&bi[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                s += av[i] * bv[j];
                i += 1;
                j += 1;
            }
        }
    }
    s
}

/// Per community, the similarity below which an outside doc does not
/// belong: the [`OUTLIER_QUANTILE`] of its members' similarities.
fn outlier_floors(membership: &[u32], sim: &[f32], communities: usize) -> Vec<f32> {
    let mut by: Vec<Vec<f32>> = vec![Vec::new(); communities];
    for (r, &c) in membership.iter().enumerate() {
        by[c as usize].push(sim[r]);
    }
    by.into_iter()
        .map(|s| quantile(s, OUTLIER_QUANTILE))
        .collect()
}

/// The `q` quantile of `values` (1.0 when empty).
fn quantile(mut values: Vec<f32>, q: f64) -> f32 {
    values.sort_unstable_by(f32::total_cmp);
    let at = ((values.len() as f64 - 1.0) * q).floor().max(0.0) as usize;
    values.get(at).copied().unwrap_or(1.0)
}

/// The nearest centroid of a vector, through the centroids' inverted lists,
/// and its cosine (`-1` when it shares no feature with any).
fn nearest_centroid(
    cols: &[u32],
    vals: &[f32],
    by_feature: &Matrix,
    scores: &mut [f32],
) -> (i64, f32) {
    scores.iter_mut().for_each(|s| *s = 0.0);
    for (&c, &w) in cols.iter().zip(vals) {
        let (ks, xs) = by_feature.row(c as usize);
        for (&k, &x) in ks.iter().zip(xs) {
            scores[k as usize] += w * x;
        }
    }
    let mut best = (-1i64, 0f32);
    for (k, &s) in scores.iter().enumerate() {
        if s > best.1 {
            best = (k as i64, s);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mining::corpus::Analyzers;
    use crate::mining::input::RawTicket;

    fn ticket(i: usize, text: String) -> RawTicket {
        RawTicket {
            id: i.to_string(),
            line: i as u64 + 1,
            parts: vec![text],
            created: None,
            bad_date: false,
            tags: Vec::new(),
            article: None,
        }
    }

    /// Three topics of 30 tickets each whose words say nothing of their
    /// topic (every ticket draws from one shared vocabulary), with vectors
    /// that do: each topic's vectors lie near one axis.
    fn topics_only_meaning_shows() -> (Corpus, Embeddings, Vec<usize>) {
        let words = [
            "card", "payment", "account", "transfer", "refund", "balance", "pin", "app",
        ];
        let mut rng = Rng::new(7);
        let mut corpus = Corpus::default();
        let mut tickets = Vec::new();
        let mut gold = Vec::new();
        for i in 0..90 {
            let text: Vec<&str> = (0..4).map(|_| *rng.pick(&words)).collect();
            // A unique tail keeps every ticket its own doc.
            tickets.push(ticket(i, format!("{} ticket{i}", text.join(" "))));
            gold.push(i % 3);
        }
        corpus.add_batch(&Analyzers::new(None), &tickets);
        assert_eq!(corpus.docs.len(), 90, "no ticket collapsed into another");
        let rows = gold.iter().map(|&g| {
            let mut v: Vec<f32> = (0..6).map(|_| rng.next_f64() as f32 * 0.1).collect();
            v[g] += 1.0;
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.into_iter().map(|x| x / n).collect::<Vec<f32>>()
        });
        (corpus, Embeddings::from_rows(6, rows), gold)
    }

    #[test]
    fn meaning_groups_what_words_cannot_and_places_docs_outside_the_sample() {
        let (corpus, e, gold) = topics_only_meaning_shows();
        let opts = |clusters| ClusterOptions {
            clusters,
            min_cluster_size: 5,
            seed: 1,
        };
        for (clusters, sample_docs) in [(None, 90), (None, 45), (Some(3), 90), (Some(3), 45)] {
            let tuning = Tuning {
                sample_docs,
                ..Tuning::default()
            };
            let c = cluster_tuned(&corpus, Some(&e), &opts(clusters), &tuning, &|_, _, _| {});
            let run = format!("{clusters:?} topics, sample of {sample_docs}");
            assert_eq!(c.topics, 3, "{run}: {:?}", c.doc_topic);
            assert_eq!(c.sampled, sample_docs);
            // Docs are in reading order, so doc d is ticket d. A doc outside
            // the sample farther from its topic than the sample's members
            // are is left unclustered, never put in another topic.
            for g in 0..3 {
                let topics: std::collections::BTreeSet<i32> = (0..90)
                    .filter(|&d| gold[d] == g && c.doc_topic[d] >= 0)
                    .map(|d| c.doc_topic[d])
                    .collect();
                assert_eq!(topics.len(), 1, "{run}: gold topic {g} split: {topics:?}");
            }
            let unclustered = c.doc_topic.iter().filter(|&&t| t < 0).count();
            assert!(unclustered <= 90 - sample_docs, "{run}: {unclustered}");
            assert!(unclustered <= 9, "{run}: {unclustered} unclustered");
            assert!(
                (0..90).all(|d| c.doc_topic[d] < 0 || c.doc_similarity[d] > 0.5),
                "{run}"
            );
        }
        // By their words the same tickets are no such three topics.
        let words = cluster(&corpus, None, &opts(None), &|_, _, _| {});
        let agree = (0..90)
            .filter(|&a| {
                (0..90).all(|b| (gold[a] == gold[b]) == (words.doc_topic[a] == words.doc_topic[b]))
            })
            .count();
        assert!(
            agree < 90,
            "words alone found the meaning: {:?}",
            words.doc_topic
        );
    }
}
