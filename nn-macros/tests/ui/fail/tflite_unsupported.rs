// A model with three unsupported operator types (written by nn-dsl/tests/import_cli.rs, which
// checks that this file is its model): all are named in one error, as `nndc check` names them.
nn_macros::network!(tflite = "tests/ui/data/unsupported_ops.tflite", name = Conv1d);

fn main() {}
