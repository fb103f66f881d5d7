// A network without an `output` statement computes nothing.
nn_macros::network! {
    network NoOut {
        input x: i8[16];
        let y = relu(x);
    }
}

fn main() {}
