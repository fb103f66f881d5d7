//! The fuzzing loop: seeds first, then mutants of the in-memory corpus; each input runs under
//! `catch_unwind` with its time measured, a watchdog thread for inputs that never finish, and a
//! bound on the size of what is rendered for the user.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::mutate::Rng;
use crate::pipeline::hash_of;
use crate::targets::Target;

/// Prints a line on stdout (nothing better can be done if stdout is gone).
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}
pub(crate) use say;

/// How long and how to fuzz one target.
#[derive(Clone, Debug)]
pub struct Config {
    /// Stop after this long (`--seconds`).
    pub seconds: Option<f64>,
    /// Stop after this many executions (`--runs`).
    pub runs: Option<u64>,
    /// The mutator's seed (`--seed`).
    pub seed: u64,
    /// The directory holding one directory of seeds per target.
    pub corpus: PathBuf,
    /// The directory findings are saved in (one directory per target).
    pub artifacts: PathBuf,
    /// An input slower than this is a finding.
    pub slow: Duration,
    /// An input running longer than this stops the run (saved as a hang).
    pub hang: Duration,
}

/// The last panic's message, location and backtrace (set by the panic hook).
static LAST_PANIC: Mutex<Option<PanicRecord>> = Mutex::new(None);

#[derive(Clone, Debug)]
struct PanicRecord {
    message: String,
    location: String,
    backtrace: String,
}

/// Replaces the default panic hook (which prints every caught panic) by one that records it.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = if let Some(s) = info.payload().downcast_ref::<&str>() {
            (*s).to_owned()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "(a panic without a message)".to_owned()
        };
        let location = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_default();
        let backtrace = std::backtrace::Backtrace::force_capture().to_string();
        *LAST_PANIC.lock().unwrap_or_else(PoisonError::into_inner) = Some(PanicRecord {
            message,
            location,
            backtrace,
        });
    }));
}

/// What a finding is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// The code under test panicked.
    Panic,
    /// An input took longer than the slow limit.
    Slow,
    /// A rendered message over the size limit.
    BigOutput,
    /// A broken invariant (e.g. an import that does not load back).
    Invariant,
}

impl Kind {
    fn name(&self) -> &'static str {
        match self {
            Kind::Panic => "panic",
            Kind::Slow => "slow",
            Kind::BigOutput => "big-output",
            Kind::Invariant => "invariant",
        }
    }
}

/// Distinct findings of one kind and place, with how often they happened.
#[derive(Clone, Debug)]
pub struct Finding {
    /// Kind.
    pub kind: Kind,
    /// One line: the panic's location and message, the time, the size.
    pub summary: String,
    /// How many inputs hit it.
    pub count: u64,
    /// The first input's saved file.
    pub saved: Option<PathBuf>,
}

/// What a run of one target did.
#[derive(Clone, Debug)]
pub struct Report {
    /// The target.
    pub target: &'static str,
    /// Inputs executed.
    pub execs: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// Seeds loaded.
    pub seeds: usize,
    /// The in-memory corpus at the end (seeds plus mutants with a new signature).
    pub corpus: usize,
    /// Distinct signatures seen.
    pub signatures: usize,
    /// The slowest input's time and signature.
    pub slowest: (Duration, String),
    /// Distinct findings, by key.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Executions per second.
    pub fn rate(&self) -> f64 {
        self.execs as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Inputs that hit any finding.
    pub fn finding_inputs(&self) -> u64 {
        self.findings.iter().map(|f| f.count).sum()
    }
}

/// The largest rendered message allowed for an input of `len` bytes: 1 MiB, or 16 bytes per
/// input byte for larger inputs.
pub fn render_limit(len: usize) -> usize {
    (1 << 20usize).max(len.saturating_mul(16))
}

/// What the watchdog thread sees.
#[derive(Debug, Default)]
struct Watch {
    input: Vec<u8>,
    started: Option<Instant>,
    done: bool,
}

/// One input's result, for `--input` and the loop.
#[derive(Debug)]
pub struct Execution {
    /// The outcome's signature (empty after a panic).
    pub signature: String,
    /// Its time.
    pub time: Duration,
    /// Findings: kind, key and one-line summary, details for the saved note.
    pub findings: Vec<(Kind, String, String, String)>,
}

/// Runs one input under `catch_unwind`, with its time and rendered size checked.
pub fn execute(
    target: &mut dyn Target,
    input: &[u8],
    config: &Config,
) -> Result<Execution, String> {
    *LAST_PANIC.lock().unwrap_or_else(PoisonError::into_inner) = None;
    let t0 = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| target.run(input)));
    let time = t0.elapsed();
    let mut findings = Vec::new();
    let mut signature = String::new();
    match result {
        Err(_) => {
            let record = LAST_PANIC
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            let (message, location, backtrace) = match record {
                Some(r) => (r.message, r.location, r.backtrace),
                None => ("(no record)".into(), String::new(), String::new()),
            };
            findings.push((
                Kind::Panic,
                location.clone(),
                format!("panicked at {location}: {message}"),
                backtrace,
            ));
        }
        Ok(Err(harness)) => return Err(harness),
        Ok(Ok(outcome)) => {
            let limit = render_limit(input.len());
            if outcome.rendered > limit {
                findings.push((
                    Kind::BigOutput,
                    String::new(),
                    format!(
                        "a {} byte message for a {} byte input (limit {limit})",
                        outcome.rendered,
                        input.len()
                    ),
                    outcome.signature.clone(),
                ));
            }
            if let Some(problem) = outcome.problem {
                let first = problem.lines().next().unwrap_or_default().to_owned();
                findings.push((Kind::Invariant, first.clone(), first, problem));
            }
            signature = outcome.signature;
        }
    }
    if time > config.slow {
        findings.push((
            Kind::Slow,
            String::new(),
            format!(
                "{:.2} s (limit {:.2} s)",
                time.as_secs_f64(),
                config.slow.as_secs_f64()
            ),
            signature.clone(),
        ));
    }
    Ok(Execution {
        signature,
        time,
        findings,
    })
}

/// Saves `input` as `dir/<kind>-<hash>.<ext>` with a `.txt` note beside it.
fn save(dir: &Path, kind: &str, ext: &str, input: &[u8], note: &str) -> Option<PathBuf> {
    std::fs::create_dir_all(dir).ok()?;
    let base = format!("{kind}-{:016x}", hash_of(input));
    let path = dir.join(format!("{base}.{ext}"));
    std::fs::write(&path, input).ok()?;
    // The note is a convenience: the input alone reproduces the finding.
    let _ = std::fs::write(dir.join(format!("{base}.txt")), note);
    Some(path)
}

/// Reads every file of `dir`, sorted by name.
pub fn read_corpus(dir: &Path) -> Result<Vec<Vec<u8>>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read(p).map_err(|e| format!("cannot read `{}`: {e}", p.display())))
        .collect()
}

/// At most this many inputs are kept in memory.
const MAX_CORPUS: usize = 4096;

/// Fuzzes `target` until the time or run limit.
pub fn fuzz(target: &mut dyn Target, config: &Config) -> Result<Report, String> {
    let name = target.name();
    let ext = target.extension();
    let seeds = read_corpus(&config.corpus.join(name))?;
    if seeds.is_empty() {
        return Err(format!(
            "no seeds in `{}`",
            config.corpus.join(name).display()
        ));
    }
    let artifacts = config.artifacts.join(name);
    let mutator = target.mutator();
    let mut rng = Rng::new(config.seed);
    let mut corpus = seeds.clone();
    let mut signatures = HashSet::new();
    let mut findings: BTreeMap<(Kind, String), Finding> = BTreeMap::new();

    // The watchdog: an input running longer than the hang limit is saved and the run stops.
    let watch = Arc::new(Mutex::new(Watch::default()));
    let watchdog = {
        let watch = Arc::clone(&watch);
        let hang = config.hang;
        let dir = artifacts.clone();
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_millis(100));
            let w = watch.lock().unwrap_or_else(PoisonError::into_inner);
            if w.done {
                return;
            }
            if let Some(t) = w.started.filter(|t| t.elapsed() > hang) {
                let note = format!(
                    "hang: still running after {:.1} s (limit {:.1} s)\n",
                    t.elapsed().as_secs_f64(),
                    hang.as_secs_f64()
                );
                let saved = save(&dir, "hang", ext, &w.input, &note);
                say!(
                    "[{name}] FINDING hang: an input ran over {:.1} s; saved {}",
                    hang.as_secs_f64(),
                    saved.map(|p| p.display().to_string()).unwrap_or_default()
                );
                std::process::exit(1);
            }
        })
    };

    let start = Instant::now();
    let mut last_status = start;
    let mut execs = 0u64;
    let mut slowest = (Duration::ZERO, String::new());
    let deadline = config.seconds.map(Duration::from_secs_f64);
    loop {
        if config.runs.is_some_and(|r| execs >= r) || deadline.is_some_and(|d| start.elapsed() >= d)
        {
            break;
        }
        let input = match seeds.get(execs as usize) {
            Some(seed) => seed.clone(),
            None => {
                let mut data = rng.pick(&corpus).cloned().unwrap_or_default();
                let other = rng.pick(&corpus).cloned();
                mutator.mutate(&mut rng, &mut data, other.as_deref());
                data
            }
        };
        {
            let mut w = watch.lock().unwrap_or_else(PoisonError::into_inner);
            w.input.clone_from(&input);
            w.started = Some(Instant::now());
        }
        let result = execute(target, &input, config);
        watch.lock().unwrap_or_else(PoisonError::into_inner).started = None;
        let execution = result?;
        execs += 1;
        if execution.time > slowest.0 {
            slowest = (execution.time, execution.signature.clone());
        }
        if !execution.signature.is_empty()
            && signatures.insert(hash_of(&execution.signature))
            && corpus.len() < MAX_CORPUS
            && execs as usize > seeds.len()
        {
            corpus.push(input.clone());
        }
        for (kind, key, summary, details) in execution.findings {
            let entry = findings.entry((kind.clone(), key)).or_insert_with(|| {
                let note = format!("{} ({name}): {summary}\n\n{details}\n", kind.name());
                let saved = save(&artifacts, kind.name(), ext, &input, &note);
                say!(
                    "[{name}] FINDING {}: {summary}; saved {}",
                    kind.name(),
                    saved
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| "nothing (cannot write)".into())
                );
                Finding {
                    kind: kind.clone(),
                    summary: summary.clone(),
                    count: 0,
                    saved,
                }
            });
            entry.count += 1;
        }
        if last_status.elapsed() >= Duration::from_secs(10) {
            last_status = Instant::now();
            let secs = start.elapsed().as_secs_f64();
            say!(
                "[{name}] {execs} execs in {secs:.0} s ({:.0}/s), corpus {}, signatures {}, findings {}",
                execs as f64 / secs.max(1e-9),
                corpus.len(),
                signatures.len(),
                findings.len()
            );
        }
    }
    watch.lock().unwrap_or_else(PoisonError::into_inner).done = true;
    // The watchdog only sleeps and reads; it ends within 100 ms.
    let _ = watchdog.join();
    Ok(Report {
        target: name,
        execs,
        elapsed: start.elapsed(),
        seeds: seeds.len(),
        corpus: corpus.len(),
        signatures: signatures.len(),
        slowest,
        findings: findings.into_values().collect(),
    })
}
