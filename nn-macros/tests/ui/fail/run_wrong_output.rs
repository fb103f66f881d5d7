// The network has 4 outputs of int8; a buffer of 10 floats is a type error.
nn_macros::include_nnd!("tests/ui/data/flatten_cnn.nnd");

fn main() {
    let input = [[[0i8; 3]; 12]; 12];
    let mut output = [0f32; 10];
    let mut arena = [0i8; flatten_cnn::ARENA_BYTES];
    let _ = FlattenCnn::run(&input, &mut output, &mut arena);
}
