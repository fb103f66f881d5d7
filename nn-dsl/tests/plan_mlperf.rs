//! The planner on the four MLPerf Tiny architectures of `examples/mlperf/`.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use nn_dsl::ir::Module;
use nn_dsl::plan::{plan, ArenaPlan, Memory, PlanOptions, Share};

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
    p.verify(&module).unwrap();
    (module, p)
}

#[test]
fn print_figures() {
    for name in ["kws", "vww", "resnet8", "ad"] {
        for io in [false, true] {
            let (m, p) = planned(
                name,
                &PlanOptions {
                    io_in_arena: io,
                    ..PlanOptions::default()
                },
            );
            let peak = p
                .peak_step
                .map(|s| m.nodes.iter().nth(s).unwrap().1.name.clone());
            println!(
                "{name} io={io}: arena {} lower {} peak {:?} via {}",
                p.arena_bytes, p.lower_bound_bytes, peak, p.heuristic
            );
        }
    }
}
