// A hand-composed network with nn-kernels' typed API: the conv produces 8x8x16 = 1024 values,
// the dense layer was written for 512 inputs. rustc rejects the connection.
use nn_kernels::typed::{conv2d, dense, ConvSpec, DenseSpec, Tensor3};

static FILTER: [[[[i8; 3]; 3]; 3]; 16] = [[[[1; 3]; 3]; 3]; 16];
static WEIGHTS: [[i8; 512]; 10] = [[1; 512]; 10];
static MULT: [i32; 16] = [1 << 30; 16];
static SHIFT: [i32; 16] = [0; 16];

fn main() -> Result<(), nn_kernels::KernelError> {
    let input: Tensor3<10, 10, 3> = [[[0; 3]; 10]; 10];
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
    let dense_spec = DenseSpec {
        input_offset: 0,
        output_offset: 0,
        output_multiplier: &[1 << 30],
        output_shift: &[0],
        act: [-128, 127],
    };
    let mut logits = [0i8; 10];
    dense(&dense_spec, &features, &WEIGHTS, None, &mut logits)?;
    Ok(())
}
