// Issue 16, item 6: network names the generated Rust cannot use. `self`, `Self`, `_`, `crate`
// and `super` used to make the macro panic (they have no raw form `r#...`); `Input`, `Output`,
// `Arena` and `Result` expanded to a module with a dozen rustc errors. Each is now one error at
// the name (E0127), and no fallback item shadows the caller's `Result`.
mod a {
    nn_macros::network! {
        network self {
            input x: i8[4];
            output y = relu(x);
        }
    }
}

mod b {
    nn_macros::network! {
        network Self {
            input x: i8[4];
            output y = relu(x);
        }
    }
}

mod c {
    nn_macros::network! {
        network _ {
            input x: i8[4];
            output y = relu(x);
        }
    }
}

mod d {
    nn_macros::network! {
        network crate {
            input x: i8[4];
            output y = relu(x);
        }
    }
}

mod e {
    nn_macros::network! {
        network super {
            input x: i8[4];
            output y = relu(x);
        }
    }
}

mod f {
    nn_macros::network! {
        network Input {
            input x: i8[4];
            weights "tests/ui/data/shift.safetensors";
            output y = relu(x);
        }
    }
}

mod g {
    nn_macros::network! {
        network Result {
            input x: i8[4];
            weights "tests/ui/data/shift.safetensors";
            output y = relu(x);
        }
    }

    // The caller's `Result` is still the prelude's.
    pub fn ok() -> Result<(), ()> {
        Ok(())
    }
}

mod h {
    nn_macros::network!(
        tflite = "../tests/vectors/models/fc_autoencoder.tflite",
        name = Output
    );
}

fn main() {}
