use super::*;
use crate::ir::Quant;

fn quantised(src: &str) -> Module {
    let (mut module, _) = crate::check::check_source(src).unwrap();
    for h in module.tensors.handles().collect::<Vec<_>>() {
        module.tensors[h].quant = Some(Quant {
            scale: vec![0.5],
            zero_point: vec![-3],
            axis: None,
        });
    }
    module
}

fn generate(module: &Module, options: &Options) -> Result<String, Error> {
    let lowered = crate::lower::lower(module, &Default::default()).unwrap();
    let plan = crate::plan::plan(module, &Default::default()).unwrap();
    write_string(module, &lowered, &plan, options)
}

#[test]
fn relu_chain_module() {
    let m = quantised(
        "network Chain { input x: i8[2, 3]; let a = relu(x); let b = flatten(a); \
         let c = relu6(b); output c; }",
    );
    let code = generate(&m, &Options::default()).unwrap();
    println!("{code}");
    assert!(code.contains("pub type Input = [[i8; 3]; 2];"));
    assert!(code.contains("pub type Output = [i8; 6];"));
    assert!(code.contains("pub const INPUT_SHAPE: [usize; 2] = [2, 3];"));
    assert!(code.contains("pub const OUTPUT_ZERO_POINT: i32 = -3;"));
    assert!(code.contains("pub const ARENA_BYTES: usize = 16;"));
    assert!(code.contains("::nn_kernels::typed::relu6("));
    // The flatten is an alias: no copy.
    assert!(!code.contains("typed::copy("));
}
