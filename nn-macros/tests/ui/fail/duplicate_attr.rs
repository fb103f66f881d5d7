// `stride` given twice: the error is at the second, the note quotes the first.
nn_macros::network! {
    network Twice {
        input x: i8[28, 28, 1];
        let c = conv2d(x, filters = 8, kernel = 3, stride = 1, stride = 2);
        output c;
    }
}

fn main() {}
