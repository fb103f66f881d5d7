//! The fuzz targets: one per input format nnd reads.

use nn_dsl::back::nnd as nnd_writer;
use nn_dsl::check::check_source;
use nn_dsl::front::tflite;
use nn_dsl::ir::Module;
use nn_dsl::span::Span;
use nn_dsl::weights::{bind, Weights};

use crate::mutate::Mutator;
use crate::pipeline::{compile, hash_of, kind_of, ops, synthesize, Outcome, SYNTH_BUDGET};

/// One input format.
pub trait Target {
    /// The name on the command line and of the corpus and artifact directories.
    fn name(&self) -> &'static str;
    /// The extension of saved inputs.
    fn extension(&self) -> &'static str;
    /// How its inputs are mutated.
    fn mutator(&self) -> Mutator;
    /// Runs one input through the code under test. `Err` is a failure of the harness itself
    /// (e.g. a temporary file that cannot be written), which stops the run.
    fn run(&mut self, input: &[u8]) -> Result<Outcome, String>;
}

fn tokens(words: &[&str]) -> Vec<Vec<u8>> {
    words.iter().map(|w| w.as_bytes().to_vec()).collect()
}

/// The `.nnd` language's keywords, dtypes, punctuation (nn-dsl/src/front/nnd/grammar.pest), op
/// names (`Op::name`), attribute names and values (nn-dsl/src/check/attrs.rs), and a few whole
/// statements.
const NND_WORDS: &[&str] = &[
    "network",
    "input",
    "output",
    "let",
    "weights",
    "i8",
    "f32",
    "i32",
    "conv2d",
    "depthwise_conv2d",
    "transpose_conv2d",
    "dense",
    "max_pool2d",
    "avg_pool2d",
    "global_avg_pool",
    "mean",
    "add",
    "mul",
    "concat",
    "reshape",
    "flatten",
    "pad",
    "resize_nearest",
    "strided_slice",
    "split",
    "relu",
    "relu6",
    "logistic",
    "tanh",
    "softmax",
    "quantize",
    "dequantize",
    "requantize",
    "filters",
    "kernel",
    "stride",
    "strides",
    "padding",
    "activation",
    "units",
    "size",
    "axis",
    "dilation",
    "bias",
    "depth_multiplier",
    "keep_dims",
    "paddings",
    "shape",
    "beta",
    "begin",
    "end",
    "align_corners",
    "half_pixel_centers",
    "parts",
    "index",
    "output_size",
    "same",
    "valid",
    "none",
    "true",
    "false",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ";",
    ",",
    "=",
    ":",
    "\"",
    "//",
    "/*",
    "*/",
    "\n",
    "-",
    ".",
    "e",
    "_",
    "\\",
    "input x: i8[4, 4, 2];\n",
    "let c = conv2d(x, filters = 4, kernel = 3, padding = same);\n",
    "output y = relu(x);\n",
    "weights \"w.safetensors\";\n",
    "[1, 1]",
    "[[0, 0], [1, 1]]",
];

/// `.nnd` text: parse, check, bind (weights synthesised for the network), lower, plan and
/// generate Rust: what `nndc check` and `nndc build` do, without files.
#[derive(Debug, Default)]
pub struct NndTarget;

impl Target for NndTarget {
    fn name(&self) -> &'static str {
        "nnd"
    }
    fn extension(&self) -> &'static str {
        "nnd"
    }
    fn mutator(&self) -> Mutator {
        Mutator {
            text: true,
            dictionary: tokens(NND_WORDS),
            max_len: 64 * 1024,
        }
    }
    fn run(&mut self, input: &[u8]) -> Result<Outcome, String> {
        let mut outcome = Outcome::default();
        // nndc refuses a file that is not UTF-8 before parsing; the lossy text keeps the rest of
        // a mutant useful.
        let source = String::from_utf8_lossy(input);
        check_and_build(&source, "fuzz.nnd", hash_of(input), &mut outcome);
        Ok(outcome)
    }
}

/// The `.nnd` pipeline on `source`: check, then bind weights synthesised for it, then compile.
pub fn check_and_build(source: &str, path: &str, variant: u64, outcome: &mut Outcome) {
    let (module, warnings) = match check_source(source) {
        Ok(ok) => ok,
        Err(diagnostics) => {
            let codes = outcome.diagnostics(path, source, &diagnostics);
            outcome.mark(&format!("check-err:{codes}"));
            return;
        }
    };
    if !warnings.is_empty() {
        let codes = outcome.diagnostics(path, source, &warnings);
        outcome.mark(&format!("warn:{codes}"));
    }
    outcome.mark(&format!("checked:{}", ops(&module)));
    // `nndc info`'s per-layer report (MACs, parameters).
    std::hint::black_box(nn_dsl::ir::report::report(&module));
    let Some(weights) = synthesize(&module, SYNTH_BUDGET, variant) else {
        outcome.mark("too-big-to-compile");
        return;
    };
    let span = module.weights.as_ref().map(|w| w.span).unwrap_or_default();
    let mut bound = module;
    if let Err(diagnostics) = bind(&mut bound, &weights, span) {
        let codes = outcome.diagnostics(path, source, &diagnostics);
        outcome.mark(&format!("bind-err:{codes}"));
        return;
    }
    compile(&bound, &weights, variant, outcome);
}

/// Byte patterns of flatbuffers and TFLite: the file identifier, offsets and lengths at their
/// edges, builtin operator codes nnd imports and some it does not.
const TFLITE_WORDS: &[&[u8]] = &[
    b"TFL3",
    &[0, 0, 0, 0],
    &[1, 0, 0, 0],
    &[4, 0, 0, 0],
    &[0xff, 0xff, 0xff, 0xff],
    &[0xff, 0xff, 0xff, 0x7f],
    &[0, 0, 0, 0x80],
    &[0x0c, 0, 0x14, 0],
    &[3],
    &[4],
    &[9],
    &[25],
    &[22],
    &[40],
    &[255],
];

/// A `.tflite` model: read (bounds-checked flatbuffer reader), import to the IR, write the
/// `.nnd` and weights `nndc import` would write and load them back, then lower, plan and
/// generate Rust as `nndc build model.tflite` does.
#[derive(Debug, Default)]
pub struct TfliteTarget;

impl Target for TfliteTarget {
    fn name(&self) -> &'static str {
        "tflite"
    }
    fn extension(&self) -> &'static str {
        "tflite"
    }
    fn mutator(&self) -> Mutator {
        Mutator {
            text: false,
            dictionary: TFLITE_WORDS.iter().map(|w| w.to_vec()).collect(),
            max_len: 256 * 1024,
        }
    }
    fn run(&mut self, input: &[u8]) -> Result<Outcome, String> {
        let mut outcome = Outcome::default();
        let model = match tflite::read(input) {
            Ok(m) => m,
            Err(e) => {
                let text = e.to_string();
                outcome.shown(text.len());
                outcome.mark(&format!("read-err:{:?}", e.kind()));
                return Ok(outcome);
            }
        };
        let (mut module, weights) = match tflite::import(&model) {
            Ok(ok) => ok,
            Err(e) => {
                let text = e.to_string();
                outcome.shown(text.len());
                outcome.mark(&format!("import-err:{}", kind_of(&text)));
                return Ok(outcome);
            }
        };
        module.name = "Fuzz".into();
        outcome.mark(&format!("imported:{}", ops(&module)));
        round_trip(&module, &weights, &mut outcome);
        compile(&module, &weights, hash_of(input), &mut outcome);
        Ok(outcome)
    }
}

/// `nndc import`: the module written as `.nnd` and its weights as safetensors must load back
/// (nndc reports "internal error: the written files do not load back" otherwise).
fn round_trip(module: &Module, weights: &Weights, outcome: &mut Outcome) {
    let options = nnd_writer::Options {
        weights: Some("fuzz.safetensors".into()),
        header: vec!["Imported by nnd-fuzz.".into()],
    };
    let text = match nnd_writer::write_string(module, &options) {
        Ok(t) => t,
        Err(e) => {
            let text = e.to_string();
            outcome.shown(text.len());
            outcome.mark(&format!("write-nnd-err:{}", kind_of(&text)));
            return;
        }
    };
    let bytes = match weights.to_safetensors("fuzz.safetensors") {
        Ok(b) => b,
        Err(e) => {
            let text = e.to_string();
            outcome.shown(text.len());
            outcome.mark(&format!("write-weights-err:{}", kind_of(&text)));
            return;
        }
    };
    let reread = match Weights::from_safetensors(&bytes, "fuzz.safetensors") {
        Ok(w) => w,
        Err(e) => {
            outcome.problem = Some(format!("the written weights do not read back: {e}"));
            return;
        }
    };
    match check_source(&text) {
        Ok((mut m, _)) => {
            let span = m.weights.as_ref().map(|w| w.span).unwrap_or_default();
            if let Err(d) = bind(&mut m, &reread, span) {
                let rendered = nn_dsl::diag::render::to_string("fuzz.nnd", &text, &d);
                outcome.problem = Some(format!(
                    "the imported .nnd does not bind its weights:\n{text}\n{rendered}"
                ));
            }
        }
        Err(d) => {
            let rendered = nn_dsl::diag::render::to_string("fuzz.nnd", &text, &d);
            outcome.problem = Some(format!(
                "the imported .nnd does not check:\n{text}\n{rendered}"
            ));
        }
    }
}

/// Keys and values of a safetensors header (JSON) as nnd writes them.
const WEIGHTS_WORDS: &[&str] = &[
    "__metadata__",
    "\"format\"",
    "\"nnd-weights\"",
    "\"version\"",
    "\"1\"",
    "\"dtype\"",
    "\"I8\"",
    "\"I32\"",
    "\"I64\"",
    "\"F32\"",
    "\"F16\"",
    "\"U8\"",
    "\"BOOL\"",
    "\"shape\"",
    "\"data_offsets\"",
    "[0, 0]",
    "[18446744073709551615]",
    "[]",
    "{}",
    ",",
    ":",
    "\"",
    ".weight",
    ".bias",
    ".weight_scale",
    ".scale",
    ".zero_point",
    "\u{0}\u{0}\u{c0}\u{7f}",
    "\u{0}\u{0}\u{80}\u{7f}",
];

/// A network a weights file is bound to, checked once.
#[derive(Debug)]
struct Fixture {
    name: &'static str,
    source: &'static str,
    module: Module,
}

/// A weights file (safetensors, the one weights format nnd reads: docs/weights.md): parse it,
/// write it back and parse that, then bind it to each fixture network (nn-dsl's own test
/// networks with their weights) and compile the networks it binds to.
#[derive(Debug)]
pub struct WeightsTarget {
    fixtures: Vec<Fixture>,
}

/// The fixture networks (fuzz/fixtures, copies of nn-macros/tests/ui/data/*.nnd).
const FIXTURES: &[(&str, &str)] = &[
    ("shift", include_str!("../fixtures/shift.nnd")),
    ("flatten_cnn", include_str!("../fixtures/flatten_cnn.nnd")),
    ("concat_mul", include_str!("../fixtures/concat_mul.nnd")),
    ("ds_cnn_kws", include_str!("../fixtures/ds_cnn_kws.nnd")),
];

impl WeightsTarget {
    /// Checks the fixture networks.
    pub fn new() -> Result<Self, String> {
        let mut fixtures = Vec::new();
        for &(name, source) in FIXTURES {
            let (module, _) = check_source(source).map_err(|d| {
                format!(
                    "fixture {name}.nnd does not check:\n{}",
                    nn_dsl::diag::render::to_string(name, source, &d)
                )
            })?;
            fixtures.push(Fixture {
                name,
                source,
                module,
            });
        }
        Ok(WeightsTarget { fixtures })
    }
}

impl Target for WeightsTarget {
    fn name(&self) -> &'static str {
        "weights"
    }
    fn extension(&self) -> &'static str {
        "safetensors"
    }
    fn mutator(&self) -> Mutator {
        Mutator {
            text: false,
            dictionary: tokens(WEIGHTS_WORDS),
            max_len: 128 * 1024,
        }
    }
    fn run(&mut self, input: &[u8]) -> Result<Outcome, String> {
        let mut outcome = Outcome::default();
        let weights = match Weights::from_safetensors(input, "fuzz.safetensors") {
            Ok(w) => w,
            Err(e) => {
                let text = e.to_string();
                outcome.shown(text.len());
                outcome.mark(&format!("read-err:{}", kind_of(&text)));
                return Ok(outcome);
            }
        };
        outcome.mark(&format!("read:{}", weights.tensors.len().min(64)));
        match weights.to_safetensors("fuzz.safetensors") {
            Ok(bytes) => match Weights::from_safetensors(&bytes, "fuzz.safetensors") {
                Ok(again) if again == weights => {}
                Ok(_) => outcome.problem = Some("written and read back, the weights differ".into()),
                Err(e) => {
                    outcome.problem = Some(format!("the written weights do not read back: {e}"))
                }
            },
            Err(e) => {
                let text = e.to_string();
                outcome.shown(text.len());
                outcome.mark(&format!("write-err:{}", kind_of(&text)));
            }
        }
        let variant = hash_of(input);
        for f in &self.fixtures {
            let mut module = f.module.clone();
            let span = module
                .weights
                .as_ref()
                .map(|w| w.span)
                .unwrap_or(Span::default());
            match bind(&mut module, &weights, span) {
                Ok(()) => {
                    outcome.mark(&format!("{}:bound", f.name));
                    compile(&module, &weights, variant, &mut outcome);
                }
                Err(d) => {
                    let codes = outcome.diagnostics(f.name, f.source, &d);
                    outcome.mark(&format!("{}:bind-err:{codes}", f.name));
                }
            }
        }
        Ok(outcome)
    }
}
