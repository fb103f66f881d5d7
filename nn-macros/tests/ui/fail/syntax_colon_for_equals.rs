// `let y: ...` instead of `let y = ...`; the statement after it is still checked.
nn_macros::network! {
    network Kws {
        input x: i8[4];
        let y: dense(x, units = 2);
        ouput y;
    }
}

fn main() {}
