//! Human-readable views of a plan: the per-tensor table, the arena over time as text, and the
//! same drawing as SVG. All return strings; printing is the caller's business.

use std::fmt::Write as _;

use crate::ir::{shape_string, Module};

use super::{ArenaPlan, Memory, Share};

/// One rectangle of the drawing: an arena buffer (an alias group or a scratch buffer).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Block {
    /// Names of the tensors sharing it, the owner first.
    names: Vec<String>,
    offset: usize,
    /// Rounded up to the alignment.
    size: usize,
    first: usize,
    last: usize,
}

impl Block {
    fn label(&self) -> String {
        match self.names.split_first() {
            Some((owner, rest)) if !rest.is_empty() => format!("{owner} (= {})", rest.join(", ")),
            Some((owner, _)) => owner.clone(),
            None => String::new(),
        }
    }
}

fn node_name(module: &Module, step: usize) -> &str {
    module
        .nodes
        .iter()
        .nth(step)
        .map(|(_, n)| n.name.as_str())
        .unwrap_or("")
}

/// The arena buffers of `plan`, ordered by first step then offset.
fn blocks(module: &Module, plan: &ArenaPlan) -> Vec<Block> {
    let align = plan.align.max(1);
    let round = |n: usize| n.div_ceil(align).saturating_mul(align);
    let root_of = |mut i: usize| {
        for _ in 0..plan.tensors.len() {
            match plan.tensors.get(i).and_then(|t| t.alias_of) {
                Some(p) => i = p.index(),
                None => break,
            }
        }
        i
    };
    let mut by_root: Vec<Option<usize>> = vec![None; plan.tensors.len()];
    let mut out: Vec<Block> = Vec::new();
    for (i, t) in plan.tensors.iter().enumerate() {
        if t.memory != Memory::Arena {
            continue;
        }
        let name = module
            .tensors
            .get(t.tensor)
            .map(|m| m.name.clone())
            .unwrap_or_default();
        let r = root_of(i);
        match by_root.get(r).copied().flatten() {
            Some(b) => {
                if let Some(block) = out.get_mut(b) {
                    block.names.push(name);
                    block.first = block.first.min(t.first_step);
                    block.last = block.last.max(t.last_step);
                    block.size = block.size.max(round(t.size));
                }
            }
            None => {
                if let Some(slot) = by_root.get_mut(r) {
                    *slot = Some(out.len());
                }
                out.push(Block {
                    names: vec![name],
                    offset: t.offset,
                    size: round(t.size),
                    first: t.first_step,
                    last: t.last_step,
                });
            }
        }
    }
    for s in &plan.scratch {
        out.push(Block {
            names: vec![format!("scratch of {}", node_name(module, s.node.index()))],
            offset: s.offset,
            size: round(s.size),
            first: s.node.index(),
            last: s.node.index(),
        });
    }
    out.sort_by_key(|b| (b.first, b.offset));
    out
}

/// `"block"` or `"chain"`: the kind of fused group `tensor` is an inner tensor (`inner`) or the
/// output of.
fn group_kind(
    module: &Module,
    plan: &ArenaPlan,
    tensor: crate::ir::Handle<crate::ir::Tensor>,
    inner: bool,
) -> &'static str {
    let produced_by = |h: crate::ir::Handle<crate::ir::Node>| {
        module.nodes.get(h).is_some_and(|n| n.output == tensor)
    };
    let found = plan.blocks.iter().find(|g| {
        if inner {
            g.inner().into_iter().any(produced_by)
        } else {
            g.emit_node().is_some_and(produced_by)
        }
    });
    match found {
        Some(super::fuse::Fused::Chain(_)) => "chain",
        _ => "block",
    }
}

/// The summary line: arena size, lower bound, alignment, the peak layer and the heuristic.
pub fn summary(module: &Module, plan: &ArenaPlan) -> String {
    let peak = match plan.peak_step {
        Some(s) => format!("peak at step {s} `{}`", node_name(module, s)),
        None => "no layers".to_string(),
    };
    let state = match module.state_bytes() {
        0 => String::new(),
        n => format!("; state {n} bytes, kept between runs outside the arena"),
    };
    format!(
        "arena {} bytes, lower bound {} bytes, {}-byte aligned, {peak} ({}){state}",
        plan.arena_bytes, plan.lower_bound_bytes, plan.align, plan.heuristic
    )
}

/// The memory section of `nndc info`: the summary line, then one row per tensor in tensor order
/// with where it lives (`arena`, `input 0`, `output 0`), its offset, size, lifetime and sharing.
pub fn tensor_table(module: &Module, plan: &ArenaPlan) -> String {
    let mut out = summary(module, plan);
    out.push('\n');
    let header = [
        "tensor", "shape", "memory", "offset", "bytes", "steps", "shares",
    ];
    let mut rows: Vec<[String; 7]> = Vec::new();
    for t in &plan.tensors {
        let Some(m) = module.tensors.get(t.tensor) else {
            continue;
        };
        let parent = t
            .alias_of
            .and_then(|p| module.tensors.get(p))
            .map(|p| p.name.as_str())
            .unwrap_or("");
        let shares = match t.share {
            Share::Own => String::new(),
            Share::Alias => format!("alias of {parent}"),
            Share::InPlace => format!("in place of {parent}"),
            Share::Rows(write) => format!("over {parent}, rows {}", write.describe()),
            Share::Fused => format!(
                "fused: a few rows in its {}'s scratch",
                group_kind(module, plan, t.tensor, true)
            ),
            Share::Block => format!(
                "over {parent}, fused {}",
                group_kind(module, plan, t.tensor, false)
            ),
        };
        rows.push([
            m.name.clone(),
            format!("{}{}", m.dtype, shape_string(&m.shape)),
            t.memory.to_string(),
            t.offset.to_string(),
            t.size.to_string(),
            format!("{}-{}", t.first_step, t.last_step),
            shares,
        ]);
    }
    for s in &plan.scratch {
        rows.push([
            format!("scratch of {}", node_name(module, s.node.index())),
            String::new(),
            "arena".into(),
            s.offset.to_string(),
            s.size.to_string(),
            format!("{0}-{0}", s.node.index()),
            String::new(),
        ]);
    }
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut line = |cells: &[String]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i > 0 {
                s += "  ";
            }
            // Offsets and sizes right-aligned.
            if i == 3 || i == 4 {
                let _ = write!(s, "{cell:>w$}");
            } else {
                let _ = write!(s, "{cell:<w$}");
            }
        }
        out += s.trim_end();
        out.push('\n');
    };
    line(&header.map(String::from));
    for row in &rows {
        line(row);
    }
    // What each fused group computes together and what it costs beyond the plain layers: no
    // multiply-accumulate is repeated (every row of every layer is computed once), rows are
    // copied.
    for g in &plan.blocks {
        let names: Vec<String> = g
            .nodes()
            .into_iter()
            .filter_map(|h| module.nodes.get(h).map(|n| format!("`{}`", n.name)))
            .collect();
        let scratch = g.scratch_bytes(plan.align).unwrap_or(0);
        let (rows, copies) = g.rows_and_copies().unwrap_or((0, 0));
        let _ = writeln!(
            out,
            "fused {}: {} one output row at a time ({rows} rows), {scratch} bytes of rows in \
             scratch, {copies} row copies, 0 MACs recomputed",
            g.kind(),
            names.join(", ")
        );
    }
    out
}

/// Symbols for blocks in the text drawing, in order of first use.
const SYMBOLS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn symbol(i: usize) -> char {
    SYMBOLS
        .get(i % SYMBOLS.len())
        .map_or('#', |&b| char::from(b))
}

/// The arena over time as text: one row per step (layer), `columns` columns covering the
/// arena's addresses from 0 on the left to `arena_bytes` on the right. A cell shows the symbol
/// of the buffer covering most of its bytes at that step, `.` when none is live there. The
/// peak step is marked with `<- peak`; a legend maps symbols to tensors.
pub fn text(module: &Module, plan: &ArenaPlan, columns: usize) -> String {
    let columns = columns.max(8);
    let mut out = summary(module, plan);
    out.push('\n');
    let blocks = blocks(module, plan);
    if plan.arena_bytes == 0 || module.nodes.is_empty() {
        out += "the arena is empty: every tensor is in the caller's buffers\n";
        return out;
    }
    let per_column = plan.arena_bytes.div_ceil(columns).max(1);
    let name_width = module
        .nodes
        .iter()
        .map(|(_, n)| n.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    let step_width = module
        .nodes
        .len()
        .saturating_sub(1)
        .to_string()
        .len()
        .max(4);
    let end_label = plan.arena_bytes.to_string();
    let axis = format!(
        "0{}{end_label}",
        " ".repeat((columns + 1).saturating_sub(end_label.len()))
    );
    let _ = writeln!(
        out,
        "{:>step_width$}  {:<name_width$}  {axis}  live bytes",
        "step", "layer"
    );
    for (step, live) in plan.steps.iter().enumerate() {
        let mut row = String::with_capacity(columns);
        for c in 0..columns {
            let lo = c.saturating_mul(per_column);
            let hi = lo.saturating_add(per_column).min(plan.arena_bytes);
            let mut best: Option<(usize, usize)> = None;
            for (k, b) in blocks.iter().enumerate() {
                if b.first > step || step > b.last {
                    continue;
                }
                let covered = hi
                    .min(b.offset.saturating_add(b.size))
                    .saturating_sub(lo.max(b.offset));
                if covered > 0 && best.is_none_or(|(_, c)| covered > c) {
                    best = Some((k, covered));
                }
            }
            row.push(best.map_or('.', |(k, _)| symbol(k)));
        }
        let mark = if plan.peak_step == Some(step) {
            "  <- peak"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{step:>step_width$}  {:<name_width$}  |{row}|  {live:>w$}{mark}",
            node_name(module, step),
            w = end_label.len().max(10),
        );
    }
    let _ = writeln!(out, "one column = {per_column} bytes");
    for (k, b) in blocks.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {}  {}..{}  steps {}-{}  {}",
            symbol(k),
            b.offset,
            b.offset.saturating_add(b.size),
            b.first,
            b.last,
            b.label()
        );
    }
    out
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out += "&amp;",
            '<' => out += "&lt;",
            '>' => out += "&gt;",
            '"' => out += "&quot;",
            '\'' => out += "&apos;",
            _ => out.push(c),
        }
    }
    out
}

const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

/// The arena over time as a standalone SVG document: addresses left to right, steps top to
/// bottom, one rectangle per buffer with its name and a tooltip (offset, size, lifetime). The
/// peak step's row is shaded.
pub fn svg(module: &Module, plan: &ArenaPlan) -> String {
    const ROW: usize = 20;
    const PLOT: usize = 800;
    const TOP: usize = 50;
    let left = 60
        + 7 * module
            .nodes
            .iter()
            .map(|(_, n)| n.name.chars().count())
            .max()
            .unwrap_or(0);
    let steps = plan.steps.len();
    let width = left + PLOT + 90;
    let height = TOP + ROW * steps.max(1) + 30;
    let arena = plan.arena_bytes.max(1);
    let x = |bytes: usize| left as f64 + bytes as f64 * PLOT as f64 / arena as f64;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="monospace" font-size="12">"#
    );
    let _ = writeln!(
        s,
        r#"<title>{}</title>"#,
        escape(&format!("{}: {}", module.name, summary(module, plan)))
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{left}" y="18">{}</text>"#,
        escape(&format!("{}: {}", module.name, summary(module, plan)))
    );
    if let Some(p) = plan.peak_step {
        let _ = writeln!(
            s,
            r##"<rect x="0" y="{}" width="{width}" height="{ROW}" fill="#fde2e2"/>"##,
            TOP + p * ROW
        );
    }
    // Address axis: five ticks.
    for k in 0..=4u128 {
        let bytes = (plan.arena_bytes as u128 * k / 4) as usize;
        let tx = x(bytes);
        let _ = writeln!(
            s,
            r##"<line x1="{tx:.1}" y1="{}" x2="{tx:.1}" y2="{}" stroke="#ccc"/><text x="{tx:.1}" y="{}" text-anchor="middle">{bytes}</text>"##,
            TOP - 4,
            TOP + ROW * steps,
            TOP - 8
        );
    }
    for step in 0..steps {
        let y = TOP + step * ROW + 14;
        let _ = writeln!(
            s,
            r#"<text x="4" y="{y}">{step:>3} {}</text>"#,
            escape(node_name(module, step))
        );
        if let Some(live) = plan.steps.get(step) {
            let _ = writeln!(s, r#"<text x="{}" y="{y}">{live}</text>"#, left + PLOT + 6);
        }
    }
    for (k, b) in blocks(module, plan).iter().enumerate() {
        let (x0, x1) = (x(b.offset), x(b.offset.saturating_add(b.size)));
        let y0 = TOP + b.first * ROW;
        let h = (b.last + 1 - b.first) * ROW;
        let label = b.label();
        let tip = format!(
            "{label}: offset {}, {} bytes, steps {}-{}",
            b.offset, b.size, b.first, b.last
        );
        let fill = PALETTE.get(k % PALETTE.len()).copied().unwrap_or("#888");
        let _ = writeln!(
            s,
            r#"<g><title>{}</title><rect x="{x0:.1}" y="{y0}" width="{:.1}" height="{h}" fill="{fill}" fill-opacity="0.8" stroke="black" stroke-width="0.5"/>"#,
            escape(&tip),
            (x1 - x0).max(1.0)
        );
        if (x1 - x0) > 7.0 * label.chars().count() as f64 + 4.0 {
            let _ = writeln!(
                s,
                r#"<text x="{:.1}" y="{}">{}</text>"#,
                x0 + 3.0,
                y0 + 14,
                escape(&label)
            );
        }
        s += "</g>\n";
    }
    s += "</svg>\n";
    s
}
