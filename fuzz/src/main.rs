//! `nnd-fuzz`: a stable-Rust fuzzing harness for every input format nnd reads (docs/fuzzing.md).
//!
//! ```text
//! nnd-fuzz TARGET [--seconds N] [--runs N] [--seed S] [--corpus DIR] [--artifacts DIR]
//!                 [--slow-ms MS] [--hang-seconds S]
//! nnd-fuzz TARGET --input FILE [--input FILE ...]   run saved inputs once (reproduce a finding)
//! nnd-fuzz list                                      the targets
//! ```
//!
//! TARGET is `nnd`, `tflite`, `npy`, `weights` or `all` (each in turn, with the same limits).
//! Exit 0 when nothing was found, 1 on findings, 2 on usage or harness errors.

mod engine;
mod mutate;
mod npy;
mod pipeline;
mod targets;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use engine::{say, Config, Report};
use targets::Target;

const TARGETS: [&str; 4] = ["nnd", "tflite", "npy", "weights"];

const USAGE: &str = "usage: nnd-fuzz TARGET [--seconds N] [--runs N] [--seed S] [--corpus DIR] \
[--artifacts DIR] [--slow-ms MS] [--hang-seconds S] [--input FILE ...]\n\
TARGET: nnd, tflite, npy, weights, all (or `list`). Without --seconds or --runs: 60 seconds.";

#[derive(Debug)]
struct Args {
    target: String,
    config: Config,
    inputs: Vec<PathBuf>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut target = None;
    let mut config = Config {
        seconds: None,
        runs: None,
        seed: 1,
        corpus: manifest.join("corpus"),
        artifacts: manifest.join("artifacts"),
        slow: Duration::from_secs(2),
        hang: Duration::from_secs(20),
    };
    let mut inputs = Vec::new();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        let number = |name: &str, v: String| {
            v.parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .ok_or(format!("{name}: `{v}` is not a non-negative number"))
        };
        match arg.as_str() {
            "--seconds" => config.seconds = Some(number("--seconds", value("--seconds")?)?),
            "--runs" => {
                let v = value("--runs")?;
                config.runs = Some(
                    v.parse()
                        .map_err(|_| format!("--runs: `{v}` is not a count"))?,
                );
            }
            "--seed" => {
                let v = value("--seed")?;
                config.seed = v
                    .parse()
                    .map_err(|_| format!("--seed: `{v}` is not a u64"))?;
            }
            "--corpus" => config.corpus = PathBuf::from(value("--corpus")?),
            "--artifacts" => config.artifacts = PathBuf::from(value("--artifacts")?),
            "--slow-ms" => {
                let ms = number("--slow-ms", value("--slow-ms")?)?;
                config.slow = Duration::from_secs_f64(ms / 1000.0);
            }
            "--hang-seconds" => {
                let s = number("--hang-seconds", value("--hang-seconds")?)?;
                config.hang = Duration::from_secs_f64(s);
            }
            "--input" => inputs.push(PathBuf::from(value("--input")?)),
            "-h" | "--help" => return Err(USAGE.into()),
            other if other.starts_with('-') => return Err(format!("unknown option `{other}`")),
            other if target.is_none() => target = Some(other.to_owned()),
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    if config.seconds.is_none() && config.runs.is_none() {
        config.seconds = Some(60.0);
    }
    Ok(Args {
        target: target.ok_or("no target given")?,
        config,
        inputs,
    })
}

/// The target called `name`; `scratch` is a directory for the `.npy` target's input file.
fn make_target(name: &str, scratch: &Path) -> Result<Box<dyn Target>, String> {
    Ok(match name {
        "nnd" => Box::new(targets::NndTarget),
        "tflite" => Box::new(targets::TfliteTarget),
        "npy" => Box::new(npy::NpyTarget::new(scratch)?),
        "weights" => Box::new(targets::WeightsTarget::new()?),
        other => {
            return Err(format!(
                "unknown target `{other}` (nnd, tflite, npy, weights, all)"
            ))
        }
    })
}

/// Runs saved inputs once each; true when any has a finding.
fn reproduce(target: &mut dyn Target, inputs: &[PathBuf], config: &Config) -> Result<bool, String> {
    let mut any = false;
    for path in inputs {
        let input =
            std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let e = engine::execute(target, &input, config)?;
        say!(
            "{}: {} bytes, {:.3} s, signature: {}",
            path.display(),
            input.len(),
            e.time.as_secs_f64(),
            if e.signature.is_empty() {
                "(none)"
            } else {
                &e.signature
            }
        );
        for (kind, _, summary, details) in &e.findings {
            any = true;
            say!("  FINDING {kind:?}: {summary}\n{details}");
        }
    }
    Ok(any)
}

fn print_report(r: &Report) {
    say!(
        "[{}] done: {} executions in {:.1} s ({:.0} execs/s), {} seeds, corpus {}, {} signatures, \
         slowest input {:.3} s ({}), {} finding(s) ({} input(s))",
        r.target,
        r.execs,
        r.elapsed.as_secs_f64(),
        r.rate(),
        r.seeds,
        r.corpus,
        r.signatures,
        r.slowest.0.as_secs_f64(),
        r.slowest.1.chars().take(100).collect::<String>(),
        r.findings.len(),
        r.finding_inputs()
    );
    for f in &r.findings {
        say!(
            "  {:?} x{}: {} ({})",
            f.kind,
            f.count,
            f.summary,
            f.saved
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
    }
}

fn run() -> Result<bool, String> {
    let args = parse_args(std::env::args().skip(1))?;
    if args.target == "list" {
        say!("{}", TARGETS.join("\n"));
        return Ok(false);
    }
    engine::install_panic_hook();
    let scratch = std::env::temp_dir().join(format!("nnd-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)
        .map_err(|e| format!("cannot create `{}`: {e}", scratch.display()))?;
    let names: Vec<&str> = if args.target == "all" {
        TARGETS.to_vec()
    } else {
        vec![args.target.as_str()]
    };
    let result = (|| {
        let mut reports = Vec::new();
        for name in names {
            let mut target = make_target(name, &scratch)?;
            if !args.inputs.is_empty() {
                return reproduce(target.as_mut(), &args.inputs, &args.config);
            }
            let report = engine::fuzz(target.as_mut(), &args.config)?;
            print_report(&report);
            reports.push(report);
        }
        let total: usize = reports.iter().map(|r| r.findings.len()).sum();
        if reports.len() > 1 {
            say!("summary:");
            for r in &reports {
                say!(
                    "  {:8} {:>9} executions  {:>7.0} execs/s  {} finding(s)",
                    r.target,
                    r.execs,
                    r.rate(),
                    r.findings.len()
                );
            }
        }
        Ok(total > 0)
    })();
    // Best effort: the scratch directory holds one small file.
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

fn main() -> ExitCode {
    match run() {
        Ok(false) => ExitCode::SUCCESS,
        Ok(true) => {
            say!("nnd-fuzz: findings (see above); inputs saved under the artifacts directory");
            ExitCode::from(1)
        }
        Err(message) => {
            let _ = writeln!(std::io::stderr().lock(), "nnd-fuzz: {message}");
            ExitCode::from(2)
        }
    }
}
