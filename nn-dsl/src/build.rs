//! The build.rs driver (prost-build style): compile .nnd / .tflite networks into OUT_DIR.
//!
//! ```no_run
//! // build.rs of a crate with `nn-kernels` as a dependency and `nn-dsl` as a build-dependency:
//! if let Err(e) = nn_dsl::build::Build::new().file("kws.nnd").compile() {
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
//!
//! # Targets
//!
//! The code is generated for a [`Target`] chosen from the Rust target triple the crate is being
//! built for: cargo's `TARGET` environment variable (set for build scripts), or
//! [`Build::triple`].
//! - No target named: [`Target::default_for_triple`] (`cortex-m4` on `thumbv7em-*`, `generic`
//!   everywhere else, and `generic` when there is no triple at all).
//! - A target named with [`Build::target`] must match the triple ([`Target::matches_triple`]):
//!   `cortex-m4` for `x86_64-unknown-linux-gnu` is [`Error::TargetMismatch`], not a silent
//!   fallback. [`Build::allow_foreign_target`] opts out of the check. Without a triple nothing is
//!   checked.

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
    /// [`Build::name`] was given for a build of several files.
    #[error(
        "`.name(\"{name}\")` names one network type, but {files} files are built; build each \
         named file with its own `Build`"
    )]
    NameForSeveral {
        /// The name given.
        name: String,
        /// The number of files.
        files: usize,
    },
    /// Neither [`Build::out_dir`] nor the `OUT_DIR` environment variable is set.
    #[error("OUT_DIR is not set: call `.out_dir(...)`, or run from a cargo build script")]
    NoOutDir,
    /// The target name is unknown.
    #[error(transparent)]
    Target(#[from] UnknownTarget),
    /// The named target is not for the Rust target triple the crate is built for, and
    /// [`Build::allow_foreign_target`] was not called.
    #[error(
        "error: target `{target}` is for Rust targets {needs}, but this build is for `{triple}`; \
         name a target that matches it (`{default}` is the default here; `generic` runs anywhere) \
         or call `.allow_foreign_target(true)` to generate `{target}` code anyway",
        needs = .target.triples().join(", "),
        default = Target::default_for_triple(.triple),
    )]
    TargetMismatch {
        /// The target that was named.
        target: Target,
        /// The Rust target triple of the build (cargo's `TARGET`, or [`Build::triple`]).
        triple: String,
    },
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
    /// Its `STATE_BYTES`: the stateful layers' memory, kept between runs (0 without state).
    pub state_bytes: usize,
    /// Every file that was read: the network file, then its weights file (for `.nnd`).
    pub inputs: Vec<PathBuf>,
    /// The kernel each node runs on the target, in schedule order.
    pub kernels: Vec<NodeKernel>,
}

/// Which kernel one node runs on the chosen target (reported by `nndc build`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeKernel {
    /// The node's name.
    pub node: String,
    /// The operator's name.
    pub op: &'static str,
    /// The kernel: the target's specialised one, or the portable one and why.
    pub choice: rust::KernelChoice,
}

/// Loads, lowers, plans and writes one network file as Rust (`nndc build` and [`Build`]).
///
/// # Errors
/// [`Error::Load`], [`Error::Lower`], [`Error::Plan`] or [`Error::Codegen`].
pub fn compile_file(path: &Path, options: &Options) -> Result<Compiled, Error> {
    compile_file_with(path, options, &PlanOptions::default())
}

/// [`compile_file`] with the planner's options (`nndc build --in-place`, [`Build::in_place`]).
///
/// # Errors
/// As [`compile_file`].
pub fn compile_file_with(
    path: &Path,
    options: &Options,
    plan_options: &PlanOptions,
) -> Result<Compiled, Error> {
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
    let plan = crate::plan::plan(&loaded.module, plan_options).map_err(|error| Error::Plan {
        path: shown.clone(),
        error,
    })?;
    let mut options = options.clone();
    if options.source.is_none() {
        options.source = path.file_name().map(|n| n.to_string_lossy().into_owned());
    }
    let kernels = loaded
        .module
        .nodes
        .iter()
        .zip(&lowered.nodes)
        .map(|((_, n), p)| NodeKernel {
            node: n.name.clone(),
            op: n.op.name(),
            // A layer written over its input runs the portable in-place kernel on every target.
            choice: if plan.tensor(n.output).map(|t| t.share) == Some(crate::plan::Share::InPlace) {
                rust::KernelChoice::Portable(Some("written in place over its input".into()))
            } else {
                rust::choose(options.target, p)
            },
        })
        .collect();
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
        state_bytes: loaded.module.state_bytes(),
        inputs,
        kernels,
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
    /// The target the code was generated for.
    pub target: Target,
    /// Its `ARENA_BYTES`.
    pub arena_bytes: usize,
    /// False when the file already had these contents and was left alone.
    pub written: bool,
}

/// Compiles networks to Rust modules from a build script. See the [module docs](self).
#[derive(Clone, Debug)]
pub struct Build {
    files: Vec<PathBuf>,
    /// `None`: the default for the triple.
    target: Option<String>,
    /// `None`: cargo's `TARGET`, read by [`Build::compile`].
    triple: Option<String>,
    allow_foreign_target: bool,
    out_dir: Option<PathBuf>,
    kernels_path: Option<String>,
    cargo_metadata: bool,
    in_place: bool,
    io_in_arena: bool,
    max_arena: Option<usize>,
    name: Option<String>,
}

impl Default for Build {
    fn default() -> Self {
        Build::new()
    }
}

impl Build {
    /// No files, the default target for the build's triple (see [Targets](self#targets)), output
    /// in `OUT_DIR`, `cargo:` lines printed.
    pub fn new() -> Self {
        Build {
            files: Vec::new(),
            target: None,
            triple: None,
            allow_foreign_target: false,
            out_dir: None,
            kernels_path: None,
            cargo_metadata: true,
            in_place: false,
            io_in_arena: false,
            max_arena: None,
            name: None,
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

    /// The target by name (see [`Target::ALL`]). Checked by [`Build::compile`]: an unknown name
    /// is [`Error::Target`]; a target that does not match the build's triple is
    /// [`Error::TargetMismatch`] unless [`Build::allow_foreign_target`] is set. Without this call
    /// the target is [`Target::default_for_triple`] of the triple (see [Targets](self#targets)).
    pub fn target(&mut self, name: &str) -> &mut Self {
        self.target = Some(name.to_owned());
        self
    }

    /// The Rust target triple the generated code will be compiled for (default: cargo's `TARGET`
    /// environment variable, which cargo sets for build scripts). It picks the default target
    /// and is what a named target is checked against.
    pub fn triple(&mut self, triple: &str) -> &mut Self {
        self.triple = Some(triple.to_owned());
        self
    }

    /// Let convolutions write their output row by row over an input that dies there, and compute
    /// residual blocks one output row at a time over their input (default false): a smaller
    /// arena for one kernel call per output row. The planner keeps each only where the arena
    /// shrinks. See `docs/memory.md` ("Row by row, in place", "Fused residual blocks").
    pub fn in_place(&mut self, on: bool) -> &mut Self {
        self.in_place = on;
        self
    }

    /// Plan the graph inputs and outputs inside the arena (default false): the module gains
    /// `run_in_arena` and accessors of the input and output bytes there, so one inference needs
    /// no memory besides the arena (`run` still works, copying in and out). See
    /// `docs/codegen.md`.
    pub fn io_in_arena(&mut self, on: bool) -> &mut Self {
        self.io_in_arena = on;
        self
    }

    /// A budget for the arena, in bytes (default none): the plain plan when it fits, else the
    /// fewest convolutions written row by row in place that make it fit (as with
    /// [`Build::in_place`]); a network that cannot fit is [`Error::Plan`] naming the layer at
    /// the peak and the excess.
    pub fn max_arena(&mut self, bytes: usize) -> &mut Self {
        self.max_arena = Some(bytes);
        self
    }

    /// Generate code for a target other than the build's (default false): a named target that
    /// does not match the triple is used anyway instead of being an error. The specialised
    /// kernels also compile as portable Rust on any architecture, so this is for host tests of
    /// target code, not for shipping.
    pub fn allow_foreign_target(&mut self, allow: bool) -> &mut Self {
        self.allow_foreign_target = allow;
        self
    }

    /// The target [`Build::compile`] generates for: the named one (checked against the triple)
    /// or the default for the triple. See [Targets](self#targets).
    ///
    /// # Errors
    /// [`Error::Target`] for an unknown name, [`Error::TargetMismatch`] for a target that does
    /// not match the triple.
    pub fn resolve_target(&self) -> Result<Target, Error> {
        let env;
        let triple = match &self.triple {
            Some(t) => Some(t.as_str()),
            None => {
                env = std::env::var("TARGET").ok();
                env.as_deref()
            }
        };
        resolve_target(self.target.as_deref(), triple, self.allow_foreign_target)
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

    /// The network type's name (default: the network's name, or the `.tflite` file's stem in
    /// UpperCamelCase). Only for a build of one file: two modules would get the same type name,
    /// so [`Build::compile`] refuses it with several ([`Error::NameForSeveral`]).
    pub fn name(&mut self, name: &str) -> &mut Self {
        self.name = Some(name.to_owned());
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
        let target = self.resolve_target()?;
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
        if let Some(n) = &self.name {
            if self.files.len() > 1 {
                return Err(Error::NameForSeveral {
                    name: n.clone(),
                    files: self.files.len(),
                });
            }
            options.type_name = Some(n.clone());
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
            let plan_options = PlanOptions::memory(self.in_place, self.max_arena, self.io_in_arena);
            let compiled = compile_file_with(file, &options, &plan_options)?;
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
                target,
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

/// The target for a named target (or none) and a Rust triple (or none); see
/// [Targets](self#targets).
fn resolve_target(
    name: Option<&str>,
    triple: Option<&str>,
    allow_foreign: bool,
) -> Result<Target, Error> {
    let Some(name) = name else {
        return Ok(triple.map_or(Target::Generic, Target::default_for_triple));
    };
    let target = Target::from_name(name)?;
    match triple {
        Some(triple) if !allow_foreign && !target.matches_triple(triple) => {
            Err(Error::TargetMismatch {
                target,
                triple: triple.to_owned(),
            })
        }
        _ => Ok(target),
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
            "unknown target `vax`; valid targets: generic, cortex-m4, cortex-m7, aarch64, \
             aarch64-dotprod, aarch64-i8mm, k210"
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
            .file("a.nnd")
            .file("b.nnd")
            .name("Net")
            .out_dir("/nonexistent")
            .cargo_metadata(false)
            .compile()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "`.name(\"Net\")` names one network type, but 2 files are built; build each named \
             file with its own `Build`"
        );
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

    const HOST: &str = "x86_64-unknown-linux-gnu";
    const M4: &str = "thumbv7em-none-eabihf";

    #[test]
    fn default_target_follows_the_triple() {
        assert_eq!(resolve_target(None, None, false), Ok(Target::Generic));
        assert_eq!(resolve_target(None, Some(HOST), false), Ok(Target::Generic));
        assert_eq!(resolve_target(None, Some(M4), false), Ok(Target::CortexM4));
        assert_eq!(
            resolve_target(None, Some("thumbv7em-none-eabi"), false),
            Ok(Target::CortexM4)
        );
        assert_eq!(
            resolve_target(None, Some("thumbv6m-none-eabi"), false),
            Ok(Target::Generic)
        );
        // Through the builder, with the triple injected (not read from the environment).
        assert_eq!(
            Build::new().triple(M4).resolve_target(),
            Ok(Target::CortexM4)
        );
        assert_eq!(
            Build::new().triple(HOST).resolve_target(),
            Ok(Target::Generic)
        );
    }

    #[test]
    fn named_target_must_match_the_triple() {
        // Matching names are used as named.
        for (name, triple, t) in [
            ("generic", M4, Target::Generic),
            ("generic", HOST, Target::Generic),
            ("cortex-m4", M4, Target::CortexM4),
            ("Cortex-M7", M4, Target::CortexM7),
            ("cortex-m4", "thumbv8m.main-none-eabihf", Target::CortexM4),
        ] {
            assert_eq!(resolve_target(Some(name), Some(triple), false), Ok(t));
        }
        // No triple (not a build script): nothing to check against.
        assert_eq!(
            resolve_target(Some("cortex-m7"), None, false),
            Ok(Target::CortexM7)
        );
        // A mismatch is an error naming the target, the triple and the ways out.
        let e = resolve_target(Some("cortex-m4"), Some(HOST), false).unwrap_err();
        assert_eq!(
            e,
            Error::TargetMismatch {
                target: Target::CortexM4,
                triple: HOST.into()
            }
        );
        assert_eq!(
            e.to_string(),
            "error: target `cortex-m4` is for Rust targets thumbv7em-*, thumbv8m.main-*, but this \
             build is for `x86_64-unknown-linux-gnu`; name a target that matches it (`generic` is \
             the default here; `generic` runs anywhere) or call `.allow_foreign_target(true)` to \
             generate `cortex-m4` code anyway"
        );
        let e = resolve_target(Some("cortex-m7"), Some("thumbv6m-none-eabi"), false).unwrap_err();
        assert!(
            e.to_string()
                .contains("this build is for `thumbv6m-none-eabi`"),
            "{e}"
        );
        // The opt-in.
        assert_eq!(
            resolve_target(Some("cortex-m4"), Some(HOST), true),
            Ok(Target::CortexM4)
        );
        // An unknown name stays an unknown name, opt-in or not.
        for allow in [false, true] {
            assert!(matches!(
                resolve_target(Some("z80"), Some(HOST), allow),
                Err(Error::Target(_))
            ));
        }
        // Through the builder: the mismatch is reported before any file is read.
        let e = Build::new()
            .file("/nonexistent/x.nnd")
            .out_dir("/nonexistent")
            .cargo_metadata(false)
            .target("cortex-m4")
            .triple(HOST)
            .compile()
            .unwrap_err();
        assert!(matches!(e, Error::TargetMismatch { .. }), "{e}");
        assert_eq!(
            Build::new()
                .target("cortex-m4")
                .triple(HOST)
                .allow_foreign_target(true)
                .resolve_target(),
            Ok(Target::CortexM4)
        );
    }

    #[test]
    fn compile_reports_the_target_it_generated_for() {
        let model = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/vectors/models/flatten_cnn.tflite");
        let out = std::env::temp_dir().join(format!("nnd-build-targets-{}", std::process::id()));
        std::fs::create_dir_all(&out).unwrap();
        let run = |b: &mut Build| {
            let g = b
                .file(&model)
                .out_dir(&out)
                .cargo_metadata(false)
                .compile()
                .unwrap();
            assert_eq!(g.len(), 1);
            let code = std::fs::read_to_string(&g[0].path).unwrap();
            (g[0].target, code)
        };
        let (t, code) = run(Build::new().triple(HOST));
        assert_eq!(t, Target::Generic);
        assert!(code.contains("target `generic`"), "{code}");
        let (t, code) = run(Build::new().triple(M4));
        assert_eq!(t, Target::CortexM4);
        assert!(code.contains("target `cortex-m4`"), "{code}");
        let (t, code) = run(Build::new()
            .target("cortex-m7")
            .triple(HOST)
            .allow_foreign_target(true));
        assert_eq!(t, Target::CortexM7);
        assert!(code.contains("target `cortex-m7`"), "{code}");
        let (_, code) = run(Build::new().triple(HOST).name("Digits"));
        assert!(code.contains("pub struct Digits;"), "{code}");
        assert!(!code.contains("pub struct FlattenCnn;"), "{code}");
        std::fs::remove_dir_all(&out).unwrap();
    }
}
