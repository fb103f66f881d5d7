//! `nndc run MODEL --input x.npy [--input ...] [--output y.npy ...] [--expect y.npy ...]
//! [--float] [--force]`: runs a network on the host with `nn_kernels`' portable kernels, on one
//! sample or a batch (a `.npy` with a leading batch dimension, or a folder of `.npy` files), and
//! compares the outputs with expected ones byte for byte (docs/run.md).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use nn_dsl::exec::{self, TensorData};
use nn_dsl::front::load::{self, LoadError};
use nn_dsl::ir::{shape_string, DType, Module, Tensor};

use crate::CliError;

/// The options of `nndc run`.
#[derive(Debug)]
pub(crate) struct RunArgs {
    pub(crate) model: PathBuf,
    pub(crate) inputs: Vec<PathBuf>,
    pub(crate) outputs: Vec<PathBuf>,
    pub(crate) expects: Vec<PathBuf>,
    pub(crate) float: bool,
    pub(crate) force: bool,
}

/// The most samples one batch `.npy` file may hold (its size limit is this many samples of the
/// tensor at 8 bytes per value, plus a header).
const MAX_SAMPLES: u64 = 65_536;

/// How many differing positions a mismatch report lists per output.
const SHOWN_DIFFS: usize = 5;

/// Exit code when the outputs differ from `--expect`.
const EXIT_MISMATCH: u8 = 3;

/// Runs the subcommand. Exit 0 on success, 1 when the network has errors (diagnostics, a model
/// the importer refuses, constants that cannot be lowered), 2 for usage errors and unreadable or
/// mismatched input files (returned as [`CliError`]), 3 when an output differs from `--expect`.
pub(crate) fn run(args: &RunArgs) -> Result<ExitCode, CliError> {
    if !args.force {
        // `symlink_metadata`: a dangling link counts as existing (and is never written through).
        if let Some(p) = args
            .outputs
            .iter()
            .find(|p| std::fs::symlink_metadata(p).is_ok())
        {
            return Err(CliError(format!(
                "`{}` already exists; pass --force to overwrite it",
                p.display()
            )));
        }
    }
    let loaded = match load::load(&args.model) {
        Ok(l) => l,
        Err(e) => return load_failed(&e),
    };
    if !loaded.warnings.is_empty() {
        crate::emit(&loaded.path, &loaded.source, &loaded.warnings)?;
    }
    let module = &loaded.module;
    if args.inputs.len() != module.inputs.len() {
        return Err(CliError(format!(
            "network `{}` takes {} input(s) ({}), {} --input given",
            module.name,
            module.inputs.len(),
            input_list(module),
            args.inputs.len()
        )));
    }
    for (flag, given) in [("--output", &args.outputs), ("--expect", &args.expects)] {
        if !given.is_empty() && given.len() != module.outputs.len() {
            return Err(CliError(format!(
                "network `{}` has {} output(s), {} {flag} given (give none or one per output)",
                module.name,
                module.outputs.len(),
                given.len()
            )));
        }
    }
    let lowered = match nn_dsl::lower::lower(module, &loaded.weights) {
        Ok(l) => l,
        Err(e) => {
            eprint_line(&format!("error: `{}`: {e}", loaded.path));
            return Ok(ExitCode::from(1));
        }
    };
    // Every input's samples, then the same count checked across inputs.
    let mut batches = Vec::with_capacity(args.inputs.len());
    for (i, path) in args.inputs.iter().enumerate() {
        batches.push(read_input(module, i, path, args.float)?);
    }
    let count = batches.first().map_or(0, |b| b.samples.len());
    if let Some(other) = batches.iter().find(|b| b.samples.len() != count) {
        return Err(CliError(format!(
            "`{}` holds {count} sample(s) but `{}` holds {}; every --input needs the same number",
            args.inputs[0].display(),
            other.path.display(),
            other.samples.len()
        )));
    }
    let batched = batches.iter().any(|b| b.batched);
    // The expected outputs are read before anything runs, so a bad file costs no run.
    let mut expected = Vec::with_capacity(args.expects.len());
    for (k, path) in args.expects.iter().enumerate() {
        let t = output_tensor(module, k)?;
        let want_f32 = args.float || t.dtype == DType::F32;
        let (n, flat) = read_npy(path, "output", t, want_f32, false)?;
        if n != count {
            return Err(CliError(format!(
                "`{}` holds {n} expected sample(s) of output `{}`, but the inputs hold {count}",
                path.display(),
                t.name
            )));
        }
        expected.push(split(flat, n));
    }
    // Run every sample; outputs are kept per sample and output (dequantised under --float).
    let mut results: Vec<Vec<TensorData>> = Vec::with_capacity(count);
    for k in 0..count {
        let inputs: Vec<TensorData> = batches.iter().map(|b| b.samples[k].clone()).collect();
        let outputs = match exec::run(module, &lowered, &inputs) {
            Ok(outputs) => outputs,
            // A kernel refusing a constant is a problem of the network (exit 1, as for
            // constants the lowering refuses); the lowering's checks rule it out.
            Err(e @ exec::ExecError::Kernel { .. }) => {
                eprint_line(&format!("error: `{}`: {e}", loaded.path));
                return Ok(ExitCode::from(1));
            }
            Err(e) => return Err(CliError(format!("cannot run `{}`: {e}", loaded.path))),
        };
        let mut shown = Vec::with_capacity(outputs.len());
        for (o, (out, (name, _))) in outputs.into_iter().zip(&module.outputs).enumerate() {
            shown.push(if args.float {
                TensorData::F32(
                    exec::to_float_output(module, o, &out)
                        .map_err(|e| CliError(format!("cannot dequantise output `{name}`: {e}")))?,
                )
            } else {
                out
            });
        }
        results.push(shown);
    }
    // Every output is written first, so that a failure prints nothing on stdout.
    for (o, path) in args.outputs.iter().enumerate() {
        let t = output_tensor(module, o)?;
        let per_sample: Vec<&TensorData> = results.iter().filter_map(|r| r.get(o)).collect();
        write_npy(path, count, &t.shape, &per_sample)?;
    }
    let label = |k: usize| -> String {
        batches
            .iter()
            .map(|b| b.labels[k].as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    if !expected.is_empty() {
        let mut differ = 0usize;
        let mut report = || -> std::io::Result<()> {
            for (k, outs) in results.iter().enumerate() {
                let mut first = true;
                for (o, got) in outs.iter().enumerate() {
                    let Some(want) = expected.get(o).and_then(|e| e.get(k)) else {
                        continue;
                    };
                    let diffs = differences(got, want);
                    if diffs.is_empty() {
                        continue;
                    }
                    if first {
                        differ += 1;
                        first = false;
                    }
                    let name = module.outputs.get(o).map_or("?", |(n, _)| n.as_str());
                    writeln!(
                        stdout,
                        "sample {k} ({}): output `{name}`: {} of {} value(s) differ: {}",
                        label(k),
                        diffs.len(),
                        got.len(),
                        diffs
                            .iter()
                            .take(SHOWN_DIFFS)
                            .map(|d| d.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                            + if diffs.len() > SHOWN_DIFFS {
                                ", ..."
                            } else {
                                ""
                            }
                    )?;
                }
            }
            writeln!(
                stdout,
                "{} of {count} sample(s) equal to the expected outputs, byte for byte",
                count - differ
            )?;
            stdout.flush()
        };
        report().map_err(|e| CliError(format!("cannot write to stdout: {e}")))?;
        if differ > 0 {
            eprint_line(&format!(
                "error: {differ} of {count} sample(s) differ from the expected outputs"
            ));
            return Ok(ExitCode::from(EXIT_MISMATCH));
        }
        return Ok(ExitCode::SUCCESS);
    }
    // The values are streamed (an output of 2^31 values is never one string in memory).
    let mut print = || -> std::io::Result<()> {
        for (k, outs) in results.iter().enumerate() {
            if batched {
                writeln!(stdout, "sample {k} ({})", label(k))?;
            }
            for ((name, h), shown) in module.outputs.iter().zip(outs) {
                let shape = module.tensors.get(*h).map(|t| t.shape.clone());
                writeln!(
                    stdout,
                    "output {name}: {}{}",
                    shown.dtype(),
                    shape_string(&shape.unwrap_or_default())
                )?;
                write_values(&mut stdout, shown)?;
            }
        }
        stdout.flush()
    };
    print().map_err(|e| CliError(format!("cannot write to stdout: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

/// One position where an output differs from its expected value.
struct Diff {
    index: usize,
    got: String,
    want: String,
}

impl std::fmt::Display for Diff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {} (expected {})", self.index, self.got, self.want)
    }
}

/// The positions where `got` and `want` differ (float values compared bit for bit).
fn differences(got: &TensorData, want: &TensorData) -> Vec<Diff> {
    fn diff<T: PartialEq + std::fmt::Display>(
        got: &[T],
        want: &[T],
        same: impl Fn(&T, &T) -> bool,
    ) -> Vec<Diff> {
        got.iter()
            .zip(want)
            .enumerate()
            .filter(|(_, (g, w))| !same(g, w))
            .map(|(index, (g, w))| Diff {
                index,
                got: g.to_string(),
                want: w.to_string(),
            })
            .collect()
    }
    match (got, want) {
        (TensorData::I8(g), TensorData::I8(w)) => diff(g, w, |a, b| a == b),
        (TensorData::I16(g), TensorData::I16(w)) => diff(g, w, |a, b| a == b),
        (TensorData::F32(g), TensorData::F32(w)) => diff(g, w, |a, b| a.to_bits() == b.to_bits()),
        // `read_npy` reads expected values in the output's own type; a mix cannot occur.
        _ => vec![Diff {
            index: 0,
            got: got.dtype().to_string(),
            want: want.dtype().to_string(),
        }],
    }
}

/// Graph output `k`'s tensor.
fn output_tensor(module: &Module, k: usize) -> Result<&Tensor, CliError> {
    module
        .outputs
        .get(k)
        .and_then(|(_, h)| module.tensors.get(*h))
        .ok_or_else(|| CliError(format!("no output {k}")))
}

fn eprint_line(line: &str) {
    let mut err = std::io::stderr().lock();
    // Nothing better can be done if stderr itself is gone.
    let _ = writeln!(err, "{line}");
}

/// Exit 1 for problems of the network itself, 2 for files that cannot be read.
fn load_failed(e: &LoadError) -> Result<ExitCode, CliError> {
    match e {
        LoadError::Io { .. }
        | LoadError::Utf8 { .. }
        | LoadError::Tflite { .. }
        | LoadError::Weights { .. } => Err(CliError(e.to_string())),
        LoadError::Diagnostics { .. } | LoadError::NoWeights { .. } | LoadError::Import { .. } => {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(e.render().as_bytes());
            Ok(ExitCode::from(1))
        }
    }
}

fn input_list(module: &Module) -> String {
    let names: Vec<String> = module
        .inputs
        .iter()
        .filter_map(|&h| module.tensors.get(h))
        .map(|t| format!("`{}`: {}{}", t.name, t.dtype, shape_string(&t.shape)))
        .collect();
    names.join(", ")
}

/// numpy's name for a few type strings, for messages.
fn numpy_name(descr: &str) -> &'static str {
    match descr.trim_start_matches(['<', '>', '|', '=']) {
        "i1" => "int8",
        "u1" => "uint8",
        "i2" => "int16",
        "i4" => "int32",
        "i8" => "int64",
        "f2" => "float16",
        "f4" => "float32",
        "f8" => "float64",
        "b1" => "bool",
        _ => "another dtype",
    }
}

/// The samples of one graph input.
struct Batch {
    /// The `--input` path as given.
    path: PathBuf,
    /// One value set per sample, in the input's type (quantised under `--float`).
    samples: Vec<TensorData>,
    /// Where each sample came from, for messages (`x.npy`, `xs.npy[3]`, `dir/a.npy`).
    labels: Vec<String>,
    /// True for a folder or a file of more than one sample (the output shows sample lines).
    batched: bool,
}

/// Reads graph input `index` from `path`: a `.npy` file of one sample (the input's shape, with or
/// without a batch of 1) or of a batch (`(N, ...shape)`), or a folder whose `.npy` files (in file
/// name order) each hold one sample or a batch. Values are int8 for an int8 input (float32 for a
/// float input), or float32 quantised with the input's own parameters under `--float`.
fn read_input(module: &Module, index: usize, path: &Path, float: bool) -> Result<Batch, CliError> {
    let t = module
        .inputs
        .get(index)
        .and_then(|&h| module.tensors.get(h))
        .ok_or_else(|| CliError(format!("no input {index}")))?;
    let want_f32 = float || t.dtype == DType::F32;
    let hint = !float && matches!(t.dtype, DType::I8 | DType::I16);
    let (files, folder) = if path.is_dir() {
        (npy_files(path)?, true)
    } else {
        (vec![path.to_path_buf()], false)
    };
    let mut batch = Batch {
        path: path.to_path_buf(),
        samples: Vec::new(),
        labels: Vec::new(),
        batched: folder,
    };
    for file in &files {
        let (n, flat) = read_npy(file, "input", t, want_f32, hint)?;
        if n > 1 {
            batch.batched = true;
        }
        for (i, sample) in split(flat, n).into_iter().enumerate() {
            let shown = file.display();
            batch.labels.push(if n > 1 {
                format!("{shown}[{i}]")
            } else {
                shown.to_string()
            });
            batch.samples.push(match sample {
                TensorData::F32(values) if float => exec::from_float_input(module, index, &values)
                    .map_err(|e| CliError(format!("cannot quantise `{shown}`: {e}")))?,
                other => other,
            });
        }
    }
    Ok(batch)
}

/// The `.npy` files of a folder (not its subfolders), sorted by file name.
fn npy_files(dir: &Path) -> Result<Vec<PathBuf>, CliError> {
    let shown = dir.display();
    let entries =
        std::fs::read_dir(dir).map_err(|e| CliError(format!("cannot read `{shown}`: {e}")))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| CliError(format!("cannot read `{shown}`: {e}")))?;
        let path = entry.path();
        let is_npy = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("npy"));
        if is_npy && !path.is_dir() {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(CliError(format!(
            "`{shown}` is a folder without .npy files; give a .npy file or a folder of them"
        )));
    }
    files.sort();
    Ok(files)
}

/// `flat` (the values of `n` samples, one after the other) as one value set per sample.
fn split(flat: TensorData, n: usize) -> Vec<TensorData> {
    fn chunks<T: Clone>(v: &[T], n: usize) -> Vec<Vec<T>> {
        let per = v.len().checked_div(n).unwrap_or(0).max(1);
        v.chunks(per).map(<[T]>::to_vec).collect()
    }
    match flat {
        TensorData::I8(v) => chunks(&v, n).into_iter().map(TensorData::I8).collect(),
        TensorData::I16(v) => chunks(&v, n).into_iter().map(TensorData::I16).collect(),
        TensorData::F32(v) => chunks(&v, n).into_iter().map(TensorData::F32).collect(),
    }
}

/// Reads a `.npy` file holding values of tensor `t` (the graph `role` `input` or `output`): its
/// shape must be `t`'s, with or without a batch of 1, or `(N, ...t's shape)`; float32 when
/// `want_f32`, int8 otherwise (`hint`: suggest --float for float data). Returns the sample count
/// and the values of all samples.
fn read_npy(
    path: &Path,
    role: &str,
    t: &Tensor,
    want_f32: bool,
    hint: bool,
) -> Result<(usize, TensorData), CliError> {
    let shown = path.display();
    let elements = t.shape.iter().product::<usize>();
    // At most MAX_SAMPLES samples at 8 bytes per value (f64) plus a header (1 MiB: numpy writes
    // headers of at most 64 KiB for any shape).
    let limit = (elements as u64)
        .saturating_mul(8)
        .saturating_mul(MAX_SAMPLES)
        .saturating_add(1 << 20);
    let bytes = nn_dsl::files::read_at_most(
        path,
        limit,
        "a .npy",
        "65,536 samples of the tensor at up to 8 bytes per value, and a header",
    )
    .map_err(|e| CliError(format!("cannot read `{shown}`: {e}")))?;
    // The shape is checked before npyz sees the file: npyz multiplies the dimensions without
    // overflow checks, so a crafted header such as `(2**40, 2**40)` would panic inside it.
    let header_shape = npy_header_shape(&bytes)
        .map_err(|e| CliError(format!("`{shown}` is not a .npy file: {e}")))?;
    let same = |found: &[u64]| {
        found.len() == t.shape.len()
            && found
                .iter()
                .zip(&t.shape)
                .all(|(&d, &w)| u64::try_from(w).is_ok_and(|w| w == d))
    };
    let n = if same(&header_shape) {
        1
    } else {
        match header_shape.split_first() {
            Some((&n, rest)) if same(rest) => n,
            _ => {
                let found: Vec<String> = header_shape.iter().map(u64::to_string).collect();
                let with_batch: Vec<usize> =
                    std::iter::once(1).chain(t.shape.iter().copied()).collect();
                return Err(CliError(format!(
                    "`{shown}` has shape [{}], but {role} `{}` has shape {} (or {} with the \
                     batch, or [N, {}] for a batch of N samples)",
                    found.join(", "),
                    t.name,
                    shape_string(&t.shape),
                    shape_string(&with_batch),
                    shape_string(&t.shape)
                        .trim_start_matches('[')
                        .trim_end_matches(']'),
                )));
            }
        }
    };
    if n == 0 {
        return Err(CliError(format!(
            "`{shown}` holds no samples (its batch dimension is 0)"
        )));
    }
    if n > MAX_SAMPLES {
        return Err(CliError(format!(
            "`{shown}` holds {n} samples, more than the {MAX_SAMPLES} one file may hold; split it"
        )));
    }
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    let count = elements.saturating_mul(n);
    let npy = npyz::NpyFile::new(&bytes[..])
        .map_err(|e| CliError(format!("`{shown}` is not a .npy file: {e}")))?;
    if npy.shape().iter().filter(|&&d| d > 1).count() > 1 && npy.order() != npyz::Order::C {
        return Err(CliError(format!(
            "`{shown}` is in Fortran order; save it in C order (numpy's default)"
        )));
    }
    let descr = match npy.dtype() {
        npyz::DType::Plain(ty) => ty.to_string(),
        other => other.descr(),
    };
    let bad_dtype = |want: &str| {
        let hint = if hint && numpy_name(&descr).starts_with("float") {
            " (pass --float to quantise float data with the input's scale and zero point)"
        } else {
            ""
        };
        CliError(format!(
            "`{shown}` holds {} ('{descr}'), but {role} `{}` needs {want}{hint}",
            numpy_name(&descr),
            t.name
        ))
    };
    let data = if want_f32 {
        TensorData::F32(collect_values(
            npy.try_data::<f32>().map_err(|_| bad_dtype("float32"))?,
            count,
            &shown.to_string(),
        )?)
    } else if t.dtype == DType::I16 {
        TensorData::I16(collect_values(
            npy.try_data::<i16>().map_err(|_| bad_dtype("int16"))?,
            count,
            &shown.to_string(),
        )?)
    } else {
        TensorData::I8(collect_values(
            npy.try_data::<i8>().map_err(|_| bad_dtype("int8"))?,
            count,
            &shown.to_string(),
        )?)
    };
    Ok((n, data))
}

/// The values of a .npy file whose shape holds `count` elements, in a buffer allocated up front
/// without aborting when the host has no memory for it.
fn collect_values<T>(
    values: impl Iterator<Item = std::io::Result<T>>,
    count: usize,
    shown: &str,
) -> Result<Vec<T>, CliError> {
    let mut out = Vec::new();
    out.try_reserve_exact(count).map_err(|_| {
        CliError(format!(
            "cannot read `{shown}`: cannot allocate {} bytes on the host for its {count} values",
            count.saturating_mul(std::mem::size_of::<T>())
        ))
    })?;
    for v in values {
        out.push(v.map_err(|e| CliError(format!("cannot read `{shown}`: {e}")))?);
    }
    Ok(out)
}

/// The shape in a .npy file's header, read the way npyz reads it (magic, version, header length,
/// the header as a Python literal parsed by the same `py_literal`, the dict's last `shape` entry, a
/// list or tuple of non-negative integers) but without multiplying anything. Every header npyz
/// accepts is read here to the same shape, so npyz only ever sees a shape the caller has
/// compared with the input's. The error says what is wrong with the header.
fn npy_header_shape(bytes: &[u8]) -> Result<Vec<u64>, String> {
    let rest = bytes
        .strip_prefix(b"\x93NUMPY")
        .ok_or("magic not found for NPY file")?;
    let (&major, rest) = rest.split_first().ok_or("the file ends in its header")?;
    let (_minor, rest) = rest.split_first().ok_or("the file ends in its header")?;
    let (len, rest) = match major {
        1 => match rest {
            [a, b, rest @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), rest),
            _ => return Err("the file ends in its header".into()),
        },
        _ => match rest {
            [a, b, c, d, rest @ ..] => (
                usize::try_from(u32::from_le_bytes([*a, *b, *c, *d])).unwrap_or(usize::MAX),
                rest,
            ),
            _ => return Err("the file ends in its header".into()),
        },
    };
    let text = rest.get(..len).ok_or("the file ends in its header")?;
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    let text = std::str::from_utf8(text).map_err(|_| "the header is not UTF-8")?;
    let value: py_literal::Value = text
        .parse()
        .map_err(|e| format!("could not parse the header: {e}"))?;
    let py_literal::Value::Dict(entries) = value else {
        return Err("the header is not a Python dict literal".into());
    };
    let shape = entries
        .iter()
        .rev()
        .find(|(k, _)| k.as_string().is_some_and(|k| k == "shape"))
        .map(|(_, v)| v)
        .ok_or("the header has no 'shape'")?;
    let dims = match shape {
        py_literal::Value::Tuple(d) | py_literal::Value::List(d) => d,
        _ => return Err("the header's 'shape' is not a list or tuple".into()),
    };
    dims.iter()
        .map(|d| {
            d.as_integer()
                .and_then(|n| u64::try_from(n).ok())
                .ok_or_else(|| {
                    format!("the header's 'shape' has {d}, not a dimension from 0 to 2^64 - 1")
                })
        })
        .collect()
}

/// `[v0, v1, ...]` and a newline, written value by value.
fn write_values(out: &mut impl Write, data: &TensorData) -> std::io::Result<()> {
    fn list<T: std::fmt::Display>(out: &mut impl Write, values: &[T]) -> std::io::Result<()> {
        out.write_all(b"[")?;
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                out.write_all(b", ")?;
            }
            write!(out, "{v}")?;
        }
        out.write_all(b"]\n")
    }
    match data {
        TensorData::I8(v) => list(out, v),
        TensorData::I16(v) => list(out, v),
        TensorData::F32(v) => list(out, v),
    }
}

/// The .npy bytes (header and data) of `samples`, whose values `pick` gives, with shape `dims`.
fn npy_values<T: npyz::AutoSerialize + Copy>(
    buf: &mut Vec<u8>,
    dims: &[u64],
    samples: &[&TensorData],
    pick: fn(&TensorData) -> Option<&[T]>,
) -> std::io::Result<()> {
    use npyz::WriterBuilder;
    let mut w = npyz::WriteOptions::new()
        .default_dtype()
        .shape(dims)
        .writer(buf)
        .begin_nd()?;
    for v in samples.iter().filter_map(|d| pick(d)) {
        w.extend(v.iter().copied())?;
    }
    w.finish()
}

/// Writes the `n` samples of one output as .npy with shape `[n, ...shape]` (a batch of 1 for one
/// sample, as TFLite and Keras shape it).
fn write_npy(
    path: &Path,
    n: usize,
    shape: &[usize],
    samples: &[&TensorData],
) -> Result<(), CliError> {
    let shown = path.display();
    let dims: Vec<u64> = std::iter::once(n as u64)
        .chain(shape.iter().map(|&d| d as u64))
        .collect();
    let err = |e: std::io::Error| CliError(format!("cannot write `{shown}`: {e}"));
    // Written to memory, then to the file at once (`files::write_atomic`).
    let mut buf: Vec<u8> = Vec::new();
    // Every sample has the output's type: the first one's decides the file's.
    match samples.first() {
        Some(TensorData::F32(_)) => npy_values(&mut buf, &dims, samples, TensorData::as_f32),
        Some(TensorData::I16(_)) => npy_values(&mut buf, &dims, samples, TensorData::as_i16),
        _ => npy_values(&mut buf, &dims, samples, TensorData::as_i8),
    }
    .map_err(err)?;
    nn_dsl::files::write_atomic(path, &buf).map_err(err)
}
