//! `nndc run MODEL --input x.npy [--input ...] [--output y.npy ...] [--float] [--force]`: runs a
//! network on the host with `nn_kernels`' portable kernels (docs/run.md).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use nn_dsl::exec::{self, TensorData};
use nn_dsl::front::load::{self, LoadError};
use nn_dsl::ir::{shape_string, DType, Module};

use crate::CliError;

/// The options of `nndc run`.
#[derive(Debug)]
pub(crate) struct RunArgs {
    pub(crate) model: PathBuf,
    pub(crate) inputs: Vec<PathBuf>,
    pub(crate) outputs: Vec<PathBuf>,
    pub(crate) float: bool,
    pub(crate) force: bool,
}

/// Runs the subcommand. Exit 0 on success, 1 when the network has errors (diagnostics, a model
/// the importer refuses, constants that cannot be lowered), 2 for usage errors and unreadable or
/// mismatched input files (returned as [`CliError`]).
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
    if !args.outputs.is_empty() && args.outputs.len() != module.outputs.len() {
        return Err(CliError(format!(
            "network `{}` has {} output(s), {} --output given (give none or one per output)",
            module.name,
            module.outputs.len(),
            args.outputs.len()
        )));
    }
    let lowered = match nn_dsl::lower::lower(module, &loaded.weights) {
        Ok(l) => l,
        Err(e) => {
            eprint_line(&format!("error: `{}`: {e}", loaded.path));
            return Ok(ExitCode::from(1));
        }
    };
    let mut data = Vec::with_capacity(args.inputs.len());
    for (i, path) in args.inputs.iter().enumerate() {
        data.push(read_input(module, i, path, args.float)?);
    }
    let outputs = match exec::run(module, &lowered, &data) {
        Ok(outputs) => outputs,
        // A kernel refusing a constant is a problem of the network (exit 1, as for constants
        // the lowering refuses); the lowering's checks rule it out.
        Err(e @ exec::ExecError::Kernel { .. }) => {
            eprint_line(&format!("error: `{}`: {e}", loaded.path));
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(CliError(format!("cannot run `{}`: {e}", loaded.path))),
    };
    // Every output is converted and written first, so that a failure prints nothing on stdout;
    // then the values are streamed (an output of 2^31 values is never one string in memory).
    let mut shown_outputs = Vec::with_capacity(outputs.len());
    for (k, ((name, h), out)) in module.outputs.iter().zip(outputs).enumerate() {
        let shape = module
            .tensors
            .get(*h)
            .map(|t| t.shape.clone())
            .unwrap_or_default();
        let shown = if args.float {
            TensorData::F32(
                exec::to_float_output(module, k, &out)
                    .map_err(|e| CliError(format!("cannot dequantise output `{name}`: {e}")))?,
            )
        } else {
            out
        };
        if let Some(path) = args.outputs.get(k) {
            write_npy(path, &shape, &shown)?;
        }
        shown_outputs.push((name, shape, shown));
    }
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut print = || -> std::io::Result<()> {
        for (name, shape, shown) in &shown_outputs {
            writeln!(
                stdout,
                "output {name}: {}{}",
                shown.dtype(),
                shape_string(shape)
            )?;
            write_values(&mut stdout, shown)?;
        }
        stdout.flush()
    };
    print().map_err(|e| CliError(format!("cannot write to stdout: {e}")))?;
    Ok(ExitCode::SUCCESS)
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

/// Reads graph input `index` from `path`: int8 data for an int8 input (float32 for a float input),
/// or float32 data quantised with the input's own parameters under `--float`.
fn read_input(
    module: &Module,
    index: usize,
    path: &Path,
    float: bool,
) -> Result<TensorData, CliError> {
    let shown = path.display();
    let t = module
        .inputs
        .get(index)
        .and_then(|&h| module.tensors.get(h))
        .ok_or_else(|| CliError(format!("no input {index}")))?;
    // At most the tensor's values at 8 bytes each (f64) plus a header (1 MiB: numpy writes
    // headers of at most 64 KiB for any shape).
    let limit = (t.shape.iter().product::<usize>() as u64)
        .saturating_mul(8)
        .saturating_add(1 << 20);
    let bytes = nn_dsl::files::read_at_most(
        path,
        limit,
        "an input .npy",
        "the input's values at up to 8 bytes each, and a header",
    )
    .map_err(|e| CliError(format!("cannot read `{shown}`: {e}")))?;
    let with_batch: Vec<usize> = std::iter::once(1).chain(t.shape.iter().copied()).collect();
    // The shape is checked before npyz sees the file: npyz multiplies the dimensions without
    // overflow checks, so a crafted header such as `(2**40, 2**40)` would panic inside it.
    let header_shape = npy_header_shape(&bytes)
        .map_err(|e| CliError(format!("`{shown}` is not a .npy file: {e}")))?;
    let fits = |want: &[usize]| {
        header_shape.len() == want.len()
            && header_shape
                .iter()
                .zip(want)
                .all(|(&d, &w)| u64::try_from(w).is_ok_and(|w| w == d))
    };
    if !fits(&t.shape) && !fits(&with_batch) {
        let found: Vec<String> = header_shape.iter().map(u64::to_string).collect();
        return Err(CliError(format!(
            "`{shown}` has shape [{}], but input `{}` has shape {} (or {} with the batch)",
            found.join(", "),
            t.name,
            shape_string(&t.shape),
            shape_string(&with_batch)
        )));
    }
    let npy = npyz::NpyFile::new(&bytes[..])
        .map_err(|e| CliError(format!("`{shown}` is not a .npy file: {e}")))?;
    let found_shape: Vec<usize> = npy.shape().iter().map(|&d| d as usize).collect();
    if found_shape.iter().filter(|&&d| d > 1).count() > 1 && npy.order() != npyz::Order::C {
        return Err(CliError(format!(
            "`{shown}` is in Fortran order; save it in C order (numpy's default)"
        )));
    }
    let want_f32 = float || t.dtype == DType::F32;
    let descr = match npy.dtype() {
        npyz::DType::Plain(ty) => ty.to_string(),
        other => other.descr(),
    };
    let bad_dtype = |want: &str| {
        let hint = if float {
            ""
        } else if t.dtype == DType::I8 && numpy_name(&descr).starts_with("float") {
            " (pass --float to quantise float data with the input's scale and zero point)"
        } else {
            ""
        };
        CliError(format!(
            "`{shown}` holds {} ('{descr}'), but input `{}` needs {want}{hint}",
            numpy_name(&descr),
            t.name
        ))
    };
    if want_f32 {
        let values: Vec<f32> = collect_values(
            npy.try_data::<f32>().map_err(|_| bad_dtype("float32"))?,
            t.elements(),
            &shown.to_string(),
        )?;
        if float {
            exec::from_float_input(module, index, &values)
                .map_err(|e| CliError(format!("cannot quantise `{shown}`: {e}")))
        } else {
            Ok(TensorData::F32(values))
        }
    } else {
        let values: Vec<i8> = collect_values(
            npy.try_data::<i8>().map_err(|_| bad_dtype("int8"))?,
            t.elements(),
            &shown.to_string(),
        )?;
        Ok(TensorData::I8(values))
    }
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
        TensorData::F32(v) => list(out, v),
    }
}

/// Writes `data` as .npy with shape `[1, ...shape]` (the batch of 1, as TFLite and Keras shape it).
fn write_npy(path: &Path, shape: &[usize], data: &TensorData) -> Result<(), CliError> {
    use npyz::WriterBuilder;
    let shown = path.display();
    let dims: Vec<u64> = std::iter::once(1)
        .chain(shape.iter().map(|&d| d as u64))
        .collect();
    let err = |e: std::io::Error| CliError(format!("cannot write `{shown}`: {e}"));
    // Written to memory, then to the file at once (`files::write_atomic`).
    let mut buf: Vec<u8> = Vec::new();
    match data {
        TensorData::I8(v) => {
            let mut w = npyz::WriteOptions::new()
                .default_dtype()
                .shape(&dims)
                .writer(&mut buf)
                .begin_nd()
                .map_err(err)?;
            w.extend(v.iter().copied()).map_err(err)?;
            w.finish().map_err(err)?;
        }
        TensorData::F32(v) => {
            let mut w = npyz::WriteOptions::new()
                .default_dtype()
                .shape(&dims)
                .writer(&mut buf)
                .begin_nd()
                .map_err(err)?;
            w.extend(v.iter().copied()).map_err(err)?;
            w.finish().map_err(err)?;
        }
    }
    nn_dsl::files::write_atomic(path, &buf).map_err(err)
}
