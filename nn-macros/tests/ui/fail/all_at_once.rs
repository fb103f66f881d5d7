// Every error of a network is reported at once, each at its own tokens.
nn_macros::network! {
    network Everything {
        input x: i8[32, 32, 3];
        let c1 = conv2d(x, filters = 16, kernel = 3, padding = same, activation = relu);
        let c2 = conv2d(c1, filter = 32, kernel = 3);
        let p = max_pool2d(c1, size = 2, strid = 2);
        let s = add(p, c1);
        output probs = softmax(s);
        output extra = sofmax(s);
    }
}

fn main() {}
