//! What the targets share: the back half of `nndc build` (lower, plan, generate Rust) in memory,
//! weights synthesised for a checked module, and short descriptions of results.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use nn_dsl::back::rust::{self, Options, Target};
use nn_dsl::diag::{render, Diagnostic};
use nn_dsl::ir::{DType, Module, Op};
use nn_dsl::plan::PlanOptions;
use nn_dsl::weights::{required, Role, WDType, WeightTensor, Weights};

/// What one execution of a target found out.
#[derive(Debug, Default)]
pub struct Outcome {
    /// How far the input got and why it stopped (stage, diagnostic codes, error kinds): a new
    /// signature keeps the input in the in-memory corpus.
    pub signature: String,
    /// The largest message rendered for the user (diagnostics or an error's `Display`), in bytes.
    pub rendered: usize,
    /// A broken invariant (a finding): e.g. an imported model whose `.nnd` does not load back.
    pub problem: Option<String>,
}

impl Outcome {
    /// Appends `part` to the signature.
    pub fn mark(&mut self, part: &str) {
        if !self.signature.is_empty() {
            self.signature.push(' ');
        }
        self.signature.push_str(part);
    }

    /// Records a message of `len` bytes shown to the user.
    pub fn shown(&mut self, len: usize) {
        self.rendered = self.rendered.max(len);
    }

    /// Renders `diagnostics` against `source` as nndc prints them and records the size; returns
    /// the diagnostic codes for the signature.
    pub fn diagnostics(&mut self, path: &str, source: &str, diagnostics: &[Diagnostic]) -> String {
        let text = render::to_string(path, source, diagnostics);
        self.shown(text.len());
        let mut codes: Vec<&str> = diagnostics.iter().map(|d| d.code).collect();
        codes.sort_unstable();
        codes.dedup();
        codes.join(",")
    }
}

/// A 64-bit hash (std's SipHash with fixed keys: the same within one build).
pub fn hash_of(value: &(impl Hash + ?Sized)) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// An error message with its numbers and quoted names blanked out, cut short: the same kind of
/// error gives the same text, for signatures.
pub fn kind_of(message: &str) -> String {
    let mut out = String::new();
    let mut in_quote = false;
    for c in message.chars() {
        if c == '`' {
            in_quote = !in_quote;
            out.push('`');
        } else if in_quote {
            continue;
        } else if c.is_ascii_digit() {
            if !out.ends_with('#') {
                out.push('#');
            }
        } else {
            out.push(c);
        }
        if out.len() >= 48 {
            break;
        }
    }
    out
}

/// The sorted, distinct op names of a module.
pub fn ops(module: &Module) -> String {
    let mut names: Vec<&str> = module.nodes.iter().map(|(_, n)| n.op.name()).collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

/// At most this many bytes of weights are synthesised for a mutated `.nnd` network: larger
/// networks are checked but not compiled (codegen time grows with the constants, not coverage).
pub const SYNTH_BUDGET: usize = 64 * 1024;

/// Weights for every constant `module` needs (canonical shapes, small values) and the
/// quantisation of every int8 tensor the binder cannot derive; `None` when they would exceed
/// `budget` bytes. `salt` varies the scales, so that some inputs reach the lowering's refusals.
pub fn synthesize(module: &Module, budget: usize, salt: u64) -> Option<Weights> {
    let mut weights = Weights::default();
    let mut total = 0usize;
    let weight_scale = [0.01f32, 0.5, 1e-6, 3.0][(salt % 4) as usize];
    for r in required(module) {
        let shape = r.shapes.first()?.clone();
        let n = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))?;
        let bytes = n.checked_mul(r.dtype.size_bytes())?;
        total = total.checked_add(bytes)?;
        if total > budget {
            return None;
        }
        let data: Vec<u8> = match (r.role, r.dtype) {
            (Role::Weight, _) => (0..n).map(|i| ((i % 11) as u8).wrapping_sub(5)).collect(),
            (Role::WeightScale, WDType::F32) => std::iter::repeat_n(weight_scale.to_le_bytes(), n)
                .flatten()
                .collect(),
            _ => vec![0; bytes],
        };
        weights
            .tensors
            .insert(r.key, WeightTensor::new(r.dtype, shape, data)?);
    }
    let derived = |op: &Op| {
        matches!(
            op,
            Op::Softmax { .. }
                | Op::Logistic
                | Op::Tanh
                | Op::MaxPool2d(_)
                | Op::AvgPool2d(_)
                | Op::Reshape { .. }
                | Op::Flatten
                | Op::Pad { .. }
                | Op::ResizeNearest { .. }
                | Op::StridedSlice { .. }
        )
    };
    let scale = [0.05f32, 0.004, 1.0, 0.25][((salt >> 2) % 4) as usize];
    for (h, t) in module.tensors.iter() {
        if t.dtype != DType::I8 {
            continue;
        }
        let produced_by_derived = module
            .nodes
            .iter()
            .any(|(_, n)| n.output == h && derived(&n.op));
        if produced_by_derived {
            continue;
        }
        weights
            .tensors
            .insert(format!("{}.scale", t.name), WeightTensor::scalar_f32(scale));
        weights.tensors.insert(
            format!("{}.zero_point", t.name),
            WeightTensor::scalar_i64(((salt >> 4) % 5) as i64 - 2),
        );
    }
    Some(weights)
}

/// Lowers, plans and generates Rust for a bound module, as `nndc build` does
/// (`nn_dsl::build::compile_file_with`) but in memory. `variant` picks the target and the
/// planner's options. Records the stage reached and the size of any error message.
pub fn compile(module: &Module, weights: &Weights, variant: u64, outcome: &mut Outcome) {
    let lowered = match nn_dsl::lower::lower(module, weights) {
        Ok(l) => l,
        Err(e) => {
            let text = e.to_string();
            outcome.shown(text.len());
            outcome.mark(&format!("lower-err:{}", kind_of(&text)));
            return;
        }
    };
    let max_arena = (variant % 5 == 0).then_some(((variant >> 8) % 65536) as usize);
    let plan_options = PlanOptions {
        in_place_rows: variant % 3 == 0 || max_arena.is_some(),
        io_in_arena: variant % 4 == 1,
        max_arena,
        ..PlanOptions::default()
    };
    let plan = match nn_dsl::plan::plan(module, &plan_options) {
        Ok(p) => p,
        Err(e) => {
            let text = e.to_string();
            outcome.shown(text.len());
            outcome.mark(&format!("plan-err:{}", kind_of(&text)));
            return;
        }
    };
    let targets = Target::ALL;
    let target = targets
        .get(((variant >> 3) as usize) % targets.len().max(1))
        .copied()
        .unwrap_or(Target::Generic);
    let options = Options {
        target,
        source: Some("fuzz.nnd".into()),
        ..Options::default()
    };
    match rust::write_string(module, &lowered, &plan, &options) {
        Ok(code) => outcome.mark(&format!(
            "codegen-ok:{}",
            code.len().checked_ilog2().unwrap_or(0)
        )),
        Err(e) => {
            let text = e.to_string();
            outcome.shown(text.len());
            outcome.mark(&format!("codegen-err:{}", kind_of(&text)));
        }
    }
}
