//! A BERT encoder's forward pass on the CPU, written for sentence embedding.
//!
//! Why our own and not a general runtime: a sentence model needs six kinds of
//! operation (embedding lookup, matrix multiply, layer norm, softmax, GELU,
//! mean pooling), and a general runtime spends most of a short query's time
//! around them, not in them (candle took 14–18 ms for an 11-token query here).
//! This pass runs the matrix products on `gemm` (pure Rust, picks AVX-512 or
//! AVX2 at run time) and avoids padding altogether: a batch is *ragged* — the
//! tokens of every text are stacked into one matrix for the token-wise
//! layers, and only attention works per text. So a batch of one 5-token query
//! and one 200-token passage costs what the two cost apart, and nothing is
//! masked. Weights are transposed once at load so every product reads rows.

use std::path::Path;

use safetensors::{Dtype, SafeTensors};

use super::ModelError;

/// The parts of a Hugging Face BERT `config.json` the pass needs.
#[derive(Debug, Clone, serde::Deserialize)]
pub(super) struct Config {
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    max_position_embeddings: usize,
    #[serde(default = "default_eps")]
    layer_norm_eps: f32,
    #[serde(default = "default_act")]
    hidden_act: String,
    #[serde(default)]
    model_type: Option<String>,
}

fn default_eps() -> f32 {
    1e-12
}

fn default_act() -> String {
    "gelu".into()
}

/// GELU as BERT's config names it: exact (erf) or the tanh approximation.
#[derive(Debug, Clone, Copy)]
enum Act {
    Erf,
    Tanh,
}

struct Layer {
    /// Query, key and value weights side by side: hidden × 3·hidden.
    qkv: Vec<f32>,
    qkv_bias: Vec<f32>,
    attn_out: Vec<f32>,
    attn_out_bias: Vec<f32>,
    attn_norm: (Vec<f32>, Vec<f32>),
    up: Vec<f32>,
    up_bias: Vec<f32>,
    down: Vec<f32>,
    down_bias: Vec<f32>,
    out_norm: (Vec<f32>, Vec<f32>),
}

pub(super) struct Bert {
    hidden: usize,
    heads: usize,
    intermediate: usize,
    max_positions: usize,
    vocab: usize,
    eps: f32,
    act: Act,
    words: Vec<f32>,
    positions: Vec<f32>,
    /// Token type 0: sentence embedding never uses a second segment.
    segment: Vec<f32>,
    embed_norm: (Vec<f32>, Vec<f32>),
    layers: Vec<Layer>,
}

/// Reads the named tensors of one safetensors file, with or without the
/// `bert.` prefix that BertModel checkpoints from some trainers carry.
struct Tensors<'a> {
    file: &'a Path,
    st: SafeTensors<'a>,
    prefix: &'static str,
}

impl Tensors<'_> {
    fn get(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, ModelError> {
        let full = format!("{}{name}", self.prefix);
        let view = self.st.tensor(&full).map_err(|_| {
            ModelError::new(
                self.file,
                format!("has no tensor `{full}` — is this a BERT model?"),
            )
        })?;
        if view.dtype() != Dtype::F32 {
            return Err(ModelError::new(
                self.file,
                format!(
                    "tensor `{full}` is {:?}; only F32 weights are supported",
                    view.dtype()
                ),
            ));
        }
        if view.shape() != shape {
            return Err(ModelError::new(
                self.file,
                format!(
                    "tensor `{full}` has shape {:?}, config.json implies {shape:?}",
                    view.shape()
                ),
            ));
        }
        Ok(view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }

    /// The first dimension of a tensor, 0 when it is absent (`get` then
    /// reports it by name).
    fn rows(&self, name: &str) -> usize {
        let full = format!("{}{name}", self.prefix);
        self.st
            .tensor(&full)
            .ok()
            .and_then(|v| v.shape().first().copied())
            .unwrap_or(0)
    }

    /// A linear layer's weight, stored out × in, returned transposed (in × out).
    fn linear(&self, name: &str, inputs: usize, outputs: usize) -> Result<Vec<f32>, ModelError> {
        let w = self.get(&format!("{name}.weight"), &[outputs, inputs])?;
        Ok(transpose(&w, outputs, inputs))
    }

    fn norm(&self, name: &str, n: usize) -> Result<(Vec<f32>, Vec<f32>), ModelError> {
        Ok((
            self.get(&format!("{name}.weight"), &[n])?,
            self.get(&format!("{name}.bias"), &[n])?,
        ))
    }
}

fn transpose(m: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut t = vec![0.0; m.len()];
    for r in 0..rows {
        for c in 0..cols {
            t[c * rows + r] = m[r * cols + c];
        }
    }
    t
}

impl Bert {
    pub(super) fn load(config: &Config, file: &Path, bytes: &[u8]) -> Result<Bert, ModelError> {
        let config_file = file.with_file_name("config.json");
        if let Some(kind) = config.model_type.as_deref().filter(|k| *k != "bert") {
            return Err(ModelError::new(
                &config_file,
                format!("model_type `{kind}` is not supported; use a BERT-family sentence-transformers model (model_type \"bert\")"),
            ));
        }
        let act = match config.hidden_act.as_str() {
            "gelu" => Act::Erf,
            "gelu_new" | "gelu_pytorch_tanh" => Act::Tanh,
            other => {
                return Err(ModelError::new(
                    &config_file,
                    format!("hidden_act `{other}` is not supported (gelu, gelu_new)"),
                ))
            }
        };
        let (h, i) = (config.hidden_size, config.intermediate_size);
        if config.num_attention_heads == 0 || h % config.num_attention_heads != 0 {
            return Err(ModelError::new(
                &config_file,
                format!("hidden_size {h} is not a multiple of num_attention_heads"),
            ));
        }
        let st = SafeTensors::deserialize(bytes)
            .map_err(|e| ModelError::new(file, format!("is not a safetensors file: {e}")))?;
        let prefix = if st.tensor("bert.embeddings.word_embeddings.weight").is_ok() {
            "bert."
        } else {
            ""
        };
        let t = Tensors { file, st, prefix };
        let vocab = t.rows("embeddings.word_embeddings.weight");
        // The type-vocabulary size varies (2 for BERT); only row 0 is used.
        let segment_name = "embeddings.token_type_embeddings.weight";
        let segment_rows = t.rows(segment_name);
        let segment = t.get(segment_name, &[segment_rows.max(1), h])?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for n in 0..config.num_hidden_layers {
            let p = format!("encoder.layer.{n}");
            let (q, k, v) = (
                t.linear(&format!("{p}.attention.self.query"), h, h)?,
                t.linear(&format!("{p}.attention.self.key"), h, h)?,
                t.linear(&format!("{p}.attention.self.value"), h, h)?,
            );
            let mut qkv = Vec::with_capacity(3 * h * h);
            for r in 0..h {
                for m in [&q, &k, &v] {
                    qkv.extend_from_slice(&m[r * h..(r + 1) * h]);
                }
            }
            let mut qkv_bias = t.get(&format!("{p}.attention.self.query.bias"), &[h])?;
            qkv_bias.extend(t.get(&format!("{p}.attention.self.key.bias"), &[h])?);
            qkv_bias.extend(t.get(&format!("{p}.attention.self.value.bias"), &[h])?);
            layers.push(Layer {
                qkv,
                qkv_bias,
                attn_out: t.linear(&format!("{p}.attention.output.dense"), h, h)?,
                attn_out_bias: t.get(&format!("{p}.attention.output.dense.bias"), &[h])?,
                attn_norm: t.norm(&format!("{p}.attention.output.LayerNorm"), h)?,
                up: t.linear(&format!("{p}.intermediate.dense"), h, i)?,
                up_bias: t.get(&format!("{p}.intermediate.dense.bias"), &[i])?,
                down: t.linear(&format!("{p}.output.dense"), i, h)?,
                down_bias: t.get(&format!("{p}.output.dense.bias"), &[h])?,
                out_norm: t.norm(&format!("{p}.output.LayerNorm"), h)?,
            });
        }
        Ok(Bert {
            hidden: h,
            heads: config.num_attention_heads,
            intermediate: i,
            max_positions: config.max_position_embeddings,
            vocab,
            eps: config.layer_norm_eps,
            act,
            words: t.get("embeddings.word_embeddings.weight", &[vocab, h])?,
            positions: t.get(
                "embeddings.position_embeddings.weight",
                &[config.max_position_embeddings, h],
            )?,
            segment: segment[..h].to_vec(),
            embed_norm: t.norm("embeddings.LayerNorm", h)?,
            layers,
        })
    }

    pub(super) fn dim(&self) -> usize {
        self.hidden
    }

    /// The longest input the position table allows.
    pub(super) fn max_positions(&self) -> usize {
        self.max_positions
    }

    /// Mean-pooled, L2-normalised embeddings of token sequences, one per
    /// sequence. Ids past the vocabulary read as id 0 and sequences past the
    /// position table are cut, so no input can index out of bounds.
    pub(super) fn embed(&self, seqs: &[&[u32]]) -> Vec<Vec<f32>> {
        let h = self.hidden;
        let seqs: Vec<&[u32]> = seqs
            .iter()
            .map(|s| &s[..s.len().min(self.max_positions)])
            .collect();
        let total: usize = seqs.iter().map(|s| s.len()).sum();
        let mut x = Vec::with_capacity(total * h);
        for seq in &seqs {
            for (pos, &id) in seq.iter().enumerate() {
                let id = if (id as usize) < self.vocab {
                    id as usize
                } else {
                    0
                };
                let w = &self.words[id * h..(id + 1) * h];
                let p = &self.positions[pos * h..(pos + 1) * h];
                x.extend(
                    w.iter()
                        .zip(p)
                        .zip(&self.segment)
                        .map(|((w, p), s)| w + p + s),
                );
            }
        }
        layer_norm(&mut x, h, &self.embed_norm, self.eps);
        let mut scratch = Scratch::default();
        for layer in &self.layers {
            self.layer(layer, &mut x, &seqs, &mut scratch);
        }
        let mut out = Vec::with_capacity(seqs.len());
        let mut row = 0;
        for seq in &seqs {
            let mut v = vec![0.0f32; h];
            for r in row..row + seq.len() {
                for (a, b) in v.iter_mut().zip(&x[r * h..(r + 1) * h]) {
                    *a += b;
                }
            }
            row += seq.len();
            let norm = v.iter().map(|a| a * a).sum::<f32>().sqrt();
            if norm > 0.0 {
                v.iter_mut().for_each(|a| *a /= norm);
            }
            out.push(v);
        }
        out
    }

    fn layer(&self, l: &Layer, x: &mut Vec<f32>, seqs: &[&[u32]], s: &mut Scratch) {
        let (h, rows) = (self.hidden, x.len() / self.hidden);
        linear(x, rows, h, &l.qkv, &l.qkv_bias, &mut s.qkv);
        self.attention(&s.qkv, seqs, &mut s.ctx, &mut s.scores);
        linear(&s.ctx, rows, h, &l.attn_out, &l.attn_out_bias, &mut s.attn);
        s.attn.iter_mut().zip(x.iter()).for_each(|(a, b)| *a += b);
        layer_norm(&mut s.attn, h, &l.attn_norm, self.eps);
        linear(&s.attn, rows, h, &l.up, &l.up_bias, &mut s.up);
        match self.act {
            Act::Erf => {
                s.up.iter_mut()
                    .for_each(|v| *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2)))
            }
            Act::Tanh => s.up.iter_mut().for_each(|v| {
                let c = (2.0 / std::f32::consts::PI).sqrt();
                *v = 0.5 * *v * (1.0 + (c * (*v + 0.044715 * *v * *v * *v)).tanh())
            }),
        }
        linear(&s.up, rows, self.intermediate, &l.down, &l.down_bias, x);
        x.iter_mut().zip(&s.attn).for_each(|(a, b)| *a += b);
        layer_norm(x, h, &l.out_norm, self.eps);
    }

    /// Scaled dot-product attention, each text against itself only.
    fn attention(&self, qkv: &[f32], seqs: &[&[u32]], ctx: &mut Vec<f32>, scores: &mut Vec<f32>) {
        let (h, heads) = (self.hidden, self.heads);
        let d = h / heads;
        let scale = 1.0 / (d as f32).sqrt();
        let stride = 3 * h;
        ctx.clear();
        ctx.resize(qkv.len() / 3, 0.0);
        let mut row = 0;
        for seq in seqs {
            let n = seq.len();
            if n == 0 {
                continue;
            }
            scores.clear();
            scores.resize(n * n, 0.0);
            for head in 0..heads {
                let q = &qkv[row * stride + head * d..];
                let k = &qkv[row * stride + h + head * d..];
                let v = &qkv[row * stride + 2 * h + head * d..];
                // scores (n × n) = q (n × d) · kᵀ (d × n)
                matmul(
                    Mat {
                        data: q,
                        rows: n,
                        cols: d,
                        rs: stride,
                        cs: 1,
                    },
                    Mat {
                        data: k,
                        rows: d,
                        cols: n,
                        rs: 1,
                        cs: stride,
                    },
                    MatMut {
                        data: scores,
                        rs: n,
                        cs: 1,
                    },
                    scale,
                );
                for r in scores.chunks_exact_mut(n) {
                    softmax(r);
                }
                // ctx (n × d) = scores (n × n) · v (n × d)
                matmul(
                    Mat {
                        data: scores,
                        rows: n,
                        cols: n,
                        rs: n,
                        cs: 1,
                    },
                    Mat {
                        data: v,
                        rows: n,
                        cols: d,
                        rs: stride,
                        cs: 1,
                    },
                    MatMut {
                        data: &mut ctx[row * h + head * d..],
                        rs: h,
                        cs: 1,
                    },
                    1.0,
                );
            }
            row += n;
        }
    }
}

/// Buffers reused from layer to layer of one call.
#[derive(Default)]
struct Scratch {
    qkv: Vec<f32>,
    ctx: Vec<f32>,
    scores: Vec<f32>,
    attn: Vec<f32>,
    up: Vec<f32>,
}

/// A strided read-only matrix view.
struct Mat<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

struct MatMut<'a> {
    data: &'a mut [f32],
    rs: usize,
    cs: usize,
}

impl Mat<'_> {
    /// The offset one past the last element the view reads.
    fn extent(&self) -> usize {
        if self.rows == 0 || self.cols == 0 {
            0
        } else {
            (self.rows - 1) * self.rs + (self.cols - 1) * self.cs + 1
        }
    }
}

/// `out = scale · a · b`, overwriting `out`. The views are bounds-checked
/// here, which is what makes the call into `gemm` sound.
fn matmul(a: Mat, b: Mat, out: MatMut, scale: f32) {
    assert_eq!(a.cols, b.rows, "inner dimensions");
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert!(
        a.extent() <= a.data.len() && b.extent() <= b.data.len(),
        "input view in bounds"
    );
    let out_extent = if m == 0 || n == 0 {
        0
    } else {
        (m - 1) * out.rs + (n - 1) * out.cs + 1
    };
    assert!(out_extent <= out.data.len(), "output view in bounds");
    if m == 0 || n == 0 {
        return;
    }
    // SAFETY: every element the three strided views address lies inside
    // its slice (checked above), `out` is borrowed mutably and so aliases
    // neither input, and `read_dst = false` means `out` is only written.
    unsafe {
        gemm_f32::gemm::f32::get_gemm_fn()(
            m,
            n,
            k,
            out.data.as_mut_ptr(),
            out.cs as isize,
            out.rs as isize,
            false,
            a.data.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.data.as_ptr(),
            b.cs as isize,
            b.rs as isize,
            0.0,
            scale,
            false,
            false,
            false,
            gemm_common::Parallelism::None,
        );
    }
}

/// `out (rows × w_out) = x (rows × w_in) · w + bias`, with `w` stored in × out.
fn linear(x: &[f32], rows: usize, inputs: usize, w: &[f32], bias: &[f32], out: &mut Vec<f32>) {
    let outputs = bias.len();
    out.clear();
    out.resize(rows * outputs, 0.0);
    matmul(
        Mat {
            data: x,
            rows,
            cols: inputs,
            rs: inputs,
            cs: 1,
        },
        Mat {
            data: w,
            rows: inputs,
            cols: outputs,
            rs: outputs,
            cs: 1,
        },
        MatMut {
            data: out,
            rs: outputs,
            cs: 1,
        },
        1.0,
    );
    for row in out.chunks_exact_mut(outputs) {
        row.iter_mut().zip(bias).for_each(|(a, b)| *a += b);
    }
}

fn layer_norm(x: &mut [f32], width: usize, (gain, bias): &(Vec<f32>, Vec<f32>), eps: f32) {
    for row in x.chunks_exact_mut(width) {
        let mean = row.iter().sum::<f32>() / width as f32;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / width as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, g), b) in row.iter_mut().zip(gain).zip(bias) {
            *v = (*v - mean) * inv * g + b;
        }
    }
}

fn softmax(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in row.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    row.iter_mut().for_each(|v| *v /= sum);
}

/// The error function to ~1e-7 (Abramowitz & Stegun 7.1.26), enough for
/// GELU: embeddings match PyTorch's to cosine > 0.9999.
fn erf(x: f32) -> f32 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_7 + t * (1.421_413_8 + t * (-1.453_152_1 + t * 1.061_405_4))));
    let y = 1.0 - poly * (-x * x).exp();
    if x < 0.0 {
        -y
    } else {
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matmul_matches_the_definition_with_strided_views() {
        // a = [[1,2],[3,4],[5,6]], b = aᵀ read through strides.
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let mut out = [0.0; 9];
        matmul(
            Mat {
                data: &a,
                rows: 3,
                cols: 2,
                rs: 2,
                cs: 1,
            },
            Mat {
                data: &a,
                rows: 2,
                cols: 3,
                rs: 1,
                cs: 2,
            },
            MatMut {
                data: &mut out,
                rs: 3,
                cs: 1,
            },
            1.0,
        );
        assert_eq!(out, [5.0, 11.0, 17.0, 11.0, 25.0, 39.0, 17.0, 39.0, 61.0]);
    }

    #[test]
    fn erf_is_close_to_reference_values() {
        for (x, want) in [
            (0.0, 0.0),
            (0.5, 0.520_499_9),
            (1.0, 0.842_700_8),
            (-2.0, -0.995_322_3),
        ] {
            assert!((erf(x) - want).abs() < 1e-6, "erf({x})");
        }
    }

    #[test]
    fn softmax_sums_to_one_and_survives_large_inputs() {
        let mut row = [1000.0, 1000.0, -1000.0];
        softmax(&mut row);
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!((row[0] - 0.5).abs() < 1e-6);
    }
}
