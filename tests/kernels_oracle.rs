//! Every committed TFLM oracle case through the portable kernels (filled in by the kernel work).
