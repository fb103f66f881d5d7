// The hand-written counterpart of tests/ui/fail/typed_api_mismatch.rs: nn-kernels' typed layers
// composed by hand with shapes that connect (8x8x16 = 1024 inputs to the dense layer).
use nn_kernels::typed::{conv2d, dense, view1, ConvSpec, DenseSpec, Tensor3};

static FILTER: [[[[i8; 3]; 3]; 3]; 16] = [[[[1; 3]; 3]; 3]; 16];
static WEIGHTS: [[i8; 1024]; 10] = [[1; 1024]; 10];
static MULT: [i32; 16] = [1 << 30; 16];
static SHIFT: [i32; 16] = [0; 16];

fn main() -> Result<(), nn_kernels::KernelError> {
    let input: Tensor3<10, 10, 3> = [[[2; 3]; 10]; 10];
    let mut features: Tensor3<8, 8, 16> = [[[0; 16]; 8]; 8];
    let spec = ConvSpec {
        stride: [1, 1],
        dilation: [1, 1],
        pad: [0, 0],
        input_offset: 0,
        output_offset: 0,
        output_multiplier: &MULT,
        output_shift: &SHIFT,
        act: [-128, 127],
    };
    conv2d(&spec, &input, &FILTER, None, &mut features)?;
    // 27 taps of 2 * 1, times 0.5: every feature is 27.
    assert!(features.as_flattened().as_flattened().iter().all(|&v| v == 27));
    let flat = view1::<1024>(features.as_flattened().as_flattened(), 0)
        .ok_or(nn_kernels::KernelError::Param("flatten"))?;
    let dense_spec = DenseSpec {
        input_offset: 0,
        output_offset: 0,
        output_multiplier: &[1 << 30],
        output_shift: &[-10],
        act: [-128, 127],
    };
    let mut logits = [0i8; 10];
    dense(&dense_spec, flat, &WEIGHTS, None, &mut logits)?;
    // 1024 * 27 * 0.5 / 1024 = 13.5, rounded away from zero.
    assert_eq!(logits, [14; 10]);
    Ok(())
}
