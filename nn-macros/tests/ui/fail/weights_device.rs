// A device as the weights file, reached through `..` (issue 16): refused at once, never read
// (it used to read `/dev/zero` for gigabytes). Enough `..` to reach / from any checkout.
nn_macros::network! {
    network Tiny {
        input x: i8[4];
        weights "../../../../../../../../../../../../../../../../../../../../dev/zero";
        output y = relu(x);
    }
}

fn main() {}
