// Adding two tensors whose channel counts differ.
nn_macros::network! {
    network Residual {
        input x: i8[8, 8, 16];
        let a = conv2d(x, filters = 16, kernel = 3, padding = same);
        let b = conv2d(x, filters = 32, kernel = 3, padding = same);
        let y = add(a, b);
        output y;
    }
}

fn main() {}
