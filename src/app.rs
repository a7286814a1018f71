//! From parsed arguments to an exit code: settings merged from the CLI and the config file, the
//! scan, and the reports.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{
    ColorChoice, Command, CompletionsArgs, ExplainArgs, RulesArgs, RulesFormat, ScanArgs,
};
use crate::config::{Config, CONFIG_NAMES};
use crate::finding::Severity;
use crate::report::{self, Format, Options};
use crate::rules;

/// Exit codes.
pub const EXIT_CLEAN: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

/// An error that stops the tool (exit 2).
#[derive(Debug)]
pub struct Failure(pub String);

impl<T: std::fmt::Display> From<T> for Failure {
    fn from(e: T) -> Self {
        Failure(e.to_string())
    }
}

/// Where one format goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub format: Format,
    pub file: Option<PathBuf>,
}

/// Pairs each `--output` with the `--format` given before it, by their positions on the
/// command line. A format without an output goes to stdout; only one may.
pub fn pair_outputs(
    formats: &[(usize, Format)],
    outputs: &[(usize, PathBuf)],
) -> Result<Vec<Output>, Failure> {
    let mut result: Vec<Output> = formats
        .iter()
        .map(|(_, f)| Output {
            format: *f,
            file: None,
        })
        .collect();
    for (oi, path) in outputs {
        let Some(slot) = formats
            .iter()
            .rposition(|(fi, _)| fi < oi)
            .and_then(|slot| result.get_mut(slot))
        else {
            return Err(Failure(format!(
                "--output {} must follow the --format it is for",
                path.display()
            )));
        };
        if slot.file.is_some() {
            return Err(Failure(format!(
                "--output {} has no --format of its own: give --format before each --output",
                path.display()
            )));
        }
        slot.file = Some(path.clone());
    }
    if result.is_empty() {
        result.push(Output {
            format: Format::Text,
            file: None,
        });
    }
    if result.iter().filter(|o| o.file.is_none()).count() > 1 {
        return Err(Failure(
            "more than one --format goes to stdout: give each but one an --output".to_string(),
        ));
    }
    Ok(result)
}

/// Whether a path lies in one of `roots` as named, its last component not followed: a file of
/// the scanned repository (even when it is a symlink to something else).
fn named_inside(path: &Path, roots: &[PathBuf]) -> bool {
    let parent = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match (std::fs::canonicalize(parent), path.file_name()) {
        (Ok(dir), Some(name)) => roots.iter().any(|r| dir.join(name).starts_with(r)),
        _ => false,
    }
}

/// The repository a directory belongs to: the nearest directory at or above it (canonical)
/// that holds a `.git` entry (a directory, or the file of a worktree or submodule). `None`
/// outside a git work tree.
pub fn repo_root(dir: &Path) -> Option<PathBuf> {
    let dir = std::fs::canonicalize(dir).ok()?;
    dir.ancestors()
        .find(|d| std::fs::symlink_metadata(d.join(".git")).is_ok())
        .map(Path::to_path_buf)
}

/// A path for messages and reports: relative to the working directory when it lies below it
/// (or below one of its parents, with `..`), else as given.
fn display_path(path: &Path, named_absolute: bool) -> String {
    let cwd = std::env::current_dir().and_then(std::fs::canonicalize);
    // The directory is resolved, not the file itself (a symlink shows as its own name).
    let parent = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let abs = std::fs::canonicalize(parent).map(|d| match path.file_name() {
        Some(name) => d.join(name),
        None => d,
    });
    let (Ok(cwd), Ok(abs)) = (cwd, abs) else {
        return path.display().to_string();
    };
    for (up, base) in cwd.ancestors().enumerate() {
        if up > 0 && named_absolute {
            // Named absolute and not below the working directory: shown as named.
            break;
        }
        if let Ok(rest) = abs.strip_prefix(base) {
            let mut p = PathBuf::new();
            for _ in 0..up {
                p.push("..");
            }
            p.push(rest);
            return p.display().to_string();
        }
    }
    path.display().to_string()
}

/// The config file of a run and the path reports show for it (`None`: no config file).
fn find_config(args: &ScanArgs) -> Result<(Config, Option<String>), Failure> {
    let shown = args.config.as_deref().map(|p| p.display().to_string());
    let found = find_config_file(args)?;
    // Shown absolute only when the scan root was named absolute and lies outside the working
    // directory.
    let absolute = args.paths.first().is_some_and(|p| p.is_absolute());
    let shown = shown.or_else(|| found.1.as_deref().map(|p| display_path(p, absolute)));
    Ok((found.0, shown))
}

/// Looks for the config at the scan root, then in its parents up to the repository root (the
/// git top level; a scan outside a git work tree looks at the scan root only). A file found in
/// a parent is checked like one at the scan root, with the repository as the directory it must
/// resolve inside.
fn find_config_file(args: &ScanArgs) -> Result<(Config, Option<PathBuf>), Failure> {
    if args.config.is_some() {
        return find_config_at(args).map(|c| (c, None));
    }
    let root: PathBuf = match args.paths.first() {
        Some(p) if p.is_dir() => p.clone(),
        _ => PathBuf::from("."),
    };
    for name in CONFIG_NAMES {
        if std::fs::symlink_metadata(root.join(name)).is_ok() {
            return find_config_at(args).map(|c| (c, Some(root.join(name))));
        }
    }
    let (Ok(start), Some(repo)) = (std::fs::canonicalize(&root), repo_root(&root)) else {
        return Ok((Config::default(), None));
    };
    for dir in start.ancestors().skip(1) {
        if !dir.starts_with(&repo) {
            break;
        }
        for name in CONFIG_NAMES {
            let candidate = dir.join(name);
            if std::fs::symlink_metadata(&candidate).is_ok() {
                let mut roots = crate::pipeline::scan_roots(args, &root);
                roots.push(repo.clone());
                Config::check_location(&candidate, &roots)?;
                let config = Config::load_within(&candidate, &roots)?;
                return Ok((config, Some(candidate)));
            }
        }
    }
    Ok((Config::default(), None))
}

fn find_config_at(args: &ScanArgs) -> Result<Config, Failure> {
    let root: PathBuf = match args.paths.first() {
        Some(p) if p.is_dir() => p.clone(),
        _ => PathBuf::from("."),
    };
    let mut roots = crate::pipeline::scan_roots(args, &root);
    if let Some(path) = &args.config {
        // Chosen by whoever runs clustersec, so it may be anywhere. But a file of the scanned
        // repository (under a scan root or the working directory, the checkout in CI) is the
        // repository's: it must not lead out of them through a symlink.
        if let Ok(cwd) = std::env::current_dir().and_then(std::fs::canonicalize) {
            roots.push(cwd);
        }
        if named_inside(path, &roots) {
            Config::check_location(path, &roots)?;
        } else if let Some(dir) = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .and_then(|d| std::fs::canonicalize(d).ok())
            .filter(|_| args.config_dir.is_none())
        {
            // Its own paths are the CI author's too.
            roots.push(dir);
        }
        if let Some(dir) = &args.config_dir {
            return load_config_in(path, dir, &roots);
        }
        return Config::load_within(path, &roots).map_err(Failure::from);
    }
    for name in CONFIG_NAMES {
        let candidate = root.join(name);
        // A symlink counts even when it is broken or leads to a directory: it is refused below
        // rather than passed over for the next name.
        if std::fs::symlink_metadata(&candidate).is_ok() {
            Config::check_location(&candidate, &roots)?;
            return Config::load_within(&candidate, &roots).map_err(Failure::from);
        }
    }
    Ok(Config::default())
}

/// `--config FILE --config-dir DIR`: the file read as if it sat in DIR (its chart paths are
/// relative to DIR and must resolve inside `roots`), through the same parser and with the same
/// size bound as any config file.
fn load_config_in(path: &Path, dir: &Path, roots: &[PathBuf]) -> Result<Config, Failure> {
    use std::io::Read;
    let err = |pos, message| {
        Failure::from(crate::config::ConfigError {
            path: path.to_path_buf(),
            pos,
            message,
        })
    };
    if !dir.is_dir() {
        return Err(Failure(format!(
            "--config-dir {}: not a directory",
            dir.display()
        )));
    }
    let limit = crate::config::MAX_CONFIG_SIZE;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .map_err(|e| err(None, format!("cannot read the config file: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(err(
            None,
            format!("the config file is larger than {limit} bytes (1MiB); not read"),
        ));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| err(None, "the config file is not valid UTF-8".to_string()))?;
    let mut config =
        Config::parse_checked(&text, Some(dir), Some(roots)).map_err(|(pos, m)| err(pos, m))?;
    config.dir = Some(dir.to_path_buf());
    Ok(config)
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
        }
    }
}

/// Runs `clustersec scan` with the positions of --format/--output from the command line.
pub fn scan(
    args: &ScanArgs,
    formats: &[(usize, Format)],
    outputs: &[(usize, PathBuf)],
) -> Result<i32, Failure> {
    scan_or_baseline(args, formats, outputs, None)
}

/// `clustersec baseline`: the scan of `scan`, its findings' fingerprints written to the one
/// `-o FILE` instead of reports.
pub fn baseline(
    args: &ScanArgs,
    formats: &[(usize, Format)],
    outputs: &[(usize, PathBuf)],
) -> Result<i32, Failure> {
    if args.baseline.is_some() || args.diff_base.is_some() {
        return Err(Failure(
            "clustersec baseline records every finding: --baseline and --diff-base are for scan"
                .to_string(),
        ));
    }
    let file = crate::baseline::output_file(formats, outputs).map_err(Failure)?;
    scan_or_baseline(args, &[], &[], Some(&file))
}

fn scan_or_baseline(
    args: &ScanArgs,
    formats: &[(usize, Format)],
    outputs: &[(usize, PathBuf)],
    baseline_out: Option<&Path>,
) -> Result<i32, Failure> {
    // The baseline and the diff base, read before the scan so bad input fails fast (exit 2).
    let against = crate::baseline::Against::load(
        args.baseline.as_deref(),
        args.diff_base.as_deref(),
        &scan_dir(args),
    )
    .map_err(Failure)?;
    let outs = pair_outputs(formats, outputs)?;
    let (mut config, config_shown) = find_config(args)?;
    let settings = crate::pipeline::Settings::resolve(args, &config, config_shown)?;
    // The config to compare with (`--compare-config`), read before the scan so a bad one fails fast.
    let compare_with = args
        .compare_config
        .as_deref()
        .map(crate::config_diff::load_base)
        .transpose()?;
    for n in &settings.notices {
        let _ = writeln!(std::io::stderr(), "notice: {n}");
    }
    let policy = crate::pipeline::load_policy(args, &config)?;
    // The registry the config was validated against (its params applied there, once).
    let registry = config
        .registry
        .take()
        .unwrap_or_else(rules::Registry::builtin);
    if let Some(n) = args.threads {
        // Fails only if the global pool was already built, which is harmless.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    }
    let mut report = crate::pipeline::run(&settings, registry, policy, &|n| {
        let _ = writeln!(std::io::stderr(), "notice: {n}");
    })?;
    if let Some(base) = &compare_with {
        report = report.with_policy_changes(crate::config_diff::compare(base, &config));
    }
    // `clustersec baseline` ends here; `--baseline`/`--diff-base` mark findings new or existing.
    if record_or_compare(args, &mut report, &against, baseline_out)? {
        return Ok(EXIT_CLEAN);
    }
    if args.parse_only {
        let _ = writeln!(
            std::io::stderr(),
            "note: --parse-only: files were read, parsed and modelled; no rule ran"
        );
    }
    let verdict = judge(args, &config, &report);
    let mut report = report.with_verdict(verdict);
    write_reports(args, &outs, &mut report)?;
    let code = report.verdict.as_ref().map_or(EXIT_CLEAN, |v| v.exit_code);
    // The process exits next and its memory goes back with it: the findings (hundreds of
    // thousands in a large run, several allocations each) are not freed one by one first.
    std::mem::forget(report);
    Ok(code)
}

/// The run's verdict (a shard that holds no object is judged by `clustersec merge`); says so
/// when no Kubernetes object was found.
fn judge(args: &ScanArgs, config: &Config, report: &report::Report) -> report::Verdict {
    let mut verdict = verdict(args, config, report);
    if args.shard.is_some() && verdict.empty {
        // One shard may hold no object: `clustersec merge` judges the whole.
        let fails =
            verdict.counted > 0 || (verdict.fail_on_incomplete && !verdict.not_checked.is_empty());
        verdict.exit_code = if fails { EXIT_FINDINGS } else { EXIT_CLEAN };
    }
    if verdict.empty && args.shard.is_none() {
        let _ = writeln!(
            std::io::stderr(),
            "error: no Kubernetes object found in {}: check the path (or pass --allow-empty)",
            report::text::clean(
                &args
                    .paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        );
    }
    verdict
}

/// Writes every report: text first, then the other formats with repository-relative paths.
fn write_reports(
    args: &ScanArgs,
    outs: &[Output],
    report: &mut report::Report,
) -> Result<(), Failure> {
    let ci = CiLinks::from_env(|name| std::env::var(name).ok());
    // The SARIF cap, when the run writes SARIF (other formats then say what it left out).
    let sarif_cap = outs
        .iter()
        .any(|o| o.format == Format::Sarif)
        .then(|| {
            args.sarif_max_results
                .unwrap_or(report::DEFAULT_SARIF_MAX_RESULTS)
        })
        .filter(|n| *n > 0);
    let report_options = |out: &Output, srcroot: &Option<String>| {
        // `..Options::default()` stays for fields other branches add.
        #[allow(clippy::needless_update)]
        Options {
            color: out.file.is_none() && out.format == Format::Text && use_color(args.color),
            blob_url: ci.blob_url.clone(),
            run_url: ci.run_url.clone(),
            srcroot: srcroot.clone(),
            grouped: out.format == Format::Text && !args.verbose,
            sarif_max_results: sarif_cap,
            ..Options::default()
        }
    };
    // Text keeps the paths as the user named them (relative to the working directory) and is
    // written first; every other format is written after it, with paths relative to the
    // repository root.
    write_group(outs, report, true, &|out| report_options(out, &None))?;
    if outs.iter().any(|o| o.format != Format::Text) {
        let root = report_root(args)?;
        if let Ok(cwd) = std::env::current_dir().and_then(std::fs::canonicalize) {
            // Directories resolved once each, not once per path (a scan outside the working
            // directory would otherwise resolve every file's directory, component by component).
            let dirs = std::cell::RefCell::new(std::collections::HashMap::new());
            let by_dir = DirRelatives::default();
            // Each path made once: most findings share their file's path with others.
            let done = std::cell::RefCell::new(std::collections::HashMap::<String, String>::new());
            report.rebase_paths(|p| {
                if let Some(r) = done.borrow().get(p) {
                    return r.clone();
                }
                let r = repo_relative_by_dir(&root, &cwd, p, &dirs, &by_dir);
                done.borrow_mut().insert(p.to_string(), r.clone());
                r
            });
        }
        let srcroot = root
            .to_str()
            .map(crate::report::sarif::dir_uri)
            .or(Some(String::new()));
        write_group(outs, report, false, &|out| report_options(out, &srcroot))?;
    }
    Ok(())
}

/// Writes the reports of one group (text or not): those that go to files in parallel, then
/// those that go to stdout.
fn write_group(
    outs: &[Output],
    report: &report::Report,
    text: bool,
    report_options: &(dyn Fn(&Output) -> Options + Sync),
) -> Result<(), Failure> {
    // Reports that go to files are rendered and written in parallel (each format is
    // independent work over the same report); the first failure in command-line order is
    // the one reported. A path named twice gets the last report for it.
    let saved: Vec<Result<(), Failure>> = {
        use rayon::prelude::*;
        outs.par_iter()
            .enumerate()
            .map(|(i, out)| match &out.file {
                Some(path)
                    if (out.format == Format::Text) == text
                        && outs.iter().rposition(|o| o.file.as_ref() == Some(path)) == Some(i) =>
                {
                    write_file(path, out.format, report, &report_options(out))
                }
                _ => Ok(()),
            })
            .collect()
    };
    saved.into_iter().collect::<Result<Vec<()>, Failure>>()?;
    for out in outs
        .iter()
        .filter(|o| o.file.is_none() && (o.format == Format::Text) == text)
    {
        let stdout = std::io::stdout();
        let mut lock = stdout.lock();
        report::write(out.format, &mut lock, report, &report_options(out))
            .and_then(|()| lock.flush())
            .map_err(|e| Failure(format!("cannot write to stdout: {e}")))?;
    }
    Ok::<(), Failure>(())
}

/// With `baseline_out` (`clustersec baseline`): writes the report's fingerprints there and
/// returns true (the run ends). Else marks each finding new or existing against the baseline
/// and the diff base, if any. Fingerprints are those of the SARIF report: paths relative to the
/// report root.
fn record_or_compare(
    args: &ScanArgs,
    report: &mut report::Report,
    against: &crate::baseline::Against,
    baseline_out: Option<&Path>,
) -> Result<bool, Failure> {
    if baseline_out.is_none() && against.is_empty() {
        return Ok(false);
    }
    let root = report_root(args)?;
    let cwd = std::env::current_dir()
        .and_then(std::fs::canonicalize)
        .map_err(|e| Failure(format!("cannot read the working directory: {e}")))?;
    let dirs = std::cell::RefCell::new(std::collections::HashMap::new());
    let rebase = |p: &str| repo_relative(&root, &cwd, p, &dirs);
    if let Some(file) = baseline_out {
        let b = crate::baseline::build(report, &rebase);
        crate::baseline::write(file, &b).map_err(Failure)?;
        let _ = writeln!(
            std::io::stderr(),
            "wrote {} ({} findings)",
            file.display(),
            b.findings.len()
        );
        return Ok(true);
    }
    against.classify(report, &rebase, &cwd);
    Ok(false)
}

/// The directory of the scan for git (`--diff-base`): the first path named when it is a
/// directory, else its directory, else the working directory.
fn scan_dir(args: &ScanArgs) -> PathBuf {
    match args.paths.first() {
        Some(p) if p.is_dir() => p.clone(),
        Some(p) if p.as_os_str() != "-" => p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        _ => PathBuf::from("."),
    }
}

/// The directory report paths are relative to: `--root`, else the repository (git top level)
/// of the first scanned directory (or of the working directory), else the working directory.
fn report_root(args: &ScanArgs) -> Result<PathBuf, Failure> {
    if let Some(r) = &args.root {
        return std::fs::canonicalize(r)
            .map_err(|e| Failure(format!("--root {}: {e}", r.display())));
    }
    let start = match args.paths.first() {
        Some(p) if p.is_dir() => p.clone(),
        Some(p) if p.as_os_str() != "-" => p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        _ => PathBuf::from("."),
    };
    Ok(repo_root(&start)
        .or_else(|| std::env::current_dir().and_then(std::fs::canonicalize).ok())
        .unwrap_or_else(|| PathBuf::from(".")))
}

/// A report path (relative to the working directory `cwd`, or absolute) made relative to
/// `root`, with `/` separators. A path outside `root`, or that is not a file path (`stdin`),
/// is kept as it is.
pub fn repo_relative(
    root: &Path,
    cwd: &Path,
    path: &str,
    dirs: &std::cell::RefCell<std::collections::HashMap<PathBuf, Option<PathBuf>>>,
) -> String {
    if path == "stdin" {
        return path.to_string();
    }
    if let Some(r) = plain_relative(root, cwd, path) {
        return r;
    }
    resolved_relative(root, cwd, path, dirs)
}

/// What [`resolved_relative`] makes of the files of one directory (see
/// [`repo_relative_by_dir`]).
#[derive(Clone)]
pub struct DirRelative {
    /// The directory relative to the root (`/` separators, empty for the root itself), or
    /// `None` when it is outside the root, also once resolved.
    rel: Option<String>,
    /// Whether the directory is the root's parent (a file of it may be the root itself).
    root_parent: bool,
}

/// The directories met by [`repo_relative_by_dir`], by their text in the paths.
pub type DirRelatives = std::cell::RefCell<std::collections::HashMap<String, DirRelative>>;

/// [`repo_relative`], resolving each directory once (`by_dir`) rather than each file: the
/// same string for every path (a file whose name is `.`, `..` or empty, or a path on another
/// system than Unix, is resolved on its own).
pub fn repo_relative_by_dir(
    root: &Path,
    cwd: &Path,
    path: &str,
    dirs: &std::cell::RefCell<std::collections::HashMap<PathBuf, Option<PathBuf>>>,
    by_dir: &DirRelatives,
) -> String {
    if path == "stdin" {
        return path.to_string();
    }
    if let Some(r) = plain_relative(root, cwd, path) {
        return r;
    }
    let (dir, name) = match path.rfind('/') {
        Some(i) => (path.get(..=i), path.get(i + 1..)),
        None => (Some(""), Some(path)),
    };
    let (Some(dir), Some(name)) = (dir, name) else {
        return resolved_relative(root, cwd, path, dirs);
    };
    if !cfg!(unix) || name.is_empty() || name == "." || name == ".." {
        return resolved_relative(root, cwd, path, dirs);
    }
    let known = by_dir.borrow().get(dir).cloned();
    let d = match known {
        Some(d) => d,
        None => {
            let d = dir_relative(root, cwd, dir, dirs);
            by_dir.borrow_mut().insert(dir.to_string(), d.clone());
            d
        }
    };
    if d.root_parent && root.file_name().and_then(|n| n.to_str()) == Some(name) {
        // The path is the root: kept as it is.
        return path.to_string();
    }
    match d.rel {
        Some(r) if r.is_empty() => name.to_string(),
        Some(r) => format!("{r}/{name}"),
        None => path.to_string(),
    }
}

/// The directory `dir` (text of a path up to its last `/`) as [`resolved_relative`] resolves
/// the directory of a file in it.
fn dir_relative(
    root: &Path,
    cwd: &Path,
    dir: &str,
    dirs: &std::cell::RefCell<std::collections::HashMap<PathBuf, Option<PathBuf>>>,
) -> DirRelative {
    let abs = absolute(cwd, dir);
    let rel = match abs.strip_prefix(root) {
        Ok(r) => Some(r.to_path_buf()),
        Err(_) => crate::safepath::canonical_dir(&abs, dirs)
            .and_then(|c| c.strip_prefix(root).ok().map(Path::to_path_buf)),
    };
    DirRelative {
        rel: rel.map(|r| {
            let parts: Vec<String> = r
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            parts.join("/")
        }),
        root_parent: root.parent() == Some(abs.as_path()),
    }
}

/// `cwd/path` with `.` dropped and `..` taken back lexically (never above the root), as
/// [`dir_relative`] and [`resolved_relative`] read a report path.
fn absolute(cwd: &Path, path: &str) -> PathBuf {
    let mut abs = PathBuf::new();
    for c in cwd.join(path).components() {
        match c {
            std::path::Component::ParentDir => {
                abs.pop();
            }
            std::path::Component::CurDir => {}
            other => abs.push(other),
        }
    }
    abs
}

/// [`repo_relative`] of any path other than `stdin`: its parts resolved one by one.
fn resolved_relative(
    root: &Path,
    cwd: &Path,
    path: &str,
    dirs: &std::cell::RefCell<std::collections::HashMap<PathBuf, Option<PathBuf>>>,
) -> String {
    let abs = absolute(cwd, path);
    let rel = abs.strip_prefix(root).map(Path::to_path_buf).or_else(|_| {
        // An absolute path through a symlink (a temporary directory): its directory resolved.
        let dir = abs
            .parent()
            .and_then(|d| crate::safepath::canonical_dir(d, dirs));
        match (dir, abs.file_name()) {
            (Some(d), Some(n)) => d.join(n).strip_prefix(root).map(Path::to_path_buf),
            _ => abs.strip_prefix(root).map(Path::to_path_buf),
        }
    });
    match rel {
        Ok(r) if !r.as_os_str().is_empty() => {
            let parts: Vec<String> = r
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            parts.join("/")
        }
        _ => path.to_string(),
    }
}

/// [`repo_relative`] of a path that needs no resolving (the common case, found in the text
/// alone): on Unix, the root, the working directory when the path is relative, and the path are
/// in plain form (no empty, `.` or `..` part) and the path is below the root. `None`: another
/// path, for the full resolution.
fn plain_relative(root: &Path, cwd: &Path, path: &str) -> Option<String> {
    let plain = |s: &str| {
        s.split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
    };
    if !cfg!(unix) || path.is_empty() || !plain(path.strip_prefix('/').unwrap_or(path)) {
        return None;
    }
    let root = root.to_str()?.strip_prefix('/')?;
    if !plain(root) {
        return None;
    }
    let rest = match path.strip_prefix('/') {
        Some(abs) => abs.strip_prefix(root)?.strip_prefix('/')?,
        None => {
            let cwd = cwd.to_str()?.strip_prefix('/')?;
            if !plain(cwd) {
                return None;
            }
            // The working directory joined with the path, below the root.
            let mut joined = String::with_capacity(cwd.len() + 1 + path.len());
            joined.push_str(cwd);
            joined.push('/');
            joined.push_str(path);
            return joined
                .strip_prefix(root)
                .and_then(|r| r.strip_prefix('/'))
                .map(str::to_string);
        }
    };
    Some(rest.to_string())
}

/// The verdict of a run: findings at or above the threshold, parts not checked (unless
/// `--no-fail-on-incomplete` or `fail-on-incomplete: false`), no object at all (unless
/// `--allow-empty`) each make it exit 1.
pub fn verdict(args: &ScanArgs, config: &Config, report: &report::Report) -> report::Verdict {
    let threshold = args
        .fail_on
        .or(config.fail_on)
        .map_or(Some(Severity::Info), |f| f.threshold());
    // Against a baseline or a diff base, only new findings count.
    let counted = threshold.map_or(0, |t| report.count_new_at_least(t));
    let fail_on_incomplete = if args.no_fail_on_incomplete {
        false
    } else if args.fail_on_incomplete {
        true
    } else {
        config.fail_on_incomplete.unwrap_or(true)
    };
    let not_checked = report.not_checked();
    let empty = !args.allow_empty && report.summary().objects == 0;
    let fails = counted > 0 || empty || (fail_on_incomplete && !not_checked.is_empty());
    report::Verdict {
        threshold,
        counted,
        not_checked,
        fail_on_incomplete,
        empty,
        exit_code: if fails { EXIT_FINDINGS } else { EXIT_CLEAN },
    }
}

/// Links into the CI's web pages, from the GitHub Actions environment.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CiLinks {
    /// `{GITHUB_SERVER_URL}/{GITHUB_REPOSITORY}/blob/{GITHUB_SHA}`.
    pub blob_url: Option<String>,
    /// `{GITHUB_SERVER_URL}/{GITHUB_REPOSITORY}/actions/runs/{GITHUB_RUN_ID}`.
    pub run_url: Option<String>,
}

impl CiLinks {
    /// Reads the variables through `var`; a link is made only when all of its parts are set
    /// and look like what the runner sets (no spaces or characters that would end a markdown
    /// link).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> CiLinks {
        let get = |name: &str| {
            var(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .filter(|v| {
                    !v.chars()
                        .any(|c| c.is_whitespace() || "()<>[]\\\"'`".contains(c))
                })
        };
        let server = get("GITHUB_SERVER_URL").map(|s| s.trim_end_matches('/').to_string());
        let repo = get("GITHUB_REPOSITORY");
        let base = match (server, repo) {
            (Some(s), Some(r)) if s.starts_with("https://") || s.starts_with("http://") => {
                Some(format!("{s}/{r}"))
            }
            _ => None,
        };
        CiLinks {
            blob_url: base
                .as_ref()
                .zip(get("GITHUB_SHA"))
                .map(|(b, sha)| format!("{b}/blob/{sha}")),
            run_url: base
                .as_ref()
                .zip(get("GITHUB_RUN_ID"))
                .map(|(b, id)| format!("{b}/actions/runs/{id}")),
        }
    }
}

/// Render settings: the command line over the config file over the defaults.
fn write_file(
    path: &Path,
    format: Format,
    report: &report::Report,
    opts: &Options,
) -> Result<(), Failure> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure(format!("cannot create {}: {e}", dir.display())))?;
    }
    // Streamed to the file: no whole report is built in memory first.
    let file = std::fs::File::create(path)
        .map_err(|e| Failure(format!("cannot write {}: {e}", path.display())))?;
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, file);
    report::write(format, &mut out, report, opts)
        .and_then(|()| out.flush())
        .map_err(|e| Failure(format!("cannot write {}: {e}", path.display())))
}

pub fn rules(args: &RulesArgs) -> Result<i32, Failure> {
    let rules = rules::Registry::builtin();
    let text = match args.format {
        RulesFormat::Text => crate::docs::rules_text(&rules),
        RulesFormat::Markdown => crate::docs::rules_markdown(&rules),
        RulesFormat::Json => serde_json::to_string_pretty(&crate::docs::rules_json(&rules))? + "\n",
    };
    print_stdout(&text)?;
    Ok(EXIT_CLEAN)
}

/// Writes text to stdout; a failed write (a full disk, a closed pipe) is an error, where
/// `print!` would panic.
fn print_stdout(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Failure(format!("cannot write to stdout: {e}")))
}

/// The `explain` page of a rule of `registry` named by id or short name (any case), as
/// markdown: its help page, and a PSS control's history.
pub fn explain_page(registry: &rules::Registry, wanted: &str) -> Option<String> {
    let entry = registry.find(wanted)?;
    let mut page = crate::docs::rule_page(entry.rule());
    if !entry.meta().overlaps.is_empty() {
        let ids: Vec<String> = entry
            .meta()
            .overlaps
            .iter()
            .map(|id| format!("`{id}`"))
            .collect();
        page.push_str(&format!(
            "\nReports the same field as {}: where both run, only the original rule's finding is \
             kept at a place both report.\n",
            ids.join(", ")
        ));
    }
    if let Some(history) = rules::data::pss::history_markdown(&entry.meta().id) {
        page.push('\n');
        page.push_str(&history);
    }
    Some(page)
}

pub fn explain(args: &ExplainArgs) -> Result<i32, Failure> {
    let rules = rules::Registry::builtin();
    let wanted = args.rule.trim();
    match explain_page(&rules, wanted) {
        Some(page) => {
            // Rendered for a terminal; raw markdown when piped or redirected.
            let page = if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                let width = std::env::var("COLUMNS")
                    .ok()
                    .and_then(|c| c.trim().parse::<usize>().ok())
                    .unwrap_or(80);
                crate::termdoc::render(&page, width, use_color(ColorChoice::Auto))
            } else {
                page
            };
            print_stdout(&page)?;
            Ok(EXIT_CLEAN)
        }
        None => Err(Failure(format!(
            "unknown rule `{wanted}`; `clustersec rules` lists them"
        ))),
    }
}

/// Writes the config file (and CI files) of `clustersec init`.
pub fn init(args: &crate::cli::InitArgs) -> Result<i32, Failure> {
    let written = crate::init::write_files(&args.dir, args.github, args.gitlab, args.force)
        .map_err(Failure)?;
    let mut text = String::new();
    for p in written {
        text.push_str(&format!("wrote {}\n", p.display()));
    }
    print_stdout(&text)?;
    Ok(EXIT_CLEAN)
}

/// Prints the completion script for a shell.
pub fn completions(args: &CompletionsArgs) -> Result<i32, Failure> {
    let mut out = Vec::new();
    completion_script(args.shell, &mut out);
    print_stdout(&String::from_utf8_lossy(&out))?;
    Ok(EXIT_CLEAN)
}

/// Writes the completion script for a shell.
pub fn completion_script(shell: clap_complete::Shell, out: &mut dyn Write) {
    let mut command = <crate::cli::Cli as clap::CommandFactory>::command();
    clap_complete::generate(shell, &mut command, "clustersec", out);
}

/// Dispatches a subcommand.
pub fn run(command: &Command, formats: &[(usize, Format)], outputs: &[(usize, PathBuf)]) -> i32 {
    let result = match command {
        Command::Scan(a) => scan(a, formats, outputs),
        Command::Rules(a) => rules(a),
        Command::Explain(a) => explain(a),
        Command::Completions(a) => completions(a),
        Command::Init(a) => init(a),
        Command::Merge(a) | Command::Report(a) => merge(a, formats, outputs),
        Command::Baseline(a) => baseline(a, formats, outputs),
        Command::Config(c) => crate::config_schema::run(c),
    };
    match result {
        Ok(code) => code,
        Err(Failure(msg)) => {
            // One line: what the message quotes (a path, a config key) cannot start a line
            // of its own, which a CI runner would read as a workflow command.
            let _ = writeln!(std::io::stderr(), "error: {}", report::text::clean(&msg));
            EXIT_ERROR
        }
    }
}

/// `clustersec merge` and `clustersec report`: the JSON reports of a scan's shards (or one JSON
/// report) read back and written in any format, with the summary and exit code of one scan.
pub fn merge(
    args: &crate::cli::MergeArgs,
    formats: &[(usize, Format)],
    outputs: &[(usize, PathBuf)],
) -> Result<i32, Failure> {
    use std::io::Read;
    let outs = pair_outputs(formats, outputs)?;
    let mut inputs = Vec::new();
    for path in &args.inputs {
        let mut text = String::new();
        // A report is ours, not the scanned repository's, but it is still read with a bound.
        std::fs::File::open(path)
            .and_then(|f| {
                f.take(crate::shard::MAX_REPORT_SIZE)
                    .read_to_string(&mut text)
            })
            .map_err(|e| Failure(format!("{}: {e}", path.display())))?;
        inputs.push((path.display().to_string(), text));
    }
    let report = crate::shard::merge(&inputs).map_err(Failure)?;
    let sarif_cap = outs
        .iter()
        .any(|o| o.format == Format::Sarif)
        .then(|| {
            args.sarif_max_results
                .unwrap_or(report::DEFAULT_SARIF_MAX_RESULTS)
        })
        .filter(|n| *n > 0);
    let ci = CiLinks::from_env(|name| std::env::var(name).ok());
    let srcroot = repo_root(Path::new("."))
        .or_else(|| std::env::current_dir().ok())
        .and_then(|r| r.to_str().map(crate::report::sarif::dir_uri));
    for (i, out) in outs.iter().enumerate() {
        #[allow(clippy::needless_update)]
        let opts = Options {
            color: out.file.is_none() && out.format == Format::Text && use_color(args.color),
            blob_url: ci.blob_url.clone(),
            run_url: ci.run_url.clone(),
            srcroot: srcroot.clone(),
            grouped: out.format == Format::Text && !args.verbose,
            sarif_max_results: sarif_cap,
            ..Options::default()
        };
        match &out.file {
            Some(path) => {
                if outs.iter().rposition(|o| o.file.as_ref() == Some(path)) == Some(i) {
                    write_file(path, out.format, &report, &opts)?;
                }
            }
            None => {
                let stdout = std::io::stdout();
                let mut lock = stdout.lock();
                report::write(out.format, &mut lock, &report, &opts)
                    .and_then(|()| lock.flush())
                    .map_err(|e| Failure(format!("cannot write to stdout: {e}")))?;
            }
        }
    }
    Ok(report.verdict.as_ref().map_or(EXIT_CLEAN, |v| v.exit_code))
}

#[cfg(test)]
mod plain_relative_tests {
    use super::*;

    #[test]
    fn plain_paths_are_made_relative_as_the_full_resolution_makes_them() {
        let dirs = std::cell::RefCell::new(std::collections::HashMap::new());
        let roots = [
            "/repo",
            "/work/repo",
            "/",
            "/work/./repo",
            "/work//repo",
            "/work/repo/..",
        ];
        let cwds = ["/repo", "/work/repo", "/work/repo/sub", "/elsewhere", "/"];
        let paths = [
            "a.yaml",
            "sub/a.yaml",
            "/repo/a.yaml",
            "/repo/sub/b.yaml",
            "/work/repo/c/d.yaml",
            "/work/repository/x.yaml",
            "/work/repo",
            "./a.yaml",
            "sub/../a.yaml",
            "sub//a.yaml",
            "../repo/a.yaml",
            "/repo/./a.yaml",
            "/other/a.yaml",
            "é/ü.yaml",
            "",
        ];
        let mut fast = 0;
        for root in roots {
            for cwd in cwds {
                for path in paths {
                    let (root, cwd) = (Path::new(root), Path::new(cwd));
                    if let Some(r) = plain_relative(root, cwd, path) {
                        fast += 1;
                        assert_eq!(
                            r,
                            resolved_relative(root, cwd, path, &dirs),
                            "{root:?} {cwd:?} {path}"
                        );
                    }
                }
            }
        }
        assert!(fast > 10);
    }

    #[cfg(unix)]
    #[test]
    fn paths_made_relative_by_directory_are_those_resolved_one_by_one() {
        let tmp = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(tmp.path()).unwrap();
        let repo = base.join("repo");
        std::fs::create_dir_all(repo.join("a/b")).unwrap();
        std::fs::create_dir_all(base.join("other/c")).unwrap();
        std::os::unix::fs::symlink(&repo, base.join("link")).unwrap();
        std::os::unix::fs::symlink(base.join("other"), repo.join("out")).unwrap();
        let b = base.to_str().unwrap();
        let paths = [
            format!("{b}/repo/a/b/x.yaml"),
            format!("{b}/repo/a/y.yaml"),
            format!("{b}/repo/z.yaml"),
            format!("{b}/repo"),
            format!("{b}/link/a/b/x.yaml"),
            format!("{b}/link/a/../a/b/x.yaml"),
            format!("{b}/link/./a/x.yaml"),
            format!("{b}/link//a/x.yaml"),
            format!("{b}/link"),
            format!("{b}/other/c/q.yaml"),
            format!("{b}/repo/out/c/q.yaml"),
            format!("{b}/repo/a/.."),
            format!("{b}/repo/a/."),
            format!("{b}/repo/a/"),
            "a/b/x.yaml".to_string(),
            "../repo/a/x.yaml".to_string(),
            "../link/a/x.yaml".to_string(),
            "../other/c/q.yaml".to_string(),
            "x.yaml".to_string(),
            "./x.yaml".to_string(),
            "/".to_string(),
            "/x.yaml".to_string(),
            "stdin".to_string(),
        ];
        let roots = [
            repo.clone(),
            base.join("repo/a"),
            base.clone(),
            base.join("other"),
        ];
        let cwds = [
            repo.clone(),
            base.join("repo/a"),
            base.clone(),
            base.join("link"),
        ];
        for root in &roots {
            for cwd in &cwds {
                let dirs = std::cell::RefCell::new(std::collections::HashMap::new());
                let by_dir = DirRelatives::default();
                // Twice: the second time from the directories already met.
                for _ in 0..2 {
                    for path in &paths {
                        let fresh = std::cell::RefCell::new(std::collections::HashMap::new());
                        assert_eq!(
                            repo_relative_by_dir(root, cwd, path, &dirs, &by_dir),
                            repo_relative(root, cwd, path, &fresh),
                            "root {root:?} cwd {cwd:?} path {path}"
                        );
                    }
                }
            }
        }
    }
}
