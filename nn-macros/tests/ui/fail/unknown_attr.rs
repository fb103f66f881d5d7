// `strides` is not an attribute of conv2d; did you mean `stride`?
nn_macros::network! {
    network Strides {
        input x: i8[28, 28, 1];
        let c = conv2d(x, filters = 8, kernel = 3, strides = 2);
        output c;
    }
}

fn main() {}
