//! Reading an input file: the one place that dispatches on the file's kind.

use std::path::Path;

use nn_dsl::diag::Diagnostic;
use nn_dsl::ir::Module;

use crate::CliError;

/// A file read and compiled as far as it goes.
#[derive(Debug)]
pub(crate) struct Loaded {
    /// The path as given, for diagnostics.
    pub(crate) path: String,
    /// The text the spans point into.
    pub(crate) source: String,
    /// The module and its warnings, or every diagnostic.
    result: Result<(Module, Vec<Diagnostic>), Vec<Diagnostic>>,
}

impl Loaded {
    /// All diagnostics (warnings only when the module is valid).
    pub(crate) fn diagnostics(&self) -> &[Diagnostic] {
        match &self.result {
            Ok((_, warnings)) => warnings,
            Err(diagnostics) => diagnostics,
        }
    }

    /// The module, when the input has no errors.
    pub(crate) fn module(&self) -> Option<&Module> {
        self.result.as_ref().ok().map(|(m, _)| m)
    }
}

/// Reads `path` and compiles it with the front end its extension selects, binding the weights
/// file a `.nnd` names when it exists.
pub(crate) fn load(path: &Path) -> Result<Loaded, CliError> {
    load_with(path, true)
}

/// [`load`]; with `weights` false (`nndc check --no-weights`) a `.nnd`'s weights file is not
/// read: the architecture alone is checked.
pub(crate) fn load_with(path: &Path, weights: bool) -> Result<Loaded, CliError> {
    let shown = path.display().to_string();
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if extension.eq_ignore_ascii_case("tflite") {
        return crate::import::load_tflite(path).map(|(result, path)| Loaded {
            path,
            source: String::new(),
            result,
        });
    }
    let bytes = nn_dsl::files::read(path, nn_dsl::files::FileKind::Nnd)
        .map_err(|e| CliError(format!("cannot read `{shown}`: {e}")))?;
    let source = String::from_utf8(bytes).map_err(|e| {
        CliError(format!(
            "cannot read `{shown}`: the file is not valid UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let mut result = nn_dsl::check::check_source(&source);
    if let (true, Ok((module, warnings))) = (weights, &mut result) {
        if let Some(errors) = bind_if_present(path, &shown, module)? {
            let mut all = std::mem::take(warnings);
            all.extend(errors);
            result = Err(all);
        }
    }
    Ok(Loaded {
        path: shown,
        source,
        result,
    })
}

/// When the network names a weights file and that file exists, reads it and binds it
/// (`nn_dsl::weights::bind`: every constant present and usable, every layer lowerable); returns
/// the diagnostics when that fails. A network without a `weights` statement, or whose weights
/// file does not exist (yet), is checked for shapes only; a weights file that exists but cannot
/// be read is a [`CliError`].
fn bind_if_present(
    path: &Path,
    shown: &str,
    module: &mut Module,
) -> Result<Option<Vec<Diagnostic>>, CliError> {
    let Some(weights_path) = module.weights.clone() else {
        return Ok(None);
    };
    let base = path.parent().unwrap_or_else(|| Path::new(""));
    let file = nn_dsl::front::load::resolve(base, &weights_path.node);
    if std::fs::symlink_metadata(&file).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        return Ok(None);
    }
    let weights = nn_dsl::weights::Weights::read(&file)
        .map_err(|e| CliError(format!("{e} (named by `{shown}`)")))?;
    Ok(nn_dsl::weights::bind(module, &weights, weights_path.span).err())
}
