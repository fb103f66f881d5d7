//! `nndc info` output: a text table or JSON (docs/cli.md).

use nn_dsl::ir::report::Report;
use nn_dsl::ir::{shape_string, Module};

use crate::CliError;

/// The JSON document, pretty-printed, with a final newline.
pub(crate) fn json(report: &impl serde::Serialize) -> Result<String, CliError> {
    serde_json::to_string_pretty(report)
        .map(|s| s + "\n")
        .map_err(|e| CliError(format!("cannot encode the report as JSON: {e}")))
}

/// A human-readable table: inputs, one row per layer, totals, outputs.
pub(crate) fn table(module: &Module, report: &Report) -> String {
    let mut out = format!("network {}\n", report.network);
    for &h in &module.inputs {
        if let Some(t) = module.tensors.get(h) {
            // A q7 / q15 network's inputs show their format (`q7<7>`, `q15<15>`), as written.
            let dtype = module.element_type(t);
            out += &format!("input {}: {dtype}{}\n", t.name, shape_string(&t.shape));
        }
    }
    let header = ["name", "op", "output shape", "MACs", "params"];
    let mut rows: Vec<[String; 5]> = report
        .layers
        .iter()
        .map(|l| {
            [
                l.name.clone(),
                l.op.clone(),
                shape_string(&l.output_shape),
                l.macs.to_string(),
                l.params.to_string(),
            ]
        })
        .collect();
    rows.push([
        "total".into(),
        String::new(),
        String::new(),
        report.total.macs.to_string(),
        report.total.params.to_string(),
    ]);
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            // Text columns left-aligned, numbers right-aligned.
            let padded = if i >= 3 {
                format!("{cell:>w$}")
            } else {
                format!("{cell:<w$}")
            };
            if i > 0 {
                s += "  ";
            }
            s += &padded;
        }
        s.trim_end().to_string() + "\n"
    };
    out += &line(header);
    let total_width = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
    for (i, row) in rows.iter().enumerate() {
        if i + 1 == rows.len() {
            out += &"-".repeat(total_width);
            out += "\n";
        }
        out += &line([&row[0], &row[1], &row[2], &row[3], &row[4]]);
    }
    for (name, h) in &module.outputs {
        if let Some(t) = module.tensors.get(*h) {
            out += &format!(
                "output {name}: {}{} (tensor `{}`)\n",
                t.dtype,
                shape_string(&t.shape),
                t.name
            );
        }
    }
    out
}
