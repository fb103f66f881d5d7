//! `nndc info` memory output: the arena plan as a section after the layer table, as fields of
//! the JSON report, as a text drawing (`--memory`) and as an SVG file (`--svg FILE`).

use std::path::Path;

use nn_dsl::ir::report::{Layer, Report, Totals};
use nn_dsl::ir::Module;
use nn_dsl::plan::{chart, ArenaPlan, Memory};
use serde::Serialize;

use crate::{info, CliError};

/// Columns of the `--memory` drawing.
const COLUMNS: usize = 64;

/// The memory section printed after the layer table: summary line and per-tensor offsets.
pub(crate) fn section(module: &Module, plan: &ArenaPlan) -> String {
    format!("\n{}", chart::tensor_table(module, plan))
}

/// The arena over time as text (`--memory`).
pub(crate) fn drawing(module: &Module, plan: &ArenaPlan) -> String {
    chart::text(module, plan, COLUMNS)
}

/// A layer of the JSON report with its arena fields after the existing ones.
#[derive(Debug, Serialize)]
struct LayerWithArena<'a> {
    #[serde(flatten)]
    layer: &'a Layer,
    /// `arena`, `input N` or `output N` (the caller's buffers).
    memory: String,
    /// Offset in the arena; `null` for a caller's buffer.
    arena_offset: Option<usize>,
    /// Bytes of the output in the arena; 0 for a caller's buffer.
    arena_bytes: usize,
}

/// The totals of the JSON report with the arena fields after the existing ones.
#[derive(Debug, Serialize)]
struct TotalsWithArena<'a> {
    #[serde(flatten)]
    total: &'a Totals,
    arena_bytes: usize,
    arena_lower_bound_bytes: usize,
    arena_peak_layer: Option<&'a str>,
}

/// The JSON report with the arena fields: the same keys as [`Report`], in the same order.
#[derive(Debug, Serialize)]
struct ReportWithArena<'a> {
    network: &'a str,
    layers: Vec<LayerWithArena<'a>>,
    total: TotalsWithArena<'a>,
}

/// The JSON report with the arena fields added (docs/cli.md): `total.arena_bytes`,
/// `total.arena_lower_bound_bytes`, `total.arena_peak_layer`, and per layer `memory`,
/// `arena_offset`, `arena_bytes`.
pub(crate) fn json(module: &Module, report: &Report, plan: &ArenaPlan) -> Result<String, CliError> {
    let layers = module
        .nodes
        .iter()
        .zip(&report.layers)
        .map(|((_, node), layer)| {
            let (memory, arena_offset, arena_bytes) = match plan.tensor(node.output) {
                Some(t) if t.memory == Memory::Arena => {
                    ("arena".to_string(), Some(t.offset), t.size)
                }
                Some(t) => (t.memory.to_string(), None, 0),
                None => (String::new(), None, 0),
            };
            LayerWithArena {
                layer,
                memory,
                arena_offset,
                arena_bytes,
            }
        })
        .collect();
    let peak = plan
        .peak_step
        .and_then(|s| module.nodes.iter().nth(s))
        .map(|(_, n)| n.name.as_str());
    info::json(&ReportWithArena {
        network: &report.network,
        layers,
        total: TotalsWithArena {
            total: &report.total,
            arena_bytes: plan.arena_bytes,
            arena_lower_bound_bytes: plan.lower_bound_bytes,
            arena_peak_layer: peak,
        },
    })
}

/// Writes the SVG drawing to `path`; an existing file is an error unless `force`.
pub(crate) fn write_svg(
    path: &Path,
    force: bool,
    module: &Module,
    plan: &ArenaPlan,
) -> Result<(), CliError> {
    let shown = path.display();
    // `symlink_metadata`: a dangling link counts as existing (and is never written through).
    if !force && std::fs::symlink_metadata(path).is_ok() {
        return Err(CliError(format!(
            "`{shown}` already exists; pass --force to overwrite it"
        )));
    }
    nn_dsl::files::write_atomic(path, chart::svg(module, plan).as_bytes())
        .map_err(|e| CliError(format!("cannot write `{shown}`: {e}")))
}
