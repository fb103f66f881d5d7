// `cnv1` is not defined; did you mean `conv1`?
nn_macros::network! {
    network Undefined {
        input x: i8[28, 28, 1];
        let conv1 = conv2d(x, filters = 8, kernel = 3);
        let y = relu(cnv1);
        output y;
    }
}

fn main() {}
