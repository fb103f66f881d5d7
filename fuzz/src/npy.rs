//! The `.npy` target: the input reader of `nndc run` (`read_input` and its header shape parser
//! `npy_header_shape` in nn-dsl/src/bin/nndc/run.rs), compiled into the harness by build.rs.

use std::path::PathBuf;

use nn_dsl::check::check_source;
use nn_dsl::diag::Diagnostic;
use nn_dsl::ir::Module;
use nn_dsl::weights::bind;

use crate::mutate::Mutator;
use crate::pipeline::{kind_of, synthesize, Outcome};
use crate::targets::Target;

/// Stands in for the `nndc` binary's error type (`crate::CliError` in run.rs).
#[derive(Debug)]
pub(crate) struct CliError(pub(crate) String);

/// Stands in for `nndc`'s `emit` (warnings of the model, which `read_input` never prints).
pub(crate) fn emit(
    _path: &str,
    _source: &str,
    _diagnostics: &[Diagnostic],
) -> Result<(), CliError> {
    Ok(())
}

#[allow(dead_code, unreachable_pub)]
mod nndc_run {
    include!(concat!(env!("OUT_DIR"), "/nndc_run.rs"));

    /// `read_input` for the model's first input (what it returns is dropped: only that it
    /// returns matters).
    pub(super) fn read(module: &Module, path: &Path, float: bool) -> Result<(), super::CliError> {
        read_input(module, 0, path, float).map(drop)
    }

    /// `npy_header_shape`.
    pub(super) fn header_shape(bytes: &[u8]) -> Result<Vec<u64>, String> {
        npy_header_shape(bytes)
    }
}

/// A one-input network of `dtype` and `dims` (`[2, 3]`), bound to synthesised weights so that
/// its input has quantisation (`--float`).
fn network(dtype: &str, dims: &str) -> Result<Module, String> {
    let body = if dtype == "f32" {
        "output y = quantize(x);"
    } else {
        "output y = relu(x);"
    };
    let source = format!("network Npy {{ input x: {dtype}{dims}; {body} }}");
    let (mut module, _) = check_source(&source)
        .map_err(|d| format!("the .npy target's network does not check: {d:?}"))?;
    let weights = synthesize(&module, 1 << 20, 0)
        .ok_or("the .npy target's network has no weights".to_owned())?;
    bind(&mut module, &weights, Default::default())
        .map_err(|d| format!("the .npy target's network does not bind: {d:?}"))?;
    Ok(module)
}

/// `.npy` inputs read as `nndc run` reads them: into an int8 input, into an int8 input with
/// `--float`, into a float input; each once for a fixed `[2, 3]` network and once for a network
/// whose input has the shape the header gives (when that is small), so that mutated shapes reach
/// npyz.
#[derive(Debug)]
pub struct NpyTarget {
    file: PathBuf,
    fixed: Vec<(Module, bool)>,
}

impl NpyTarget {
    /// Builds the networks; inputs are written to `dir/input.npy` (read_input reads a path).
    pub fn new(dir: &std::path::Path) -> Result<Self, String> {
        let i8_net = network("i8", "[2, 3]")?;
        let f32_net = network("f32", "[2, 3]")?;
        Ok(NpyTarget {
            file: dir.join("input.npy"),
            fixed: vec![(i8_net.clone(), false), (i8_net, true), (f32_net, false)],
        })
    }

    fn read(&self, module: &Module, float: bool, outcome: &mut Outcome) {
        match nndc_run::read(module, &self.file, float) {
            Ok(()) => outcome.mark(&format!("ok:{float}")),
            Err(CliError(message)) => {
                outcome.shown(message.len());
                outcome.mark(&format!("err:{}", kind_of(&message)));
            }
        }
    }
}

impl Target for NpyTarget {
    fn name(&self) -> &'static str {
        "npy"
    }
    fn extension(&self) -> &'static str {
        "npy"
    }
    fn mutator(&self) -> Mutator {
        Mutator {
            text: false,
            dictionary: [
                "\u{93}NUMPY",
                "{'descr': '<i1', 'fortran_order': False, 'shape': (2, 3), }",
                "'descr'",
                "'shape'",
                "'fortran_order'",
                "'<i1'",
                "'|i1'",
                "'<f4'",
                "'>f4'",
                "'<f8'",
                "'<i8'",
                "'|b1'",
                "'<U3'",
                "[('a', '<i1')]",
                "True",
                "False",
                "None",
                "(",
                ")",
                "()",
                "(1,)",
                "[",
                "]",
                "{",
                "}",
                ",",
                "'",
                "\"",
                "2**64",
                "-1",
                "18446744073709551616",
                "1e5",
                "0x10",
                " ",
                "\n",
            ]
            .iter()
            .map(|w| w.as_bytes().to_vec())
            .collect(),
            max_len: 64 * 1024,
        }
    }
    fn run(&mut self, input: &[u8]) -> Result<Outcome, String> {
        let mut outcome = Outcome::default();
        let shape = match nndc_run::header_shape(input) {
            Ok(s) => {
                outcome.mark(&format!("header:{}", s.len()));
                Some(s)
            }
            Err(message) => {
                outcome.shown(message.len());
                outcome.mark(&format!("header-err:{}", kind_of(&message)));
                None
            }
        };
        std::fs::write(&self.file, input)
            .map_err(|e| format!("cannot write `{}`: {e}", self.file.display()))?;
        for (module, float) in &self.fixed {
            self.read(module, *float, &mut outcome);
        }
        // A network shaped like the header (rank 1 to 4, at most 4096 values).
        let small = shape.filter(|s| {
            (1..=4).contains(&s.len())
                && s.iter().all(|&d| (1..=64).contains(&d))
                && s.iter().product::<u64>() <= 4096
        });
        if let Some(dims) = small {
            let list: Vec<String> = dims.iter().map(u64::to_string).collect();
            let dims = format!("[{}]", list.join(", "));
            for dtype in ["i8", "f32"] {
                let module = network(dtype, &dims)?;
                self.read(&module, false, &mut outcome);
                if dtype == "i8" {
                    self.read(&module, true, &mut outcome);
                }
            }
        }
        Ok(outcome)
    }
}
