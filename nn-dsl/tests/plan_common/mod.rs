//! Invariant checks shared by the planner tests, written independently of the planner's own
//! `ArenaPlan::verify` (which they also call).

#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use nn_dsl::ir::{Module, Producer};
use nn_dsl::plan::{ArenaPlan, Memory, Share};

/// The root of `i`'s alias chain.
pub fn root(plan: &ArenaPlan, mut i: usize) -> usize {
    for _ in 0..=plan.tensors.len() {
        match plan.tensors[i].alias_of {
            Some(p) => i = p.index(),
            None => return i,
        }
    }
    panic!("alias cycle through tensor {i}");
}

/// Panics with a description when `plan` breaks an invariant for `module`.
pub fn check_invariants(module: &Module, plan: &ArenaPlan) {
    plan.verify(module).unwrap();
    assert_eq!(plan.tensors.len(), module.tensors.len());
    assert_eq!(plan.steps.len(), module.nodes.len());
    assert!(plan.arena_bytes >= plan.lower_bound_bytes);
    assert_eq!(plan.arena_bytes % plan.align, 0);
    let round = |n: usize| n.div_ceil(plan.align) * plan.align;

    // Lifetimes cover the schedule: produced at its node, alive at every reader.
    for (h, node) in module.nodes.iter() {
        let s = h.index();
        assert_eq!(
            plan.tensors[node.output.index()].first_step,
            s,
            "{}",
            node.name
        );
        for i in &node.inputs {
            let t = &plan.tensors[i.index()];
            assert!(
                t.first_step <= s && s <= t.last_step,
                "{} read at {s}",
                node.name
            );
        }
    }
    for (h, t) in module.tensors.iter() {
        let p = &plan.tensors[h.index()];
        assert_eq!(p.size, t.size_bytes());
        if let Producer::Input(_) = t.producer {
            assert_eq!(p.first_step, 0);
        }
        match p.share {
            Share::Own => assert!(p.alias_of.is_none()),
            Share::Alias | Share::InPlace => {
                let parent = &plan.tensors[p.alias_of.unwrap().index()];
                assert_eq!((parent.memory, parent.offset), (p.memory, p.offset));
            }
            Share::Rows(write) => rows_never_clobber(module, plan, h.index(), write),
            Share::Fused => {
                assert_eq!(p.memory, Memory::Fused, "{}", t.name);
                assert!(p.alias_of.is_none());
            }
            Share::Block => {
                let parent = &plan.tensors[p.alias_of.unwrap().index()];
                assert_eq!((parent.memory, parent.offset), (p.memory, p.offset));
                assert!(p.size <= parent.size, "{}", t.name);
            }
        }
        if p.memory == Memory::Fused {
            continue;
        }
        if p.memory == Memory::Arena {
            assert_eq!(p.offset % plan.align, 0, "{} misaligned", t.name);
            assert!(
                p.offset + round(p.size) <= plan.arena_bytes,
                "{} past the end",
                t.name
            );
        } else {
            assert_eq!(p.offset, 0);
        }
    }

    // Every pair of buffers live at the same time is disjoint in memory.
    struct Iv {
        group: usize,
        lo: usize,
        hi: usize,
        first: usize,
        last: usize,
    }
    let mut ivs: Vec<Iv> = Vec::new();
    for (i, p) in plan.tensors.iter().enumerate() {
        if p.memory == Memory::Arena {
            ivs.push(Iv {
                group: root(plan, i),
                lo: p.offset,
                hi: p.offset + p.size,
                first: p.first_step,
                last: p.last_step,
            });
        }
    }
    for (k, s) in plan.scratch.iter().enumerate() {
        assert!(s.size > 0);
        ivs.push(Iv {
            group: usize::MAX - k,
            lo: s.offset,
            hi: s.offset + s.size,
            first: s.node.index(),
            last: s.node.index(),
        });
    }
    for (i, a) in ivs.iter().enumerate() {
        for b in &ivs[i + 1..] {
            if a.group == b.group || a.last < b.first || b.last < a.first {
                continue;
            }
            assert!(
                a.hi <= b.lo || b.hi <= a.lo,
                "[{}, {}) and [{}, {}) overlap at steps {}-{} / {}-{}",
                a.lo,
                a.hi,
                b.lo,
                b.hi,
                a.first,
                a.last,
                b.first,
                b.last
            );
        }
    }

    // The lower bound is the largest live set (groups counted once, from their lowest offset to
    // their highest rounded end).
    let mut live = vec![0usize; module.nodes.len()];
    let mut seen = std::collections::HashMap::new();
    for iv in &ivs {
        let end = iv.lo + round(iv.hi - iv.lo);
        let e = seen
            .entry(iv.group)
            .or_insert((iv.first, iv.last, iv.lo, end));
        e.0 = e.0.min(iv.first);
        e.1 = e.1.max(iv.last);
        e.2 = e.2.min(iv.lo);
        e.3 = e.3.max(end);
    }
    for &(first, last, lo, end) in seen.values() {
        let size = end - lo;
        for s in first..=last.min(live.len().saturating_sub(1)) {
            if s < live.len() {
                live[s] += size;
            }
        }
    }
    assert_eq!(live, plan.steps);
    if !module.nodes.is_empty() {
        assert_eq!(plan.lower_bound_bytes, live.iter().copied().max().unwrap());
        let peak = plan.peak_step.unwrap();
        assert_eq!(live[peak], plan.lower_bound_bytes);
    }
}

/// A `Share::Rows` output: written `write.chunk` output rows per call in `write.order`, no write
/// may touch an input row that the same or a later call still reads (simulated byte by byte).
fn rows_never_clobber(
    module: &Module,
    plan: &ArenaPlan,
    out: usize,
    write: nn_dsl::plan::RowWrite,
) {
    let t = &module.tensors[nn_dsl::ir::Handle::from_index(out as u32)];
    let Producer::Node(n) = t.producer else {
        panic!("{} is written in place without a producer", t.name)
    };
    let node = &module.nodes[n];
    let input = node.inputs[0];
    let (pi, po) = (&plan.tensors[input.index()], &plan.tensors[out]);
    assert_eq!(pi.alias_of.map(|_| ()), pi.alias_of.map(|_| ()));
    assert_eq!(po.alias_of, Some(input), "{}", t.name);
    assert_eq!(pi.last_step, n.index(), "{}'s input is read later", t.name);
    assert_eq!((pi.memory, po.memory), (Memory::Arena, Memory::Arena));
    let w = node.op.window().unwrap();
    let x = &module.tensors[input];
    let (h, ri) = (x.shape[0], x.shape[1] * x.shape[2]);
    let (oh, ro) = (t.shape[0], t.shape[1] * t.shape[2]);
    let reach = (w.kernel[0] - 1) * w.dilation[0] + 1;
    let mut holds: std::collections::HashMap<usize, usize> = Default::default();
    for row in 0..h {
        for b in 0..ri {
            holds.insert(pi.offset + row * ri + b, row);
        }
    }
    // Calls of `write.chunk` rows: each reads the windows of all its rows, then writes them.
    assert!(write.chunk >= 1);
    let mut calls: Vec<(usize, usize)> = (0..oh)
        .step_by(write.chunk)
        .map(|s| (s, (s + write.chunk).min(oh)))
        .collect();
    if write.order == nn_dsl::plan::RowOrder::Backward {
        calls.reverse();
    }
    for (start, end) in calls {
        let mut rows: Vec<usize> = Vec::new();
        for r in start..end {
            let top = (r * w.stride[0]) as isize - w.padding.top as isize;
            rows.extend(
                (top..top + reach as isize)
                    .filter(|&y| y >= 0 && (y as usize) < h)
                    .map(|y| y as usize),
            );
        }
        let (w0, w1) = (po.offset + start * ro, po.offset + end * ro);
        for &y in &rows {
            for b in 0..ri {
                let at = pi.offset + y * ri + b;
                assert_eq!(
                    holds.get(&at),
                    Some(&y),
                    "{}: rows {start}..{end} read a clobbered byte",
                    t.name
                );
                assert!(
                    !(w0..w1).contains(&at),
                    "{}: rows {start}..{end} read what they write",
                    t.name
                );
            }
        }
        for at in w0..w1 {
            holds.remove(&at);
        }
    }
}

/// Whether two arena buffers of different alias groups (scratch included) overlap in memory at
/// some step: every pair compared, the slow and obvious way.
pub fn any_overlap(plan: &ArenaPlan) -> bool {
    let round = |n: usize| n.div_ceil(plan.align.max(1)) * plan.align.max(1);
    let mut ivs: Vec<(usize, usize, usize, usize, usize)> = Vec::new();
    for (i, p) in plan.tensors.iter().enumerate() {
        if p.memory == Memory::Arena && p.size > 0 {
            ivs.push((
                root(plan, i),
                p.offset,
                p.offset + round(p.size),
                p.first_step,
                p.last_step,
            ));
        }
    }
    for (k, s) in plan.scratch.iter().enumerate() {
        if s.size > 0 {
            let step = s.node.index();
            ivs.push((
                usize::MAX - k,
                s.offset,
                s.offset + round(s.size),
                step,
                step,
            ));
        }
    }
    ivs.iter().enumerate().any(|(i, a)| {
        ivs[i + 1..]
            .iter()
            .any(|b| a.0 != b.0 && a.1 < b.2 && b.1 < a.2 && a.3 <= b.4 && b.3 <= a.4)
    })
}
