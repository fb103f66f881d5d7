//! `.tflite` input: loading for `check` / `info`, and the `import` subcommand.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use nn_dsl::back::nnd::{write_string, Options};
use nn_dsl::diag::Diagnostic;
use nn_dsl::front::load::{self, LoadError};
use nn_dsl::ir::Module;

use crate::CliError;

/// The compile result of a `.tflite` file and the path as shown.
pub(crate) type TfliteResult = (Result<(Module, Vec<Diagnostic>), Vec<Diagnostic>>, String);

/// Reads and imports a `.tflite` file. A file that cannot be read or is not a valid model is a
/// [`CliError`] (exit 2); a valid model the importer refuses becomes one `E0300` diagnostic
/// (exit 1).
pub(crate) fn load_tflite(path: &Path) -> Result<TfliteResult, CliError> {
    let shown = path.display().to_string();
    match load::load_tflite(path) {
        Ok(l) => Ok((Ok((l.module, Vec::new())), shown)),
        Err(e) => Ok((Err(refused(e, &shown)?), shown)),
    }
}

/// The diagnostics of a model the importer refuses, or the [`CliError`] of an unreadable file.
fn refused(e: LoadError, shown: &str) -> Result<Vec<Diagnostic>, CliError> {
    match e {
        LoadError::Import { error, .. } => Ok(vec![Diagnostic::error(
            "E0300",
            format!("`{shown}`: {error}"),
        )
        .with_note("docs/import.md lists what the importer accepts")]),
        LoadError::Io { message, .. } => Err(CliError(format!("cannot read `{shown}`: {message}"))),
        LoadError::Tflite { error, .. } => Err(CliError(format!(
            "cannot read `{shown}`: not a valid .tflite model: {error}"
        ))),
        other => Err(CliError(other.to_string())),
    }
}

/// `nndc import MODEL -o DIR [--name NAME] [--force]`.
pub(crate) fn run(
    model: &Path,
    dir: &Path,
    name: Option<&str>,
    force: bool,
) -> Result<ExitCode, CliError> {
    let stem = match name {
        Some(n) => n.to_owned(),
        None => model
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    if stem.is_empty() || stem.contains(['/', '\\']) || stem.starts_with('.') {
        return Err(CliError(format!(
            "`{stem}` cannot be used as a file name; pass --name NAME (no directories)"
        )));
    }
    let shown = model.display().to_string();
    let (mut module, loaded_weights) = match load::load_tflite(model) {
        Ok(l) => (l.module, l.weights),
        Err(e) => {
            crate::emit(&shown, "", &refused(e, &shown)?)?;
            return Ok(ExitCode::from(1));
        }
    };
    module.name = load::network_name(Path::new(&stem));
    // The operators the import dropped because no output uses them (the file was just read and
    // imported, so reading it again cannot fail in a way that matters here).
    let dead: Vec<String> = nn_dsl::files::read(model, nn_dsl::files::FileKind::Tflite)
        .ok()
        .and_then(|bytes| nn_dsl::front::tflite::read(&bytes).ok())
        .map(|m| nn_dsl::front::tflite::dead_operators(&m))
        .unwrap_or_default()
        .into_iter()
        .map(|(i, op)| format!("{i} ({op})"))
        .collect();
    let nnd_path = dir.join(format!("{stem}.nnd"));
    let st_name = format!("{stem}.safetensors");
    let st_path = dir.join(&st_name);
    if !force {
        for p in [&nnd_path, &st_path] {
            // `symlink_metadata`: a dangling link counts as existing (and is never written
            // through, even with --force).
            if std::fs::symlink_metadata(p).is_ok() {
                return Err(CliError(format!(
                    "`{}` already exists; pass --force to overwrite it",
                    p.display()
                )));
            }
        }
    }
    let mut header = vec![
        format!("Imported by nndc from {}.", display_name(model)),
        "Parameters and activation quantisation are in the weights file.".into(),
    ];
    let dropped = (!dead.is_empty()).then(|| {
        format!(
            "dropped {} operator(s) no output uses: {}",
            dead.len(),
            dead.join(", ")
        )
    });
    header.extend(dropped.iter().map(|d| format!("nndc {d}.")));
    let text = write_string(
        &module,
        &Options {
            weights: Some(st_name),
            header,
        },
    )
    .map_err(|e| CliError(format!("cannot write `{}`: {e}", nnd_path.display())))?;
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError(format!("cannot create `{}`: {e}", dir.display())))?;
    loaded_weights
        .write(&st_path)
        .map_err(|e| CliError(e.to_string()))?;
    nn_dsl::files::write_atomic(&nnd_path, text.as_bytes())
        .map_err(|e| CliError(format!("cannot write `{}`: {e}", nnd_path.display())))?;
    // The files must load back (parse, check, bind); anything else is a bug worth reporting.
    if let Err(e) = load::load_nnd(&nnd_path) {
        return Err(CliError(format!(
            "internal error: the written files do not load back:\n{}",
            e.render()
        )));
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "wrote {} ({} layers) and {} ({} tensors)",
        nnd_path.display(),
        module.nodes.len(),
        st_path.display(),
        loaded_weights.tensors.len()
    )
    .and_then(|()| match &dropped {
        Some(d) => writeln!(out, "{d}"),
        None => Ok(()),
    })
    .and_then(|()| out.flush())
    .map_err(|e| CliError(format!("cannot write to stdout: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

/// The model's file name, for the header comment.
fn display_name(model: &Path) -> String {
    model.file_name().map_or_else(
        || model.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
