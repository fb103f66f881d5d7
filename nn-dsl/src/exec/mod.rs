//! The host executor: runs an IR module with quantisation and weights through nn-kernels.
