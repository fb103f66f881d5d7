// Absolute paths are refused: the crate must build on every machine.
nn_macros::network! {
    network Tiny {
        input x: i8[4];
        weights "/tmp/tiny.safetensors";
        output y = relu(x);
    }
}

fn main() {}
