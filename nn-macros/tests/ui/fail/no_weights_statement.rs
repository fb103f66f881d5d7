// Without a weights file the network's parameters are unknown.
nn_macros::network! {
    network Tiny {
        input x: i8[4];
        output y = relu(x);
    }
}

fn main() {}
