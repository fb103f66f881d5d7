// a -> b -> c -> a.
nn_macros::network! {
    network Loop {
        input x: i8[8, 8, 16];
        let a = add(x, c);
        let b = relu(a);
        let c = relu6(b);
        output c;
    }
}

fn main() {}
