nn_macros::network!(tflite = "tests/ui/data/missing.tflite", name = Missing);

fn main() {}
