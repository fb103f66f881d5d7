// A 3x5 kernel on a 5x3 input (VALID padding).
nn_macros::network! {
    network BigKernel {
        input x: i8[5, 3, 1];
        let c = conv2d(x, filters = 4, kernel = [3, 5]);
        output c;
    }
}

fn main() {}
