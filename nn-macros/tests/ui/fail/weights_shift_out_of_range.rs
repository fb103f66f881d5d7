// Issue 16, item 4: a weight scale whose requantisation multiplier (1 * 1e10 / 1e-3) needs a
// shift of 44 used to expand to a module whose `run` fails with a KernelError on the device; the
// macros refuse it at the layer (E0204), inline and from a .nnd file.
nn_macros::network! {
    network Shift {
        input x: i8[4];
        weights "tests/ui/data/shift.safetensors";
        output y = dense(x, units = 2);
    }
}

mod from_file {
    nn_macros::include_nnd!("tests/ui/data/shift.nnd");
}

fn main() {}
