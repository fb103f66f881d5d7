// A network with a q7 and a q15 input: refused at the q15 type (E0128), a network runs one
// arithmetic.
nn_macros::network! {
    network Mixed {
        input x: q7<7>[4];
        input w: q15<12>[4];
        let d = dense(x, units = 2, frac = 5);
        output d;
        output w;
    }
}

fn main() {}
