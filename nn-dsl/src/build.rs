//! The build.rs driver (prost-build style): compile .nnd / .tflite networks into OUT_DIR.
//!
//! ```no_run
//! // build.rs of a crate with `nn-kernels` as a dependency and `nn-dsl` as a build-dependency:
//! if let Err(e) = nn_dsl::build::Build::new().file("kws.nnd").target("generic").compile() {
//!     eprintln!("{e}"); // rendered diagnostics, with the file name
//!     std::process::exit(1);
//! }
//! // src/main.rs: mod kws { include!(concat!(env!("OUT_DIR"), "/kws.rs")); }
//! ```
//!
//! For each file, [`Build::compile`] loads it ([`crate::front::load`]: a `.nnd` file with the
//! safetensors file its `weights` statement names, or a `.tflite` model), lowers it
//! ([`crate::lower`]), plans its arena ([`crate::plan`]) and writes `<stem>.rs` with the Rust
//! back end ([`crate::back::rust`]), only when the contents change. It prints
//! `cargo:rerun-if-changed=` for every file it reads: the `.nnd` and its weights file, or the
//! `.tflite`. Errors are [`Error`]s whose `Display` is what a user should read (diagnostics
//! rendered against the `.nnd` source with its file name); nothing here panics.
//!
//! Relative paths are taken as given; cargo runs build scripts in the package's directory.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::back::rust::{self, Options, Target, UnknownTarget};
use crate::front::load::{self, LoadError};
use crate::lower::LowerError;
use crate::plan::{PlanError, PlanOptions};

/// Why a build failed. `Display` renders the message for the user (with file names).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// [`Build::compile`] was called without files.
    #[error("no network files given (call `.file(...)`)")]
    NoFiles,
    /// Neither [`Build::out_dir`] nor the `OUT_DIR` environment variable is set.
    #[error("OUT_DIR is not set: call `.out_dir(...)`, or run from a cargo build script")]
    NoOutDir,
    /// The target name is unknown.
    #[error(transparent)]
    Target(#[from] UnknownTarget),
    /// The network cannot be loaded: unreadable file, diagnostics in the `.nnd` file or its
    /// weights, a `.tflite` model the importer refuses.
    #[error("{}", .0.render().trim_end())]
    Load(Box<LoadError>),
    /// A constant cannot be derived (a scale the quantisation arithmetic rejects, a missing
    /// weight).
    #[error("error: `{path}`: {error}")]
    Lower {
        /// The network file.
        path: String,
        /// What went wrong.
        error: LowerError,
    },
    /// The arena cannot be planned.
    #[error("error: `{path}`: {error}")]
    Plan {
        /// The network file.
        path: String,
        /// What went wrong.
        error: PlanError,
    },
    /// The back end cannot write the network.
    #[error("error: `{path}`: {error}")]
    Codegen {
        /// The network file.
        path: String,
        /// What went wrong.
        error: rust::Error,
    },
    /// Two files would be written to the same output file.
    #[error("error: `{first}` and `{second}` would both be written to `{file}`")]
    SameOutput {
        /// The first network file.
        first: String,
        /// The second.
        second: String,
        /// The output file name.
        file: String,
    },
    /// A file cannot be written, or stdout is closed.
    #[error("error: cannot write `{path}`: {message}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's message.
        message: String,
    },
}

impl From<LoadError> for Error {
    fn from(e: LoadError) -> Self {
        Error::Load(Box::new(e))
    }
}

/// A network compiled to Rust source, not yet written anywhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compiled {
    /// The generated module.
    pub code: String,
    /// The network's type name.
    pub network: String,
    /// Its `ARENA_BYTES`.
    pub arena_bytes: usize,
    /// Every file that was read: the network file, then its weights file (for `.nnd`).
    pub inputs: Vec<PathBuf>,
}

/// Loads, lowers, plans and writes one network file as Rust (`nndc build` and [`Build`]).
///
/// # Errors
/// [`Error::Load`], [`Error::Lower`], [`Error::Plan`] or [`Error::Codegen`].
pub fn compile_file(path: &Path, options: &Options) -> Result<Compiled, Error> {
    let loaded = load::load(path)?;
    let shown = loaded.path.clone();
    let mut inputs = vec![path.to_path_buf()];
    if !load::is_tflite(path) {
        if let Some(w) = &loaded.module.weights {
            let base = path.parent().unwrap_or_else(|| Path::new(""));
            inputs.push(load::resolve(base, &w.node));
        }
    }
    let lowered =
        crate::lower::lower(&loaded.module, &loaded.weights).map_err(|error| Error::Lower {
            path: shown.clone(),
            error,
        })?;
    let plan = crate::plan::plan(&loaded.module, &PlanOptions::default()).map_err(|error| {
        Error::Plan {
            path: shown.clone(),
            error,
        }
    })?;
    let mut options = options.clone();
    if options.source.is_none() {
        options.source = path.file_name().map(|n| n.to_string_lossy().into_owned());
    }
    let code = rust::write_string(&loaded.module, &lowered, &plan, &options).map_err(|error| {
        Error::Codegen {
            path: shown.clone(),
            error,
        }
    })?;
    Ok(Compiled {
        code,
        network: options
            .type_name
            .clone()
            .unwrap_or_else(|| loaded.module.name.clone()),
        arena_bytes: plan.arena_bytes,
        inputs,
    })
}

/// The output file name for a network file: its stem in snake case plus `.rs`
/// (`nets/DS-CNN.tflite` -> `ds_cnn.rs`).
pub fn output_file_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out = String::new();
    for c in stem.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_');
    if out.is_empty() {
        "network.rs".into()
    } else {
        format!("{out}.rs")
    }
}

/// One written module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generated {
    /// The network file it came from.
    pub source: PathBuf,
    /// The `.rs` file.
    pub path: PathBuf,
    /// The network's type name.
    pub network: String,
    /// Its `ARENA_BYTES`.
    pub arena_bytes: usize,
    /// False when the file already had these contents and was left alone.
    pub written: bool,
}

/// Compiles networks to Rust modules from a build script. See the [module docs](self).
#[derive(Clone, Debug)]
pub struct Build {
    files: Vec<PathBuf>,
    target: String,
    out_dir: Option<PathBuf>,
    kernels_path: Option<String>,
    cargo_metadata: bool,
}

impl Default for Build {
    fn default() -> Self {
        Build::new()
    }
}

impl Build {
    /// No files, target `generic`, output in `OUT_DIR`, `cargo:` lines printed.
    pub fn new() -> Self {
        Build {
            files: Vec::new(),
            target: Target::Generic.name().to_owned(),
            out_dir: None,
            kernels_path: None,
            cargo_metadata: true,
        }
    }

    /// Adds a network file (`.nnd` with its weights, or `.tflite`).
    pub fn file(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.files.push(path.as_ref().to_path_buf());
        self
    }

    /// Adds several network files.
    pub fn files<P: AsRef<Path>>(&mut self, paths: impl IntoIterator<Item = P>) -> &mut Self {
        self.files
            .extend(paths.into_iter().map(|p| p.as_ref().to_path_buf()));
        self
    }

    /// The target by name (see [`Target::ALL`]); checked by [`Build::compile`].
    pub fn target(&mut self, name: &str) -> &mut Self {
        name.clone_into(&mut self.target);
        self
    }

    /// Where the modules are written (default: the `OUT_DIR` environment variable).
    pub fn out_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// The path generated code reaches `nn_kernels` by (default `::nn_kernels`).
    pub fn kernels_path(&mut self, path: &str) -> &mut Self {
        self.kernels_path = Some(path.to_owned());
        self
    }

    /// Whether to print `cargo:rerun-if-changed=` lines (default true).
    pub fn cargo_metadata(&mut self, on: bool) -> &mut Self {
        self.cargo_metadata = on;
        self
    }

    /// Compiles every file into `<out_dir>/<stem>.rs` (see [`output_file_name`]), rewriting a
    /// file only when its contents change.
    ///
    /// # Errors
    /// The first [`Error`], in file order. `rerun-if-changed` lines for the files read so far
    /// are printed before it is returned.
    pub fn compile(&self) -> Result<Vec<Generated>, Error> {
        if self.files.is_empty() {
            return Err(Error::NoFiles);
        }
        let target = Target::from_name(&self.target)?;
        let out_dir = match &self.out_dir {
            Some(d) => d.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or(Error::NoOutDir)?,
        };
        let mut options = Options {
            target,
            ..Options::default()
        };
        if let Some(k) = &self.kernels_path {
            options.kernels_path.clone_from(k);
        }
        let mut seen: Vec<(String, &Path)> = Vec::new();
        for f in &self.files {
            let name = output_file_name(f);
            if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
                return Err(Error::SameOutput {
                    first: first.display().to_string(),
                    second: f.display().to_string(),
                    file: name,
                });
            }
            seen.push((name, f));
        }
        let mut generated = Vec::with_capacity(self.files.len());
        for (name, file) in seen {
            self.rerun_if_changed(file)?;
            let compiled = compile_file(file, &options)?;
            for extra in compiled.inputs.iter().skip(1) {
                self.rerun_if_changed(extra)?;
            }
            let path = out_dir.join(&name);
            let written = rust::write_if_changed(&path, &compiled.code).map_err(|e| Error::Io {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
            generated.push(Generated {
                source: file.to_path_buf(),
                path,
                network: compiled.network,
                arena_bytes: compiled.arena_bytes,
                written,
            });
        }
        Ok(generated)
    }

    fn rerun_if_changed(&self, path: &Path) -> Result<(), Error> {
        if !self.cargo_metadata {
            return Ok(());
        }
        let mut out = std::io::stdout().lock();
        writeln!(out, "cargo:rerun-if-changed={}", path.display()).map_err(|e| Error::Io {
            path: "<stdout>".into(),
            message: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_names() {
        assert_eq!(
            output_file_name(Path::new("nets/DS-CNN.tflite")),
            "ds_cnn.rs"
        );
        assert_eq!(output_file_name(Path::new("kws.nnd")), "kws.rs");
        assert_eq!(output_file_name(Path::new("--.nnd")), "network.rs");
    }

    #[test]
    fn errors_are_values() {
        assert_eq!(Build::new().compile(), Err(Error::NoFiles));
        let e = Build::new()
            .file("x.nnd")
            .target("vax")
            .out_dir("/nonexistent")
            .compile()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown target `vax`; valid targets: generic"
        );
        let e = Build::new()
            .file("a/x.nnd")
            .file("b/x.tflite")
            .out_dir("/nonexistent")
            .cargo_metadata(false)
            .compile()
            .unwrap_err();
        assert!(matches!(e, Error::SameOutput { .. }), "{e}");
        let e = Build::new()
            .file("/nonexistent/x.nnd")
            .out_dir("/nonexistent")
            .cargo_metadata(false)
            .compile()
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("error: cannot read `/nonexistent/x.nnd`"),
            "{e}"
        );
    }
}
