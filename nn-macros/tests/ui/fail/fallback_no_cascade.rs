// After an error the network type still exists, so the code that names it reports nothing
// more: one error, at the bad attribute.
nn_macros::network! {
    network Broken {
        input x: i8[8, 8, 3];
        weights "tests/ui/data/flatten_cnn.safetensors";
        let c = conv2d(x, filters = 4, kernel = 3, padding = sam);
        output c;
    }
}

fn takes(_: Broken) {}

fn main() {
    takes(Broken);
}
