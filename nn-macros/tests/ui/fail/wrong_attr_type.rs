// `stride` is a number or a pair, not a word.
nn_macros::network! {
    network WrongType {
        input x: i8[28, 28, 1];
        let c = conv2d(x, filters = 8, kernel = 3, stride = same);
        output c;
    }
}

fn main() {}
