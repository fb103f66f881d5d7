//! Loading a network from disk: the driver path shared by `nndc` and tests.
//!
//! - [`load_nnd`]: reads a `.nnd` file, parses and checks it, resolves its `weights "..."` path
//!   relative to the `.nnd` file's directory, reads that safetensors file and binds it
//!   ([`crate::weights::bind`]).
//! - [`load_tflite`]: reads a `.tflite` file and imports it ([`crate::front::tflite::import()`]).
//! - [`load`]: one of the two by the file extension (`.tflite`, anything else is `.nnd`).
//!
//! Every error names the file it is about; [`LoadError::render`] gives the text a user sees
//! (diagnostics rendered against the `.nnd` source with its real file name).

use std::path::{Path, PathBuf};

use crate::diag::{render, Diagnostic};
use crate::front::tflite::{self, ImportError, ReadError};
use crate::ir::Module;
use crate::weights::{bind, Weights, WeightsError};

/// A network ready to run: the checked module (quantisation filled) and its constants.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The module.
    pub module: Module,
    /// Its constants.
    pub weights: Weights,
    /// Checker warnings (for a `.nnd` file).
    pub warnings: Vec<Diagnostic>,
    /// The path as given, for messages.
    pub path: String,
    /// The `.nnd` text the warnings' spans point into (empty for `.tflite`).
    pub source: String,
}

/// Why a network could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoadError {
    /// The file cannot be read.
    #[error("cannot read `{path}`: {message}")]
    Io {
        /// The path as given.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// A `.nnd` file that is not UTF-8.
    #[error("cannot read `{path}`: the file is not valid UTF-8 (invalid byte at offset {offset})")]
    Utf8 {
        /// The path as given.
        path: String,
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// Syntax, check or binding errors in a `.nnd` file (and its warnings).
    #[error("`{path}` has {} error(s)", diagnostics.iter().filter(|d| d.is_error()).count())]
    Diagnostics {
        /// The path as given.
        path: String,
        /// The `.nnd` text the spans point into.
        text: String,
        /// Every diagnostic, errors and warnings.
        diagnostics: Vec<Diagnostic>,
    },
    /// A `.nnd` network without a `weights` statement cannot be run.
    #[error("`{path}`: network `{network}` has no `weights \"...\";` statement, so its parameters are unknown")]
    NoWeights {
        /// The path as given.
        path: String,
        /// The network's name.
        network: String,
    },
    /// The weights file named by a `.nnd` file cannot be read.
    #[error("{error} (named by `{path}`)")]
    Weights {
        /// The `.nnd` path as given.
        path: String,
        /// The weights file's error (names the weights file).
        error: WeightsError,
    },
    /// A `.tflite` file the reader rejects.
    #[error("`{path}`: {error}")]
    Tflite {
        /// The path as given.
        path: String,
        /// The reader's error (boxed: it is large).
        error: Box<ReadError>,
    },
    /// A `.tflite` file the importer rejects.
    #[error("`{path}`: {error}")]
    Import {
        /// The path as given.
        path: String,
        /// The importer's error (boxed: it is large).
        error: Box<ImportError>,
    },
}

impl LoadError {
    /// The text for the user: rendered diagnostics (with the real file name and snippets) for
    /// [`LoadError::Diagnostics`], `error: <message>` otherwise. Ends with a newline.
    pub fn render(&self) -> String {
        match self {
            LoadError::Diagnostics {
                path,
                text,
                diagnostics,
            } => render::to_string(path, text, diagnostics),
            other => format!("error: {other}\n"),
        }
    }
}

/// Loads `path` with the front end its extension selects (`.tflite`, otherwise `.nnd`).
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    if is_tflite(path) {
        load_tflite(path)
    } else {
        load_nnd(path)
    }
}

/// True when `path` ends in `.tflite` (any case).
pub fn is_tflite(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("tflite"))
}

/// Reads, imports and names a `.tflite` model (the network is named after the file stem, see
/// [`network_name`]).
pub fn load_tflite(path: &Path) -> Result<Loaded, LoadError> {
    let shown = path.display().to_string();
    let bytes =
        crate::files::read(path, crate::files::FileKind::Tflite).map_err(|e| LoadError::Io {
            path: shown.clone(),
            message: e.to_string(),
        })?;
    let model = tflite::read(&bytes).map_err(|error| LoadError::Tflite {
        path: shown.clone(),
        error: Box::new(error),
    })?;
    let (mut module, weights) = tflite::import(&model).map_err(|error| LoadError::Import {
        path: shown.clone(),
        error: Box::new(error),
    })?;
    module.name = network_name(path);
    Ok(Loaded {
        module,
        weights,
        warnings: Vec::new(),
        path: shown,
        source: String::new(),
    })
}

/// Reads, checks and binds a `.nnd` file and the weights file it names.
pub fn load_nnd(path: &Path) -> Result<Loaded, LoadError> {
    let shown = path.display().to_string();
    let bytes =
        crate::files::read(path, crate::files::FileKind::Nnd).map_err(|e| LoadError::Io {
            path: shown.clone(),
            message: e.to_string(),
        })?;
    let source = String::from_utf8(bytes).map_err(|e| LoadError::Utf8 {
        path: shown.clone(),
        offset: e.utf8_error().valid_up_to(),
    })?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    load_nnd_source(source, shown, &base)
}

/// Like [`load_nnd`] for text already in memory: `path` names it in messages and `base` is the
/// directory a relative `weights` path is resolved against.
pub fn load_nnd_source(source: String, path: String, base: &Path) -> Result<Loaded, LoadError> {
    let (mut module, warnings) = match crate::check::check_source(&source) {
        Ok(ok) => ok,
        Err(diagnostics) => {
            return Err(LoadError::Diagnostics {
                path,
                text: source,
                diagnostics,
            })
        }
    };
    let Some(weights_path) = module.weights.clone() else {
        return Err(LoadError::NoWeights {
            path,
            network: module.name,
        });
    };
    let file = resolve(base, &weights_path.node);
    let weights = Weights::read(&file).map_err(|error| LoadError::Weights {
        path: path.clone(),
        error,
    })?;
    if let Err(mut errors) = bind(&mut module, &weights, weights_path.span) {
        let mut diagnostics = warnings;
        diagnostics.append(&mut errors);
        return Err(LoadError::Diagnostics {
            path,
            text: source,
            diagnostics,
        });
    }
    Ok(Loaded {
        module,
        weights,
        warnings,
        path,
        source,
    })
}

/// `weights` resolved against `base` (absolute paths are kept).
pub fn resolve(base: &Path, weights: &str) -> PathBuf {
    let p = Path::new(weights);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// A network name from a file stem: the stem's alphanumeric words in CamelCase
/// (`ds_cnn_kws.tflite` -> `DsCnnKws`), prefixed with `N` if it would start with a digit, or
/// `Model` when nothing is left; a name the generated code cannot use
/// ([`crate::check::names::reserved`]: `input.tflite` -> `Input`, `self.tflite` -> `Self`) gets
/// `Model` appended (`InputModel`).
pub fn network_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out = String::new();
    for word in stem
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() {
        return "Model".into();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'N');
    }
    if crate::check::names::reserved(&out).is_some() {
        out.push_str("Model");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_names_from_file_stems() {
        assert_eq!(network_name(Path::new("m/ds_cnn_kws.tflite")), "DsCnnKws");
        assert_eq!(network_name(Path::new("3x.tflite")), "N3x");
        assert_eq!(network_name(Path::new("_.tflite")), "Model");
        // Names the generated module cannot hold (issue 16, item 6).
        assert_eq!(network_name(Path::new("input.tflite")), "InputModel");
        assert_eq!(network_name(Path::new("output_1.tflite")), "Output1Model");
        assert_eq!(network_name(Path::new("arena.tflite")), "ArenaModel");
        assert_eq!(network_name(Path::new("result.tflite")), "ResultModel");
        assert_eq!(network_name(Path::new("self.tflite")), "SelfModel");
    }
}
