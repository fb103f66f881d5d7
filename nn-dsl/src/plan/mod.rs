//! The memory planner: one arena for every activation, offsets decided at compile time.
//!
//! [`plan`] reads a checked [`Module`] and decides where every tensor lives while the network
//! runs. The result, an [`ArenaPlan`], is what a back end bakes into generated code (`const
//! ARENA_BYTES` and one offset per tensor) and what `nndc info` reports. The full rationale, with
//! the figures for the MLPerf Tiny models, is in `docs/memory.md`.
//!
//! # Model
//!
//! - **Steps.** The schedule is the node arena's order (a valid topological order, see
//!   [`crate::ir`]); step `s` is the execution of node `s`.
//! - **Lifetimes.** A tensor lives from the step of its producer to the step of its last consumer,
//!   both included: at step `s` the node reads its inputs and writes its output, so both need
//!   memory at the same time. A tensor nobody reads lives only at its producer's step. A graph
//!   input lives from step 0; a graph output, when it is in the arena, to the last step.
//! - **Graph inputs and outputs are not in the arena** (by default). The generated `run` takes the
//!   input as a typed array (`&[i8; N]`) and writes a typed output (`&mut [i8; M]`), so the first
//!   layer reads the caller's input buffer and the layer producing an output writes straight into
//!   the caller's output buffer; no copy in, no copy out, and those bytes are not counted in
//!   [`ArenaPlan::arena_bytes`]. Such tensors have [`Memory::Input`] or [`Memory::Output`] and
//!   offset 0 (or their parent's offset for an alias). [`PlanOptions::io_in_arena`] places them
//!   in the arena instead, which is how TensorFlow Lite Micro counts (used for comparisons).
//! - **Aliases.** `reshape` and `flatten` do not copy: their output is the input's bytes under
//!   another shape, at the same offset, and the buffer's lifetime is the union of both. The one
//!   exception: when aliasing would put two different caller buffers in one buffer (`output
//!   flatten(x)` of a graph input `x`, or one tensor reshaped into two graph outputs), the
//!   reshape becomes a copy and its output gets its own buffer ([`Share::Own`]); a back end
//!   recognises it because [`TensorPlan::share`] is not [`Share::Alias`].
//! - **Scratch.** Each node may need a scratch buffer for the duration of its step
//!   ([`scratch_bytes`]); it is planned like a tensor that lives only at that step. Today's
//!   portable kernels need none, so the hook returns 0; an im2col convolution will return its
//!   column buffer size here.
//! - **In place** ([`PlanOptions::in_place`], off by default): an element-wise op (`relu`,
//!   `relu6`, `leaky_relu`, `hard_swish`, `logistic`, `tanh`, `requantize`, `add`, `sub`, `mul`,
//!   `maximum`, `minimum`, `prelu`) may write its output over an input of the same size and
//!   dtype that dies at that node ([`Share::InPlace`]). The generated code calls the portable
//!   `*_in_place` kernels of `nn-kernels`, which take the one buffer as `&mut [i8]` and read
//!   each element just before writing its result there.
//! - **Alignment.** Every buffer starts at a multiple of [`PlanOptions::align`] (default 16, the
//!   alignment TFLM gives its tensors) and every size is rounded up to it. The arena's base must
//!   have that alignment too.
//! - **Offsets** come from greedy placement in the style of TFLM's `GreedyMemoryPlanner`: take
//!   the buffers in some order, put each at the lowest offset where it overlaps no already
//!   placed buffer whose lifetime intersects its own. Several orders are tried ([`Heuristic`]),
//!   the smallest arena wins (ties: the first in [`Heuristic::ALL`]). The lower bound, the
//!   largest number of bytes live at one step, is reported beside it: when both are equal the
//!   plan is optimal.
//!
//! ```
//! let (module, _) = nn_dsl::check::check_source(
//!     "network T { input x: i8[8, 8, 3]; let a = conv2d(x, filters = 4, kernel = 3); \
//!      let b = conv2d(a, filters = 4, kernel = 3); output y = flatten(b); }",
//! )
//! .map_err(|d| d.len())?;
//! let plan = nn_dsl::plan::plan(&module, &nn_dsl::plan::PlanOptions::default()).map_err(|_| 0usize)?;
//! // `x` is the caller's input, `b` (through the flatten alias) the caller's output: only `a`
//! // (6 * 6 * 4 = 144 bytes) is in the arena.
//! assert_eq!(plan.arena_bytes, 144);
//! assert_eq!(plan.lower_bound_bytes, 144);
//! # Ok::<(), usize>(())
//! ```

mod assign;
pub mod chain;
pub mod chart;
pub mod fuse;
mod lifetime;
pub mod rows;

use std::fmt;

use crate::ir::{Handle, Module, Node, Op, Tensor};

pub use assign::Heuristic;
pub use rows::{RowGeometry, RowOrder, RowWrite};

/// Options of [`plan`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanOptions {
    /// Alignment of every buffer's offset and size, in bytes: a power of two. Default 16.
    pub align: usize,
    /// Let element-wise ops overwrite an input that dies at them ([`Share::InPlace`]; the
    /// generated code then calls the portable `*_in_place` kernels). With [`Self::max_arena`]
    /// it is used only when the plan without it does not fit. Default off.
    pub in_place: bool,
    /// Put graph inputs and outputs in the arena instead of the caller's buffers. Default off.
    pub io_in_arena: bool,
    /// Let a convolution or depthwise convolution write its output row by row over an input that
    /// dies at it ([`Share::Rows`], see [`rows`]): less memory, one kernel call per output row.
    /// It is used only where it pays: the plain plan when it fits [`Self::max_arena`], else
    /// the fewest layers in place that reach the budget (without a budget: the smallest arena
    /// in place can give), trying the last layers first. Default off.
    pub in_place_rows: bool,
    /// The largest arena allowed, in bytes: a larger plan is [`PlanError::OverBudget`]. Default
    /// `None`.
    pub max_arena: Option<usize>,
    /// Compute residual blocks (`add(conv(conv(x)), x or conv(x))`, [`fuse`]) and chains of
    /// consecutive convolutions and pools ([`chain`]) one output row at a time, their inner
    /// tensors never stored whole: each used when it gives a smaller arena (with a budget, chains
    /// only when the plan does not fit it). Default off.
    pub fuse_blocks: bool,
}

impl PlanOptions {
    /// The options of the memory modes of `nndc build` / `nndc info` / [`Build`]: with
    /// `in_place` (`--in-place`) or a budget, element-wise layers in place, convolutions and
    /// pools row by row, residual blocks and chains fused, each where it pays.
    ///
    /// [`Build`]: crate::build::Build
    pub fn memory(in_place: bool, max_arena: Option<usize>, io_in_arena: bool) -> PlanOptions {
        let on = in_place || max_arena.is_some();
        PlanOptions {
            in_place: on,
            in_place_rows: on,
            fuse_blocks: on,
            io_in_arena,
            max_arena,
            ..PlanOptions::default()
        }
    }
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            align: 16,
            in_place: false,
            io_in_arena: false,
            in_place_rows: false,
            max_arena: None,
            fuse_blocks: false,
        }
    }
}

/// Why a module cannot be planned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The alignment is zero or not a power of two.
    #[error("alignment {0} is not a power of two")]
    BadAlignment(usize),
    /// The module breaks an IR invariant (see [`Module::validate`]).
    #[error("the module is not valid: {0}")]
    InvalidModule(String),
    /// A size or an offset does not fit in `usize`.
    #[error("the arena for `{0}` does not fit in the address space")]
    TooLarge(String),
    /// The arena is larger than [`MAX_OBJECT_BYTES`]: no target could hold it.
    #[error(
        "network `{network}` needs an activation arena of {bytes} bytes, more than the \
         {MAX_OBJECT_BYTES} bytes of the largest object a 32-bit target can hold{}",
        peak.as_ref().map(|(layer, live)| format!(
            " ({live} bytes are live at layer `{layer}`); make the tensors live there smaller"
        )).unwrap_or_default()
    )]
    ArenaTooLarge {
        /// The network's name.
        network: String,
        /// The arena size the plan needs.
        bytes: usize,
        /// The layer at the peak and the bytes live there, when the network has layers.
        peak: Option<(String, usize)>,
    },
    /// The arena is larger than [`PlanOptions::max_arena`].
    #[error(
        "network `{network}` needs an arena of {bytes} bytes, {} more than the budget of \
         {budget}{}",
        bytes.saturating_sub(*budget),
        peak.as_ref().map(|(layer, live)| format!(
            "; {live} bytes are live at layer `{layer}`, the peak; make the tensors live there \
             smaller or raise the budget"
        )).unwrap_or_default()
    )]
    OverBudget {
        /// The network's name.
        network: String,
        /// The smallest arena the planner found.
        bytes: usize,
        /// The budget.
        budget: usize,
        /// The layer at the peak and the bytes live there, when the network has layers.
        peak: Option<(String, usize)>,
    },
    /// A graph input or output (a caller's array) is larger than [`MAX_OBJECT_BYTES`].
    #[error(
        "graph {role} `{tensor}` takes {bytes} bytes, more than the {MAX_OBJECT_BYTES} bytes of \
         the largest object a 32-bit target can hold; make it smaller"
    )]
    BufferTooLarge {
        /// `input` or `output`.
        role: &'static str,
        /// The tensor's name.
        tensor: String,
        /// Its size in bytes.
        bytes: usize,
    },
}

/// The largest arena, and the largest graph input or output, a plan may have: `i32::MAX` bytes.
///
/// The generated code holds the arena and each graph input and output as one Rust array, and no
/// Rust object can be larger than `isize::MAX` bytes: 2,147,483,647 on a 32-bit target (Cortex-M,
/// and `generic` on any 32-bit platform). The checker reports a network over this limit (E0126).
pub const MAX_OBJECT_BYTES: usize = i32::MAX as usize;

/// Which memory a tensor's bytes are in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Memory {
    /// The arena, at [`TensorPlan::offset`].
    Arena,
    /// The caller's buffer for graph input number `i` (read-only).
    Input(usize),
    /// The caller's buffer for graph output number `i`.
    Output(usize),
    /// Nowhere: the tensor is computed a row at a time inside a fused block ([`fuse`]) and never
    /// stored whole.
    Fused,
}

/// How a tensor got its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Share {
    /// Its own buffer (or a caller's buffer).
    Own,
    /// A `reshape` / `flatten` output: the same bytes as its input ([`TensorPlan::alias_of`]).
    Alias,
    /// Written in place over an input that dies at its producer ([`TensorPlan::alias_of`]).
    InPlace,
    /// Written a few rows per kernel call, in this order, over an input that dies at its
    /// producer ([`TensorPlan::alias_of`]), at its own offset: shifted from the input's so that
    /// no row written is one still to be read ([`RowGeometry::safe`]).
    Rows(RowWrite),
    /// Never stored: an inner tensor of a fused residual block or chain ([`Memory::Fused`]).
    Fused,
    /// The output of a fused residual block or chain ([`fuse::Fused`]): written a row at a time
    /// over the start of the group's input `x` ([`TensorPlan::alias_of`]), at the same offset.
    Block,
}

/// Where one tensor lives and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorPlan {
    /// The tensor.
    pub tensor: Handle<Tensor>,
    /// Which memory.
    pub memory: Memory,
    /// Byte offset in that memory (always 0 for a caller's buffer).
    pub offset: usize,
    /// Bytes of data (elements times element size, not rounded up).
    pub size: usize,
    /// First step at which the tensor holds data (its producer's, or 0 for a graph input).
    pub first_step: usize,
    /// Last step at which it is read (or must be kept).
    pub last_step: usize,
    /// How the bytes are shared.
    pub share: Share,
    /// For [`Share::Alias`], [`Share::InPlace`] and [`Share::Rows`]: the input whose bytes it
    /// takes over.
    pub alias_of: Option<Handle<Tensor>>,
}

/// A node's scratch buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScratchPlan {
    /// The node (its step is its index).
    pub node: Handle<Node>,
    /// Offset in the arena.
    pub offset: usize,
    /// Bytes requested by [`scratch_bytes`] (not rounded up).
    pub size: usize,
}

/// The result of [`plan`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArenaPlan {
    /// The alignment used.
    pub align: usize,
    /// Bytes the caller must provide (a multiple of `align`).
    pub arena_bytes: usize,
    /// The largest number of arena bytes live at one step: no placement can do better.
    pub lower_bound_bytes: usize,
    /// The step (node index) at which `lower_bound_bytes` are live; `None` without nodes.
    pub peak_step: Option<usize>,
    /// Arena bytes live at each step (buffers rounded up to `align`, scratch included).
    pub steps: Vec<usize>,
    /// One entry per tensor, indexed like [`Module::tensors`].
    pub tensors: Vec<TensorPlan>,
    /// One entry per node that needs scratch, in step order.
    pub scratch: Vec<ScratchPlan>,
    /// The ordering whose placement was kept.
    pub heuristic: Heuristic,
    /// The fused groups: residual blocks ([`fuse`]) and chains ([`chain`]); each one's scratch
    /// is its last node's entry in [`Self::scratch`].
    pub blocks: Vec<fuse::Fused>,
}

impl ArenaPlan {
    /// The plan of `tensor`, if it belongs to the planned module.
    pub fn tensor(&self, tensor: Handle<Tensor>) -> Option<&TensorPlan> {
        self.tensors.get(tensor.index())
    }

    /// The arena offset of `tensor`, or `None` when it is in a caller's buffer.
    pub fn arena_offset(&self, tensor: Handle<Tensor>) -> Option<usize> {
        self.tensor(tensor)
            .filter(|t| t.memory == Memory::Arena)
            .map(|t| t.offset)
    }

    /// Checks the plan against `module`: every pair of arena buffers whose lifetimes intersect
    /// is disjoint, aliases share their parent's memory and offset, offsets are aligned, every
    /// buffer ends inside the arena, and the step table matches the lifetimes. Returns the first
    /// violation. [`plan`] only returns plans that pass; this is for tests and for consumers that
    /// build or edit plans themselves.
    pub fn verify(&self, module: &Module) -> Result<(), String> {
        verify(self, module)
    }
}

impl fmt::Display for Memory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Memory::Arena => f.write_str("arena"),
            Memory::Input(i) => write!(f, "input {i}"),
            Memory::Output(i) => write!(f, "output {i}"),
            Memory::Fused => f.write_str("fused"),
        }
    }
}

/// Scratch bytes `node` needs during its own step.
///
/// 0 for every op today: the portable kernels of `nn-kernels` compute from their inputs straight
/// into their output. A back end whose kernels need a work buffer (an im2col convolution, a
/// softmax with a table) returns its size here, and [`plan`] places it like a tensor living for
/// that one step.
pub fn scratch_bytes(node: &Node, module: &Module) -> usize {
    let _ = module;
    match node.op {
        Op::Conv2d(_)
        | Op::DepthwiseConv2d(_)
        | Op::TransposeConv2d(_)
        | Op::Dense(_)
        | Op::Svdf(_)
        | Op::Lstm(_)
        | Op::MaxPool2d(_)
        | Op::AvgPool2d(_)
        | Op::GlobalAvgPool { .. }
        | Op::Mean { .. }
        | Op::Add { .. }
        | Op::Mul { .. }
        | Op::Sub { .. }
        | Op::Maximum
        | Op::Minimum
        | Op::Prelu { .. }
        | Op::Concat { .. }
        | Op::Reshape { .. }
        | Op::Flatten
        | Op::Pad { .. }
        | Op::ResizeNearest { .. }
        | Op::StridedSlice { .. }
        | Op::Relu
        | Op::Relu6
        | Op::LeakyRelu { .. }
        | Op::HardSwish
        | Op::Logistic
        | Op::Tanh
        | Op::Softmax { .. }
        | Op::Quantize
        | Op::Dequantize
        | Op::Requantize => 0,
    }
}

/// Plans `module` with `options` and the scratch sizes of [`scratch_bytes`].
pub fn plan(module: &Module, options: &PlanOptions) -> Result<ArenaPlan, PlanError> {
    plan_with_scratch(module, options, scratch_bytes)
}

/// Plans `module` with `options`, asking `scratch` for each node's scratch bytes (for back ends
/// with their own kernels, and for tests).
pub fn plan_with_scratch(
    module: &Module,
    options: &PlanOptions,
    scratch: impl Fn(&Node, &Module) -> usize,
) -> Result<ArenaPlan, PlanError> {
    if options.align == 0 || !options.align.is_power_of_two() {
        return Err(PlanError::BadAlignment(options.align));
    }
    module.validate().map_err(PlanError::InvalidModule)?;
    // The q7 kernels have no row-window or fused forms: layers of q7 networks run whole (the
    // element-wise ones may still run in place).
    let q7 = PlanOptions {
        in_place_rows: false,
        fuse_blocks: false,
        ..*options
    };
    let options = if module.numerics == crate::ir::Numerics::Pow2 {
        &q7
    } else {
        options
    };
    if options.in_place && options.max_arena.is_some() {
        // Within a budget, layers written in place (portable kernels) only when needed.
        let without = PlanOptions {
            in_place: false,
            ..*options
        };
        if let Ok(p) = plan_blocks(module, &without, &scratch) {
            return Ok(p);
        }
    }
    plan_blocks(module, options, &scratch)
}

/// Layers per fused chain at most: longer chains hold more rings than they save.
const MAX_CHAIN: usize = 8;

/// Chains tried in full per round (the best by a quick plan).
const CHAIN_TRIES: usize = 3;

/// Rounds of chain selection (chains fused at most).
const CHAIN_ROUNDS: usize = 3;

/// [`plan_with_scratch`] with or without fused residual blocks, whichever is smaller; then, while
/// it makes the arena smaller, fused chains ([`chain`]): each round ranks the chains that avoid
/// the layers already fused by a quick plan, plans the best few in full, and keeps the smallest.
/// With a budget, chains are tried only when the plan does not fit it (they cost kernel calls
/// and copies).
fn plan_blocks(
    module: &Module,
    options: &PlanOptions,
    scratch: &impl Fn(&Node, &Module) -> usize,
) -> Result<ArenaPlan, PlanError> {
    if !options.fuse_blocks {
        return plan_rows(module, options, scratch, &[]);
    }
    let residual: Vec<fuse::Fused> = fuse::find(module)
        .into_iter()
        .map(fuse::Fused::Residual)
        .collect();
    let unfused = plan_rows(module, options, scratch, &[]);
    let mut best = if residual.is_empty() {
        unfused
    } else {
        smaller(unfused, plan_rows(module, options, scratch, &residual))
    };
    for _ in 0..CHAIN_ROUNDS {
        if options.max_arena.is_some() && best.is_ok() {
            break;
        }
        let groups: Vec<fuse::Fused> = match &best {
            Ok(p) => p.blocks.clone(),
            Err(_) => Vec::new(),
        };
        let taken: Vec<Handle<Node>> = groups.iter().flat_map(fuse::Fused::nodes).collect();
        let mut ranked: Vec<(usize, Vec<fuse::Fused>)> = chain::find(module, &taken, MAX_CHAIN)
            .into_iter()
            .filter_map(|c| {
                let mut with = groups.clone();
                with.push(fuse::Fused::Chain(c));
                let quick = plan_once(module, options, scratch, None, 1, &with).ok()?;
                Some((quick.arena_bytes, with))
            })
            .collect();
        ranked.sort_by_key(|(bytes, _)| *bytes);
        let before = best.as_ref().map(|p| p.arena_bytes).ok();
        for (_, with) in ranked.into_iter().take(CHAIN_TRIES) {
            best = smaller(best, plan_rows(module, options, scratch, &with));
        }
        if best.as_ref().map(|p| p.arena_bytes).ok() == before {
            break;
        }
    }
    best
}

/// The smaller of two plans (`a` on a tie), or the one that fits the budget; over the budget
/// either way, the error of the smaller.
fn smaller(
    a: Result<ArenaPlan, PlanError>,
    b: Result<ArenaPlan, PlanError>,
) -> Result<ArenaPlan, PlanError> {
    match (a, b) {
        (Ok(u), Ok(f)) if f.arena_bytes < u.arena_bytes => Ok(f),
        (Ok(u), _) => Ok(u),
        (Err(_), Ok(f)) => Ok(f),
        (
            Err(PlanError::OverBudget { bytes: u, .. }),
            Err(e @ PlanError::OverBudget { bytes: f, .. }),
        ) if f < u => Err(e),
        (Err(e), Err(_)) => Err(e),
    }
}

/// [`plan_with_scratch`] for one choice of fused blocks.
fn plan_rows(
    module: &Module,
    options: &PlanOptions,
    scratch: &impl Fn(&Node, &Module) -> usize,
    blocks: &[fuse::Fused],
) -> Result<ArenaPlan, PlanError> {
    let plain_options = PlanOptions {
        in_place_rows: false,
        ..*options
    };
    if !options.in_place_rows {
        let plain = plan_once(module, options, scratch, None, 1, blocks)?;
        return within_budget(module, plain, options.max_arena);
    }
    // Row by row costs one kernel call per output row, so it is used only where it pays: the
    // plain plan when it fits the budget, else the fewest layers in place that reach the
    // budget (or, without one, the smallest arena in place gives).
    let plain = plan_once(module, &plain_options, scratch, None, 1, blocks)?;
    if options.max_arena.is_some_and(|b| plain.arena_bytes <= b) {
        return Ok(plain);
    }
    // Up to 8, 4, 2 or 1 rows per call, each taken per layer only where it costs no memory
    // there: the per-layer choice is greedy, so any cap can give the smallest arena (ties: the
    // larger cap, fewer calls).
    let mut all: Option<(ArenaPlan, usize)> = None;
    for cap in [8, 4, 2, 1] {
        let p = plan_once(module, options, scratch, None, cap, blocks)?;
        if all
            .as_ref()
            .is_none_or(|(b, _)| p.arena_bytes < b.arena_bytes)
        {
            all = Some((p, cap));
        }
    }
    let Some((all, max_chunk)) = all else {
        return within_budget(module, plain, options.max_arena);
    };
    if all.arena_bytes >= plain.arena_bytes {
        // Writing over inputs keeps a group's bytes for its whole life, which can cost more
        // than it saves (ResNet-8's skip tensors).
        return within_budget(module, plain, options.max_arena);
    }
    let all = within_budget(module, all, options.max_arena)?;
    let goal = options.max_arena.unwrap_or(all.arena_bytes);
    let mut allowed: Vec<bool> = module
        .nodes
        .iter()
        .map(|(_, n)| {
            all.tensor(n.output)
                .is_some_and(|t| matches!(t.share, Share::Rows(_)))
        })
        .collect();
    let mut best = all;
    // Late layers are usually far from the peak: try them first.
    for i in (0..allowed.len()).rev() {
        if !allowed[i] {
            continue;
        }
        allowed[i] = false;
        let p = plan_once(module, options, scratch, Some(&allowed), max_chunk, blocks)?;
        if p.arena_bytes <= goal {
            best = p;
        } else {
            allowed[i] = true;
        }
    }
    Ok(best)
}

/// `plan`, or [`PlanError::OverBudget`] when its arena is larger than `budget`.
fn within_budget(
    module: &Module,
    plan: ArenaPlan,
    budget: Option<usize>,
) -> Result<ArenaPlan, PlanError> {
    match budget {
        Some(b) if plan.arena_bytes > b => {
            let peak = plan.peak_step.and_then(|s| {
                let node = module.nodes.iter().nth(s)?.1;
                Some((node.name.clone(), plan.steps.get(s).copied()?))
            });
            Err(PlanError::OverBudget {
                network: module.name.clone(),
                bytes: plan.arena_bytes,
                budget: b,
                peak,
            })
        }
        _ => Ok(plan),
    }
}

fn plan_once(
    module: &Module,
    options: &PlanOptions,
    scratch: &impl Fn(&Node, &Module) -> usize,
    rows_allowed: Option<&[bool]>,
    max_chunk: usize,
    blocks: &[fuse::Fused],
) -> Result<ArenaPlan, PlanError> {
    let too_large = || PlanError::TooLarge(module.name.clone());
    let live = lifetime::analyse(module, options, scratch, rows_allowed, max_chunk, blocks)
        .ok_or_else(too_large)?;
    let mut steps = vec![0usize; live.step_count];
    for b in &live.buffers {
        for s in steps.iter_mut().take(b.last + 1).skip(b.first) {
            *s = s.checked_add(b.size).ok_or_else(too_large)?;
        }
    }
    let lower_bound_bytes = steps.iter().copied().max().unwrap_or(0);
    let (heuristic, offsets, arena_bytes) =
        assign::best(&live.buffers, lower_bound_bytes).ok_or_else(too_large)?;
    let peak_step = steps.iter().position(|&s| s == lower_bound_bytes);
    steps.truncate(module.nodes.len());
    let peak_step = peak_step.filter(|&s| s < module.nodes.len());

    let tensors: Vec<TensorPlan> = live
        .tensors
        .iter()
        .map(|t| TensorPlan {
            tensor: t.tensor,
            memory: t.memory,
            offset: t
                .buffer
                .and_then(|b| offsets.get(b).copied())
                .map_or(0, |o| o + t.rel),
            size: t.size,
            first_step: t.first,
            last_step: t.last,
            share: t.share,
            alias_of: t.alias_of,
        })
        .collect();
    let scratch = live
        .scratch
        .iter()
        .map(|&(node, buffer, size)| ScratchPlan {
            node,
            offset: offsets.get(buffer).copied().unwrap_or(0),
            size,
        })
        .collect();
    if arena_bytes > MAX_OBJECT_BYTES {
        let peak = peak_step.and_then(|s| {
            let node = module.nodes.iter().nth(s)?.1;
            Some((node.name.clone(), steps.get(s).copied()?))
        });
        return Err(PlanError::ArenaTooLarge {
            network: module.name.clone(),
            bytes: arena_bytes,
            peak,
        });
    }
    for t in &tensors {
        let role = match t.memory {
            Memory::Arena | Memory::Fused => continue,
            Memory::Input(_) => "input",
            Memory::Output(_) => "output",
        };
        if t.size > MAX_OBJECT_BYTES {
            return Err(PlanError::BufferTooLarge {
                role,
                tensor: module
                    .tensors
                    .get(t.tensor)
                    .map(|x| x.name.clone())
                    .unwrap_or_default(),
                bytes: t.size,
            });
        }
    }
    let plan = ArenaPlan {
        align: options.align,
        arena_bytes,
        lower_bound_bytes,
        peak_step,
        steps,
        tensors,
        scratch,
        heuristic,
        blocks: {
            let mut groups = blocks.to_vec();
            groups.sort_by_key(|g| g.emit_node().map(|h| h.index()));
            groups
        },
    };
    Ok(plan)
}

/// One placed interval for [`verify`]: `[offset, end)` in the arena during `[first, last]`.
struct Placed {
    what: String,
    group: usize,
    offset: usize,
    end: usize,
    first: usize,
    last: usize,
}

fn verify(plan: &ArenaPlan, module: &Module) -> Result<(), String> {
    if plan.tensors.len() != module.tensors.len() {
        return Err(format!(
            "{} tensor plans for {} tensors",
            plan.tensors.len(),
            module.tensors.len()
        ));
    }
    let align = plan.align.max(1);
    let round = |n: usize| n.div_ceil(align).saturating_mul(align);
    // Group = the root of each alias chain; members of one group may overlap each other.
    let root = |mut h: Handle<Tensor>| {
        let mut hops = 0;
        while let Some(p) = plan.tensor(h).and_then(|t| t.alias_of) {
            h = p;
            hops += 1;
            if hops > plan.tensors.len() {
                break;
            }
        }
        h.index()
    };
    let mut placed = Vec::new();
    for (i, t) in plan.tensors.iter().enumerate() {
        let name = module
            .tensors
            .get(t.tensor)
            .map(|m| m.name.clone())
            .unwrap_or_default();
        if t.tensor.index() != i {
            return Err(format!(
                "tensor plan {i} describes tensor {}",
                t.tensor.index()
            ));
        }
        if t.first_step > t.last_step {
            return Err(format!("`{name}` dies before it is born"));
        }
        if let Some(m) = module.tensors.get(t.tensor) {
            if m.size_bytes() != t.size {
                return Err(format!(
                    "`{name}` has {} bytes, planned {}",
                    m.size_bytes(),
                    t.size
                ));
            }
        }
        match (t.share, t.alias_of) {
            (Share::Own, None) => {}
            (Share::Alias | Share::InPlace, Some(parent)) => {
                let p = plan
                    .tensor(parent)
                    .ok_or_else(|| format!("`{name}` aliases a missing tensor"))?;
                if p.memory != t.memory || p.offset != t.offset {
                    return Err(format!("`{name}` does not share its parent's bytes"));
                }
                if t.size > p.size {
                    return Err(format!("`{name}` is larger than the buffer it shares"));
                }
            }
            (Share::Rows(write), Some(parent)) => {
                let p = plan
                    .tensor(parent)
                    .ok_or_else(|| format!("`{name}` is written over a missing tensor"))?;
                let node = module
                    .tensors
                    .get(t.tensor)
                    .and_then(|m| match m.producer {
                        crate::ir::Producer::Node(n) => module.nodes.get(n),
                        _ => None,
                    })
                    .ok_or_else(|| format!("`{name}` is written in place but has no producer"))?;
                let g = rows::row_geometry(node, module)
                    .ok_or_else(|| format!("`{name}`'s producer cannot run row by row"))?;
                if node.inputs.first() != Some(&parent) {
                    return Err(format!("`{name}` is not written over its producer's data"));
                }
                if t.memory != Memory::Arena || p.memory != Memory::Arena {
                    return Err(format!("`{name}` is written in place outside the arena"));
                }
                if p.last_step != t.first_step {
                    return Err(format!("`{name}` overwrites an input that is read later"));
                }
                if write.chunk == 0 || !g.safe(p.offset, t.offset, write) {
                    return Err(format!(
                        "`{name}` at {} overwrites rows of its input at {} still to be read \
                         ({})",
                        t.offset,
                        p.offset,
                        write.describe()
                    ));
                }
            }
            (Share::Fused, None) => {
                if t.memory != Memory::Fused {
                    return Err(format!("`{name}` is fused but has memory"));
                }
                let in_block = plan.blocks.iter().any(|b| {
                    b.inner()
                        .into_iter()
                        .any(|n| module.nodes.get(n).is_some_and(|n| n.output == t.tensor))
                });
                if !in_block {
                    return Err(format!("`{name}` is fused outside any block"));
                }
            }
            (Share::Block, Some(parent)) => {
                let p = plan
                    .tensor(parent)
                    .ok_or_else(|| format!("`{name}` is written over a missing tensor"))?;
                let block = plan
                    .blocks
                    .iter()
                    .find(|b| {
                        b.emit_node()
                            .and_then(|h| module.nodes.get(h))
                            .is_some_and(|n| n.output == t.tensor)
                    })
                    .ok_or_else(|| format!("`{name}` is a block output without a block"))?;
                if block.x() != parent || !block.safe() {
                    return Err(format!("`{name}` overwrites rows of `x` still to be read"));
                }
                if t.memory != Memory::Arena || p.memory != Memory::Arena || p.offset != t.offset {
                    return Err(format!(
                        "`{name}` does not start at its block input's bytes"
                    ));
                }
                if t.size > p.size || p.last_step > t.first_step {
                    return Err(format!("`{name}` does not fit over its block input"));
                }
            }
            _ => return Err(format!("`{name}`: share and alias_of disagree")),
        }
        if t.memory != Memory::Arena {
            if t.offset != 0 {
                return Err(format!("`{name}` has an offset in a caller's buffer"));
            }
            continue;
        }
        if t.offset % align != 0 {
            return Err(format!("`{name}` at offset {} is not aligned", t.offset));
        }
        let end = t.offset.saturating_add(round(t.size));
        if end > plan.arena_bytes {
            return Err(format!("`{name}` ends at {end}, past the arena"));
        }
        placed.push(Placed {
            what: format!("tensor `{name}`"),
            group: root(t.tensor),
            offset: t.offset,
            end,
            first: t.first_step,
            last: t.last_step,
        });
    }
    for (k, s) in plan.scratch.iter().enumerate() {
        let end = s.offset.saturating_add(round(s.size));
        if s.offset % align != 0 || end > plan.arena_bytes {
            return Err(format!("scratch of node {} is misplaced", s.node.index()));
        }
        placed.push(Placed {
            what: format!("scratch of node {}", s.node.index()),
            group: plan.tensors.len() + k,
            offset: s.offset,
            end,
            first: s.node.index(),
            last: s.node.index(),
        });
    }
    // No two buffers of different groups overlap at one step: per step, a sweep by offset that
    // keeps the two largest ends of distinct groups seen so far (linear in the lifetimes' total,
    // where comparing every pair was quadratic).
    let step_count = placed.iter().map(|p| p.last + 1).max().unwrap_or(0);
    let mut at_step: Vec<Vec<usize>> = vec![Vec::new(); step_count];
    for (k, p) in placed.iter().enumerate() {
        if p.end > p.offset {
            for at in at_step.iter_mut().take(p.last + 1).skip(p.first) {
                at.push(k);
            }
        }
    }
    for list in &mut at_step {
        list.sort_unstable_by_key(|&k| (placed[k].offset, k));
        // (end, index) of the largest end so far, and of the largest from another group.
        let mut top: Option<(usize, usize)> = None;
        let mut second: Option<(usize, usize)> = None;
        for &k in list.iter() {
            let x = &placed[k];
            let other = match top {
                Some((_, t)) if placed[t].group == x.group => second,
                t => t,
            };
            if let Some((end, o)) = other {
                if x.offset < end {
                    return Err(format!("{} and {} overlap", placed[o].what, x.what));
                }
            }
            match top {
                Some((end, t)) if placed[t].group == x.group => {
                    if x.end > end {
                        top = Some((x.end, k));
                    }
                }
                Some((end, t)) if x.end > end => {
                    second = Some((end, t));
                    top = Some((x.end, k));
                }
                Some(_) => {
                    if second.is_none_or(|(e, _)| x.end > e) {
                        second = Some((x.end, k));
                    }
                }
                None => top = Some((x.end, k)),
            }
        }
    }
    // The step table: every group occupies its rounded size over the union of its members'
    // lifetimes.
    // (first step, last step, lowest offset, end)
    type Extent = (usize, usize, usize, usize);
    let mut groups: std::collections::BTreeMap<usize, Extent> = Default::default();
    for p in &placed {
        let g = groups
            .entry(p.group)
            .or_insert((p.first, p.last, p.offset, p.end));
        g.0 = g.0.min(p.first);
        g.1 = g.1.max(p.last);
        g.2 = g.2.min(p.offset);
        g.3 = g.3.max(p.end);
    }
    let mut steps = vec![0usize; plan.steps.len()];
    for &(first, last, lo, end) in groups.values() {
        for s in steps.iter_mut().take(last.saturating_add(1)).skip(first) {
            *s = s.saturating_add(end - lo);
        }
    }
    if steps != plan.steps {
        return Err(format!(
            "step table {:?}, lifetimes give {steps:?}",
            plan.steps
        ));
    }
    if plan.arena_bytes < plan.lower_bound_bytes {
        return Err("arena smaller than the lower bound".into());
    }
    if plan.arena_bytes % align != 0 {
        return Err("arena size is not aligned".into());
    }
    Ok(())
}
