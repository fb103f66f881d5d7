// Tensor inputs come before named arguments.
nn_macros::network! {
    network Order {
        input x: i8[8, 8, 4];
        let y = add(x, activation = relu, x);
        output y;
    }
}

fn main() {}
