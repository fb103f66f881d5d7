//! `nndc`: the nnd command-line compiler.
//!
//! ```text
//! nndc check FILE [--no-weights]  check a network (and its weights file); diagnostics on stderr
//! nndc info FILE [--json] [--in-place] [--io-in-arena] [--max-arena BYTES]  per-layer shapes, MACs and parameters, then the arena plan
//! nndc info FILE --memory [--svg FILE [--force]]  the arena over time (text, SVG)
//! nndc import MODEL.tflite -o DIR [--name NAME] [--force]  write DIR/NAME.nnd + .safetensors
//! nndc run MODEL --input x.npy [--output y.npy] [--float] [--force]  run on the host
//! nndc build MODEL [--target generic] [-o out.rs [--force]] [--name TYPE] [--in-place] [--io-in-arena] [--max-arena BYTES]  generate a Rust module
//! nndc targets             the code-generation targets
//! ```
//!
//! Exit codes: 0 when the network is valid (warnings allowed), 1 when it has errors, 2 on usage
//! errors or an input that cannot be read.

#[path = "nndc/build.rs"]
mod build;
#[path = "nndc/import.rs"]
mod import;
#[path = "nndc/info.rs"]
mod info;
#[path = "nndc/load.rs"]
mod load;
#[path = "nndc/memory.rs"]
mod memory;
#[path = "nndc/run.rs"]
mod run;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};

use nn_dsl::diag::{render, Diagnostic};

/// The nnd compiler: checks `.nnd` networks and reports their cost.
#[derive(Debug, Parser)]
#[command(
    name = "nndc",
    version,
    about = "The nnd compiler: checks .nnd networks and reports their cost",
    after_help = "Exit codes: 0 valid (warnings allowed), 1 errors in the network, 2 usage error or unreadable file."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a network and print every diagnostic; exit 1 if it has errors.
    Check {
        /// The network file (`.nnd`).
        file: PathBuf,
        /// Check the architecture alone: do not read the weights file the network names (by
        /// default it is read and bound when it exists, as `nndc build` would).
        #[arg(long)]
        no_weights: bool,
    },
    /// Print each layer's output shape, MACs and parameters, with totals.
    Info {
        /// The network file (`.nnd`).
        file: PathBuf,
        /// Print JSON (format in docs/cli.md) instead of a table.
        #[arg(long)]
        json: bool,
        /// Draw the activation arena over time instead of the table.
        #[arg(long, conflicts_with = "json")]
        memory: bool,
        /// Also write the arena drawing as SVG to this file.
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
        /// Overwrite the --svg file if it exists.
        #[arg(long, requires = "svg")]
        force: bool,
        /// Plan as `nndc build --in-place` does (convolutions written row by row over their
        /// input where that shrinks the arena).
        #[arg(long)]
        in_place: bool,
        /// Plan as `nndc build --io-in-arena` does (graph inputs and outputs in the arena).
        #[arg(long)]
        io_in_arena: bool,
        /// Plan as `nndc build --max-arena BYTES` does.
        #[arg(long, value_name = "BYTES")]
        max_arena: Option<usize>,
    },
    /// Import an int8 .tflite model as DIR/NAME.nnd plus DIR/NAME.safetensors.
    Import {
        /// The model (`.tflite`).
        model: PathBuf,
        /// The output directory (created if missing).
        #[arg(short, long, value_name = "DIR")]
        out: PathBuf,
        /// Base name of the written files (default: the model's file stem).
        #[arg(long)]
        name: Option<String>,
        /// Overwrite existing files.
        #[arg(long)]
        force: bool,
    },
    /// Run a network (.nnd or .tflite) on the host with the portable kernels; print the outputs.
    Run {
        /// The network (`.nnd` with its weights file, or `.tflite`).
        model: PathBuf,
        /// An input as .npy (int8, or float32 with --float): one sample, a batch `(N, ...)`,
        /// or a folder of .npy files; once per graph input, in order.
        #[arg(long = "input", value_name = "NPY", required = true)]
        inputs: Vec<PathBuf>,
        /// Write an output as .npy (`(N, ...)` for N samples); none, or once per graph output.
        #[arg(long = "output", value_name = "NPY")]
        outputs: Vec<PathBuf>,
        /// Compare an output with this .npy byte for byte and report every sample that differs
        /// (exit 3); none, or once per graph output, in order.
        #[arg(long = "expect", value_name = "NPY")]
        expects: Vec<PathBuf>,
        /// Inputs are float32, quantised with the model's input parameters; outputs are
        /// dequantised.
        #[arg(long)]
        float: bool,
        /// Overwrite existing --output files.
        #[arg(long)]
        force: bool,
    },
    /// Compile a network (.nnd or .tflite) to a no_std Rust module (docs/codegen.md).
    Build {
        /// The network (`.nnd` with its weights file, or `.tflite`).
        model: PathBuf,
        /// The target whose kernels the module calls (help text: `build::target_help`).
        #[arg(long, value_name = "TARGET", default_value = "generic", help = build::target_help())]
        target: String,
        /// Write the module here (only if its contents change) instead of to stdout. An
        /// existing file is replaced only when it is a module nndc generated, or with --force.
        #[arg(short, long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Replace an existing -o file that nndc did not generate.
        #[arg(long)]
        force: bool,
        /// The network type's name (default: the network's name).
        #[arg(long)]
        name: Option<String>,
        /// The path the module reaches the kernels by.
        #[arg(long, value_name = "PATH", default_value = "::nn_kernels")]
        kernels_path: String,
        /// Write convolution outputs row by row over inputs that die there, where that shrinks
        /// the arena: less RAM, one kernel call per output row (docs/memory.md).
        #[arg(long)]
        in_place: bool,
        /// Plan the graph inputs and outputs inside the arena and add `run_in_arena`: one
        /// inference needs no memory besides the arena (docs/codegen.md).
        #[arg(long)]
        io_in_arena: bool,
        /// A budget for the arena: the fastest plan that fits (in place only where needed), or
        /// an error naming the layer at the peak and by how much it is over.
        #[arg(long, value_name = "BYTES")]
        max_arena: Option<usize>,
    },
    /// List the code-generation targets: name, kernel family, the Rust targets each is for.
    Targets,
}

/// A problem that stops nndc before or outside the compiler (exit code 2).
#[derive(Debug)]
pub(crate) struct CliError(pub(crate) String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(CliError(message)) => {
            let mut err = std::io::stderr().lock();
            // Nothing better can be done if stderr itself is gone.
            let _ = writeln!(err, "error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Check { file, no_weights } => {
            let loaded = load::load_with(&file, !no_weights)?;
            emit(&loaded.path, &loaded.source, loaded.diagnostics())?;
            Ok(exit_for(loaded.module().is_some()))
        }
        Command::Info {
            file,
            json,
            memory,
            svg,
            force,
            in_place,
            io_in_arena,
            max_arena,
        } => {
            let loaded = load::load(&file)?;
            emit(&loaded.path, &loaded.source, loaded.diagnostics())?;
            let Some(module) = loaded.module() else {
                return Ok(exit_for(false));
            };
            let report = nn_dsl::ir::report::report(module);
            let options = nn_dsl::plan::PlanOptions::memory(in_place, max_arena, io_in_arena);
            let plan = match nn_dsl::plan::plan(module, &options) {
                Ok(p) => p,
                Err(e @ nn_dsl::plan::PlanError::OverBudget { .. }) => {
                    let mut err = std::io::stderr().lock();
                    // Nothing better can be done if stderr itself is gone.
                    let _ = writeln!(err, "error: `{}`: {e}", loaded.path);
                    return Ok(exit_for(false));
                }
                Err(e) => return Err(CliError(format!("cannot plan the arena: {e}"))),
            };
            if let Some(path) = &svg {
                memory::write_svg(path, force, module, &plan)?;
            }
            let text = if json {
                memory::json(module, &report, &plan)?
            } else if memory {
                memory::drawing(module, &plan)
            } else {
                info::table(module, &report) + &memory::section(module, &plan)
            };
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| CliError(format!("cannot write to stdout: {e}")))?;
            Ok(exit_for(true))
        }
        Command::Import {
            model,
            out,
            name,
            force,
        } => import::run(&model, &out, name.as_deref(), force),
        Command::Run {
            model,
            inputs,
            outputs,
            expects,
            float,
            force,
        } => run::run(&run::RunArgs {
            model,
            inputs,
            outputs,
            expects,
            float,
            force,
        }),
        Command::Build {
            model,
            target,
            out,
            force,
            name,
            kernels_path,
            in_place,
            io_in_arena,
            max_arena,
        } => build::run(&build::BuildArgs {
            model,
            target,
            out,
            force,
            name,
            kernels_path,
            in_place,
            io_in_arena,
            max_arena,
        }),
        Command::Targets => {
            let mut out = std::io::stdout().lock();
            out.write_all(build::targets_table().as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| CliError(format!("cannot write to stdout: {e}")))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn exit_for(valid: bool) -> ExitCode {
    if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The one place diagnostics reach the user: stderr, with colour when it is a terminal.
fn emit(path: &str, source: &str, diagnostics: &[Diagnostic]) -> Result<(), CliError> {
    if diagnostics.is_empty() {
        return Ok(());
    }
    let choice = if std::io::stderr().is_terminal() {
        ColorChoice::Auto
    } else {
        ColorChoice::Never
    };
    let stream = StandardStream::stderr(choice);
    let mut lock = stream.lock();
    render::to_writer(&mut lock, path, source, diagnostics)
        .map_err(|e| CliError(format!("cannot write diagnostics: {e}")))
}
