// A strided branch added to an unstrided one: 8x8 against 4x4.
nn_macros::network! {
    network Strided {
        input x: i8[8, 8, 16];
        let a = conv2d(x, filters = 16, kernel = 3, padding = same);
        let b = conv2d(x, filters = 16, kernel = 3, stride = 2, padding = same);
        let y = add(a, b);
        output y;
    }
}

fn main() {}
