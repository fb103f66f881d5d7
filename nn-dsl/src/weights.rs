//! Weights files (safetensors): every constant tensor and every activation quantisation of a network.
