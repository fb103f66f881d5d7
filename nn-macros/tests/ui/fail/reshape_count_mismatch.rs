// 4 * 4 * 8 = 128 elements cannot become 3 * 4.
nn_macros::network! {
    network Reshape {
        input x: i8[4, 4, 8];
        let y = reshape(x, shape = [3, 4]);
        output y;
    }
}

fn main() {}
