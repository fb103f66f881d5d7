// `conv` is not an operator; the help suggests `conv2d`.
nn_macros::network! {
    network Typo {
        input x: i8[28, 28, 1];
        let c = conv(x, filters = 8, kernel = 3);
        output c;
    }
}

fn main() {}
