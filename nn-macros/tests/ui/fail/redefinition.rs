// `y` is bound twice.
nn_macros::network! {
    network Again {
        input x: i8[16];
        let y = relu(x);
        let y = relu6(x);
        output y;
    }
}

fn main() {}
