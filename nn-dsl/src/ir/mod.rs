//! The IR: one graph of tensors and nodes in arenas, with a span on every node.
