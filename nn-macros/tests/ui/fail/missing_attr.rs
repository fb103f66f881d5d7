// conv2d needs `filters`.
nn_macros::network! {
    network Missing {
        input x: i8[28, 28, 1];
        let c = conv2d(x, kernel = 3);
        output c;
    }
}

fn main() {}
