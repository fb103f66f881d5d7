// An error inside an included file is reported at the path literal, with the file's snippet.
nn_macros::include_nnd!("tests/ui/data/broken.nnd");

fn main() {}
