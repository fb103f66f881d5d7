// The weights file does not exist (paths are relative to CARGO_MANIFEST_DIR).
nn_macros::network! {
    network Tiny {
        input x: i8[4];
        weights "tests/ui/data/no_such_file.safetensors";
        output y = relu(x);
    }
}

fn main() {}
