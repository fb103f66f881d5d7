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

    // The lower bound is the largest live set (groups counted once, rounded up).
    let mut live = vec![0usize; module.nodes.len()];
    let mut seen = std::collections::HashMap::new();
    for iv in &ivs {
        let e = seen.entry(iv.group).or_insert((iv.first, iv.last, 0usize));
        e.0 = e.0.min(iv.first);
        e.1 = e.1.max(iv.last);
        e.2 = e.2.max(round(iv.hi - iv.lo));
    }
    for &(first, last, size) in seen.values() {
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
