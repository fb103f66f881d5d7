//! The planner on the four MLPerf Tiny architectures of `examples/mlperf/`: invariants, the
//! arena sizes recorded in docs/memory.md, and the text drawing for kws.

#![allow(clippy::unwrap_used)]

mod plan_common;

use nn_dsl::ir::Module;
use nn_dsl::plan::{chart, plan, ArenaPlan, Memory, PlanOptions, Share};

fn load(name: &str) -> Module {
    let path = format!(
        "{}/../examples/mlperf/{name}.nnd",
        env!("CARGO_MANIFEST_DIR")
    );
    let source = std::fs::read_to_string(path).unwrap();
    let network = nn_dsl::front::nnd::parse_str(&source).unwrap();
    let (module, warnings) = nn_dsl::check::check(&network).unwrap();
    assert!(warnings.is_empty());
    module
}

fn planned(name: &str, options: &PlanOptions) -> (Module, ArenaPlan) {
    let module = load(name);
    let p = plan(&module, options).unwrap();
    plan_common::check_invariants(&module, &p);
    (module, p)
}

const MODELS: [&str; 4] = ["kws", "vww", "resnet8", "ad"];

/// TFLM's arena head (activations, input and output included) from docs/design: 16.0 / 73.7 /
/// 49.2 / 0.8 KB.
const TFLM_HEAD: [usize; 4] = [16_000, 73_700, 49_200, 800];

#[test]
fn arena_sizes_are_the_lower_bound_and_at_most_tflm_head() {
    // (arena, lower bound, peak layer) without and with the graph input/output in the arena.
    let expected = [
        ((16000, 16000, "dw1"), (16000, 16000, "dw1")),
        ((55296, 55296, "pw1"), (55296, 55296, "pw1")),
        ((49152, 49152, "s1b"), (49152, 49152, "s1b")),
        ((256, 256, "e2"), (768, 768, "e1")),
    ];
    for ((name, head), (caller_io, arena_io)) in MODELS.iter().zip(TFLM_HEAD).zip(expected) {
        for (io_in_arena, want) in [(false, caller_io), (true, arena_io)] {
            let options = PlanOptions {
                io_in_arena,
                ..PlanOptions::default()
            };
            let (m, p) = planned(name, &options);
            let peak = p
                .peak_step
                .map(|s| m.nodes.iter().nth(s).unwrap().1.name.as_str());
            assert_eq!(
                (p.arena_bytes, p.lower_bound_bytes, peak),
                (want.0, want.1, Some(want.2)),
                "{name}, io_in_arena = {io_in_arena}"
            );
            assert!(
                p.arena_bytes <= head,
                "{name}: {} > TFLM {head}",
                p.arena_bytes
            );
        }
    }
}

#[test]
fn caller_buffers_hold_inputs_and_outputs() {
    for name in MODELS {
        let (m, p) = planned(name, &PlanOptions::default());
        for (i, &h) in m.inputs.iter().enumerate() {
            assert_eq!(p.tensor(h).unwrap().memory, Memory::Input(i), "{name}");
        }
        for (j, (_, h)) in m.outputs.iter().enumerate() {
            assert_eq!(p.tensor(*h).unwrap().memory, Memory::Output(j), "{name}");
        }
        let (_, p) = planned(
            name,
            &PlanOptions {
                io_in_arena: true,
                ..PlanOptions::default()
            },
        );
        assert!(
            p.tensors.iter().all(|t| t.memory == Memory::Arena),
            "{name}"
        );
    }
}

#[test]
fn flatten_is_an_alias() {
    for name in ["kws", "resnet8"] {
        let (m, p) = planned(name, &PlanOptions::default());
        let flat = m.tensor_by_name("fc.flatten").unwrap();
        let pool = m.tensor_by_name("pool").unwrap();
        let t = p.tensor(flat).unwrap();
        assert_eq!((t.share, t.alias_of), (Share::Alias, Some(pool)));
        assert_eq!(p.arena_offset(flat), p.arena_offset(pool));
        assert!(p.arena_offset(flat).is_some());
    }
}

#[test]
fn alignment_options_hold_on_real_models() {
    for name in MODELS {
        for align in [1, 4, 8, 64] {
            let (_, p) = planned(
                name,
                &PlanOptions {
                    align,
                    ..PlanOptions::default()
                },
            );
            assert_eq!(p.align, align);
            assert!(p.tensors.iter().all(|t| t.offset % align == 0));
        }
    }
}

#[test]
fn in_place_never_grows_the_arena() {
    // ResNet-8's adds are element-wise: with in_place their output may take over an input that
    // dies there, which makes the live sets smaller or equal.
    for name in MODELS {
        let (_, off) = planned(name, &PlanOptions::default());
        let (_, on) = planned(
            name,
            &PlanOptions {
                in_place: true,
                ..PlanOptions::default()
            },
        );
        assert!(on.arena_bytes <= off.arena_bytes, "{name}");
        assert!(on.lower_bound_bytes <= off.lower_bound_bytes, "{name}");
    }
    let (m, p) = planned(
        "resnet8",
        &PlanOptions {
            in_place: true,
            ..PlanOptions::default()
        },
    );
    let r1 = p.tensor(m.tensor_by_name("r1").unwrap()).unwrap();
    assert_eq!(r1.share, Share::InPlace);
    // Both inputs die at r1; the first one that fits is taken.
    assert_eq!(r1.alias_of, m.tensor_by_name("c1"));
}

#[test]
fn planning_is_deterministic() {
    for name in MODELS {
        let m = load(name);
        let a = plan(&m, &PlanOptions::default()).unwrap();
        let b = plan(&m.clone(), &PlanOptions::default()).unwrap();
        assert_eq!(a, b);
        assert_eq!(chart::text(&m, &a, 64), chart::text(&m, &b, 64));
        assert_eq!(chart::svg(&m, &a), chart::svg(&m, &b));
    }
}

#[test]
fn kws_memory_text() {
    let (m, p) = planned("kws", &PlanOptions::default());
    insta::assert_snapshot!("plan_kws_memory", chart::text(&m, &p, 64));
    insta::assert_snapshot!("plan_kws_tensors", chart::tensor_table(&m, &p));
}

#[test]
fn svg_is_well_formed_enough() {
    for name in MODELS {
        let (m, p) = planned(name, &PlanOptions::default());
        let svg = chart::svg(&m, &p);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("<g>").count(), svg.matches("</g>").count());
        // One rectangle per arena buffer, plus the background and the peak row.
        let buffers = p
            .tensors
            .iter()
            .filter(|t| t.memory == Memory::Arena && t.alias_of.is_none())
            .count();
        assert_eq!(svg.matches("<rect").count(), buffers + 2, "{name}");
    }
}

/// Row-by-row in place (`in_place_rows`): the figures of docs/memory.md, and which layers
/// write over their input. ResNet-8 keeps the plain plan (in place would grow it).
#[test]
fn rows_in_place_figures() {
    // (arena with caller I/O, arena with I/O inside, layers written in place with caller I/O)
    let expected = [
        (8_656, 8_656, 9),
        (37_264, 38_032, 27),
        (49_152, 49_152, 0),
        (256, 768, 0),
    ];
    for (name, want) in MODELS.iter().zip(expected) {
        let mut got = (0, 0, 0);
        for io_in_arena in [false, true] {
            let options = PlanOptions {
                io_in_arena,
                in_place_rows: true,
                ..PlanOptions::default()
            };
            let (_, p) = planned(name, &options);
            let rows = p
                .tensors
                .iter()
                .filter(|t| matches!(t.share, Share::Rows(_)))
                .count();
            if io_in_arena {
                got.1 = p.arena_bytes;
            } else {
                got.0 = p.arena_bytes;
                got.2 = rows;
            }
            assert_eq!(p.arena_bytes, p.lower_bound_bytes, "{name}");
        }
        assert_eq!(got, want, "{name}");
    }
}

/// A budget: the plain plan when it fits, the fewest layers in place that reach it, or an error
/// naming the peak layer and the excess.
#[test]
fn arena_budget() {
    let budget = |name: &str, rows: bool, max: usize| {
        let options = PlanOptions {
            in_place_rows: rows,
            max_arena: Some(max),
            ..PlanOptions::default()
        };
        let m = load(name);
        plan(&m, &options)
            .map(|p| {
                plan_common::check_invariants(&m, &p);
                let n = p
                    .tensors
                    .iter()
                    .filter(|t| matches!(t.share, Share::Rows(_)))
                    .count();
                (p.arena_bytes, n)
            })
            .map_err(|e| e.to_string())
    };
    // (budget, arena, layers in place)
    for (max, want) in [
        (8_704, (8_704, 8)),
        (15_999, (8_704, 8)),
        (16_000, (16_000, 0)),
    ] {
        assert_eq!(budget("kws", true, max), Ok(want), "kws {max}");
    }
    for (max, want) in [
        (37_504, (37_504, 26)),
        (40_000, (38_400, 22)),
        (50_000, (41_856, 6)),
        (55_296, (55_296, 0)),
    ] {
        assert_eq!(budget("vww", true, max), Ok(want), "vww {max}");
    }
    assert_eq!(
        budget("kws", false, 9_024),
        Err(
            "network `Kws` needs an arena of 16000 bytes, 6976 more than the budget of 9024; \
             16000 bytes are live at layer `dw1`, the peak; make the tensors live there smaller \
             or raise the budget"
                .to_string()
        )
    );
    assert_eq!(
        budget("kws", true, 8_650),
        Err(
            "network `Kws` needs an arena of 8656 bytes, 6 more than the budget of 8650; \
             8656 bytes are live at layer `fc`, the peak; make the tensors live there smaller \
             or raise the budget"
                .to_string()
        )
    );
}
