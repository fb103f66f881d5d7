//! `nndc build MODEL [--target NAME] [-o FILE] [--name TYPE] [--kernels-path PATH]`: compiles a
//! network (.nnd with its weights file, or .tflite) to a Rust module (docs/codegen.md).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use nn_dsl::back::rust::{self, Options, Target};
use nn_dsl::build::{compile_file, Error};
use nn_dsl::front::load::LoadError;

use crate::CliError;

/// The options of `nndc build`.
#[derive(Debug)]
pub(crate) struct BuildArgs {
    pub(crate) model: PathBuf,
    pub(crate) target: String,
    pub(crate) out: Option<PathBuf>,
    pub(crate) name: Option<String>,
    pub(crate) kernels_path: String,
}

/// Runs the subcommand. Exit 0 when the module was written (or was already up to date), 1 when
/// the network has errors (diagnostics, a model the importer refuses, constants that cannot be
/// derived, an op the target has no code for), 2 for usage errors and unreadable or unwritable
/// files (returned as [`CliError`]).
pub(crate) fn run(args: &BuildArgs) -> Result<ExitCode, CliError> {
    let target = Target::from_name(&args.target).map_err(|e| CliError(e.to_string()))?;
    let options = Options {
        target,
        type_name: args.name.clone(),
        kernels_path: args.kernels_path.clone(),
        source: None,
    };
    let compiled = match compile_file(&args.model, &options) {
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
    match &args.out {
        Some(path) => {
            rust::write_if_changed(path, &compiled.code)
                .map_err(|e| CliError(format!("cannot write `{}`: {e}", path.display())))?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(compiled.code.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| CliError(format!("cannot write to stdout: {e}")))?;
        }
    }
    Ok(ExitCode::SUCCESS)
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
