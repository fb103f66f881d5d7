// A q15 network with a depthwise convolution and a pooling layer: CMSIS-NN has no legacy `_q15`
// function for either, so both are refused at their tokens (E0128), naming the operators q15
// networks take.
nn_macros::network! {
    network Q15Pool {
        input x: q15<12>[8, 8, 2];
        let d = depthwise_conv2d(x, kernel = 3, padding = same, frac = 10);
        let p = max_pool2d(x, size = 2);
        output d;
        output p;
    }
}

fn main() {}
