// `input` is a keyword of the language and cannot name a tensor.
nn_macros::network! {
    network Names {
        input input: i8[8];
        output input;
    }
}

fn main() {}
