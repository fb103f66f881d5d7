//! `nndc build MODEL [--target NAME] [-o FILE] [--name TYPE] [--kernels-path PATH]`: compiles a
//! network (.nnd with its weights file, or .tflite) to a Rust module (docs/codegen.md); and
//! `nndc targets`, the list of targets.
//!
//! Unlike a build script, nndc does not know the Rust target the module will be compiled for, so
//! the target is `generic` unless `--target` names another, and any target may be named.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use nn_dsl::back::rust::{self, Options, Target};
use nn_dsl::build::{compile_file_with, Error};
use nn_dsl::front::load::LoadError;
use nn_dsl::plan::PlanOptions;

use crate::CliError;

/// The options of `nndc build`.
#[derive(Debug)]
pub(crate) struct BuildArgs {
    pub(crate) model: PathBuf,
    pub(crate) target: String,
    pub(crate) out: Option<PathBuf>,
    pub(crate) force: bool,
    pub(crate) name: Option<String>,
    pub(crate) kernels_path: String,
    pub(crate) in_place: bool,
    pub(crate) io_in_arena: bool,
    pub(crate) max_arena: Option<usize>,
}

/// Runs the subcommand. Exit 0 when the module was written (or was already up to date), 1 when
/// the network has errors (diagnostics, a model the importer refuses, constants that cannot be
/// derived, an op the target has no code for), 2 for usage errors and unreadable or unwritable
/// files (returned as [`CliError`]).
pub(crate) fn run(args: &BuildArgs) -> Result<ExitCode, CliError> {
    if let Some(out) = &args.out {
        check_out(out, &args.model, args.force)?;
    }
    let target = Target::from_name(&args.target).map_err(|e| CliError(e.to_string()))?;
    let options = Options {
        target,
        type_name: args.name.clone(),
        kernels_path: args.kernels_path.clone(),
        ..Options::default()
    };
    let plan_options = PlanOptions::memory(args.in_place, args.max_arena, args.io_in_arena);
    let compiled = match compile_file_with(&args.model, &options, &plan_options) {
        Ok(c) => c,
        Err(Error::Load(e)) if is_file_error(&e) => return Err(CliError(e.to_string())),
        Err(Error::Codegen {
            error: rust::Error::KernelsPath(p),
            ..
        }) => {
            return Err(CliError(format!(
                "`{p}` is not a Rust path (--kernels-path)"
            )))
        }
        Err(Error::Codegen {
            error: rust::Error::Name { name, reason },
            ..
        }) => {
            return Err(CliError(format!(
                "`{name}` cannot name the network type: {reason}"
            )))
        }
        Err(e) => {
            let mut err = std::io::stderr().lock();
            // Nothing better can be done if stderr itself is gone.
            let _ = writeln!(err, "{e}");
            return Ok(ExitCode::from(1));
        }
    };
    let state = match compiled.state_bytes {
        0 => String::new(),
        n => format!(", {n} state bytes"),
    };
    let what = format!(
        "network `{}` for target `{target}` ({} arena bytes{state})",
        compiled.network, compiled.arena_bytes
    );
    let status = match &args.out {
        Some(path) => {
            let written = rust::write_if_changed(path, &compiled.code)
                .map_err(|e| CliError(format!("cannot write `{}`: {e}", path.display())))?;
            if written {
                format!("wrote `{}`: {what}", path.display())
            } else {
                format!("`{}` is up to date: {what}", path.display())
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(compiled.code.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| CliError(format!("cannot write to stdout: {e}")))?;
            format!("generated {what}")
        }
    };
    // The status goes to stderr: stdout may be the module. Nothing better can be done if stderr
    // itself is gone.
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{status}");
    let _ = err.write_all(kernel_report(&compiled.kernels, target).as_bytes());
    Ok(ExitCode::SUCCESS)
}

/// Whether `-o out` may be written: never the model itself; an existing file only when it is a
/// module nndc generated (its first line) or with `force`, like every other output of nndc.
fn check_out(out: &Path, model: &Path, force: bool) -> Result<(), CliError> {
    let shown = out.display();
    let same = match (std::fs::canonicalize(out), std::fs::canonicalize(model)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        return Err(CliError(format!(
            "`{shown}` is the model being compiled; name another file for -o"
        )));
    }
    let Ok(meta) = std::fs::symlink_metadata(out) else {
        return Ok(());
    };
    if force || !meta.is_file() {
        // Links and directories are refused when writing; devices and FIFOs are written.
        return Ok(());
    }
    // The first bytes are enough to recognise a module nndc generated.
    let mut head = Vec::new();
    if let Ok(f) = std::fs::File::open(out) {
        use std::io::Read;
        let _ = f
            .take(rust::GENERATED_MARK.len() as u64)
            .read_to_end(&mut head);
    }
    if head.starts_with(rust::GENERATED_MARK.as_bytes()) {
        Ok(())
    } else {
        Err(CliError(format!(
            "`{shown}` already exists and was not generated by nndc; pass --force to overwrite it"
        )))
    }
}

/// The help of `--target`: the valid names, from [`Target::ALL`].
pub(crate) fn target_help() -> String {
    let names: Vec<&str> = Target::ALL.iter().map(|t| t.name()).collect();
    format!(
        "The target whose kernels the module calls: {} (`nndc targets` describes them)",
        names.join(", ")
    )
}

/// `nndc targets`: one row per target (name, kernel family, the Rust targets it is for, what it
/// is), then how the default is chosen.
pub(crate) fn targets_table() -> String {
    let rows: Vec<[String; 4]> = Target::ALL
        .iter()
        .map(|&t| {
            let triples = match t.triples() {
                ["*"] => "any".to_owned(),
                patterns => patterns.join(", "),
            };
            [
                t.name().to_owned(),
                t.family().name().to_owned(),
                triples,
                t.description().to_owned(),
            ]
        })
        .collect();
    let header = ["target", "family", "rust targets", "kernels"];
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].len())
            .chain([header[i].len()])
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2) = (width(0), width(1), width(2));
    let mut out = String::new();
    for row in std::iter::once(header.map(str::to_owned)).chain(rows) {
        let line = format!("{:w0$}  {:w1$}  {:w2$}  {}", row[0], row[1], row[2], row[3]);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str(
        "\nnndc build uses `generic` unless --target names another. A build script\n\
         (nn_dsl::build::Build) uses `cortex-m4` on thumbv7em-*, `aarch64` on aarch64-* and\n\
         `generic` elsewhere, and rejects a named target that does not match the Rust target\n\
         (docs/codegen.md).\n",
    );
    out
}

/// Load errors about files rather than the network (exit 2, as `nndc run`).
fn is_file_error(e: &LoadError) -> bool {
    matches!(
        e,
        LoadError::Io { .. }
            | LoadError::Utf8 { .. }
            | LoadError::Tflite { .. }
            | LoadError::Weights { .. }
    )
}

/// For a target with specialised kernels: how many nodes use them, and one line per node that
/// falls back to the portable kernel, with the reason. Empty for `generic`.
pub(crate) fn kernel_report(kernels: &[nn_dsl::build::NodeKernel], target: Target) -> String {
    use nn_dsl::back::rust::KernelChoice;
    let special = kernels
        .iter()
        .filter(|k| matches!(k.choice, KernelChoice::Specialised(_)))
        .count();
    let fallbacks: Vec<_> = kernels
        .iter()
        .filter_map(|k| match &k.choice {
            KernelChoice::Portable(Some(why)) => Some((k, why)),
            _ => None,
        })
        .collect();
    if special == 0 && fallbacks.is_empty() {
        return String::new();
    }
    let mut s = format!(
        "{special} node(s) on `{target}` kernels, {} node(s) on the portable kernels\n",
        fallbacks.len()
    );
    for (k, why) in fallbacks {
        s.push_str(&format!("  portable: `{}` ({}): {why}\n", k.node, k.op));
    }
    s
}
