// `run` takes the input as a typed array: a 12x12 image with 4 channels is a type error.
nn_macros::include_nnd!("tests/ui/data/flatten_cnn.nnd");

fn main() {
    let input = [[[0i8; 4]; 12]; 12];
    let mut output = [0i8; 4];
    let mut arena = [0i8; flatten_cnn::ARENA_BYTES];
    let _ = FlattenCnn::run(&input, &mut output, &mut arena);
}
