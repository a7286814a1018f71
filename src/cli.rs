//! Command-line definitions (clap derive) only.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::FailOn;
use crate::mode::RenderMode as Mode;
use crate::report::Format;

#[derive(Debug, Parser)]
#[command(
    name = "clustersec",
    // The Cargo.toml version and, when known, the commit it was built from (build.rs).
    version = env!("CLUSTERSEC_LONG_VERSION"),
    about = "Line- and column-accurate security scanner for Kubernetes manifests",
    long_about = None,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// `Scan` is much larger than the other variants; the enum is built once per run.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan manifests for security problems.
    Scan(ScanArgs),
    /// List the rules.
    Rules(RulesArgs),
    /// Show a rule's documentation.
    Explain(ExplainArgs),
    /// Print a shell completion script (see the README's "Shell completions").
    Completions(CompletionsArgs),
    /// Write a commented .clustersec.yaml (every key at its default) and, with --github or
    /// --gitlab, the CI file.
    Init(InitArgs),
    /// Merge the JSON reports of `scan --shard K/N` jobs into one report, in any format, with
    /// the summary and exit code of one scan.
    Merge(MergeArgs),
    /// Write a JSON report (e.g. a merged one) in another format.
    Report(MergeArgs),
    /// Scan like `scan` and write the findings' fingerprints to a baseline file (-o FILE), for
    /// `scan --baseline FILE` to report them as existing (docs/baseline.md).
    Baseline(ScanArgs),
    /// The config file: its JSON Schema, or a check of one file.
    #[command(subcommand)]
    Config(ConfigCommand),
}

/// `clustersec config ...`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the JSON Schema of .clustersec.yaml (published as docs/config.schema.json).
    Schema,
    /// Validate a config file (errors with line and column, exit 2) and print the effective
    /// settings [default: .clustersec.yaml or .clustersec.yml in the working directory].
    Check(ConfigCheckArgs),
}

#[derive(Debug, Args)]
pub struct ConfigCheckArgs {
    /// The config file to check.
    pub file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads one stream from stdin.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Output format; repeat to write several (each followed by its --output).
    #[arg(short, long, value_enum, action = clap::ArgAction::Append)]
    pub format: Vec<Format>,

    /// File for the --format given just before it; without it the format goes to stdout.
    #[arg(short, long, action = clap::ArgAction::Append)]
    pub output: Vec<PathBuf>,

    /// Lowest severity that makes the exit code 1 [default: info, every finding counts];
    /// `none` (or `never`) never fails on findings.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,

    /// Exit 1 when part of the scan was not checked (a chart not rendered, a kustomization not
    /// built, a file not scanned or not parsed), whatever --fail-on says [default: on].
    #[arg(long, overrides_with = "no_fail_on_incomplete")]
    pub fail_on_incomplete: bool,

    /// Do not fail because part of the scan was not checked (it is still reported).
    #[arg(long, overrides_with = "fail_on_incomplete")]
    pub no_fail_on_incomplete: bool,

    /// Text output in full: each finding with its source line, underline and notes (by
    /// default findings are grouped by object and container, one line each).
    #[arg(short, long)]
    pub verbose: bool,

    /// Pass a scan that finds no Kubernetes object at all (by default it exits 1).
    #[arg(long)]
    pub allow_empty: bool,

    /// Directory that paths in SARIF, JSON, markdown, GitHub and GitLab reports are relative
    /// to [default: the git top level of the scan root, else the working directory].
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// Config file [default: .clustersec.yaml at the scan root, if present].
    #[arg(short, long)]
    pub config: Option<PathBuf>,

    /// Resolve the --config file's relative paths (charts) against this directory instead of the
    /// file's own: for a config kept outside the repository (the GitHub Action's `config-source:
    /// base` reads the base branch's config into a temporary file).
    #[arg(long, value_name = "DIR", requires = "config")]
    pub config_dir: Option<PathBuf>,

    /// Compare the config in use with this one (the base branch's; an empty file is the
    /// defaults) and list what it loosens or changes: in markdown, markdown-summary and JSON.
    #[arg(long, value_name = "FILE")]
    pub compare_config: Option<PathBuf>,

    /// Also scan untracked files that .gitignore/.ignore list (tracked and hidden files are
    /// always scanned).
    #[arg(long)]
    pub no_ignore: bool,

    /// Only scan paths matching this glob (repeatable); overrides the extension filter.
    #[arg(long, action = clap::ArgAction::Append)]
    pub include: Vec<String>,

    /// Skip paths matching this glob (repeatable).
    #[arg(long, action = clap::ArgAction::Append)]
    pub exclude: Vec<String>,

    /// Largest file to scan, in bytes or with a unit (16MiB); larger files are reported.
    #[arg(long, value_name = "SIZE")]
    pub max_file_size: Option<String>,

    /// When to use colour in text output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Worker threads [default: one per core].
    #[arg(short = 'j', long)]
    pub threads: Option<usize>,

    /// Render Helm charts with `helm template`: when helm is on PATH (auto), or fail without it
    /// (always) [default: auto].
    #[arg(long, value_enum, value_name = "MODE", help_heading = "Rendering")]
    pub helm: Option<Mode>,

    /// Build kustomizations with `kustomize build` or `kubectl kustomize` [default: auto].
    #[arg(long, value_enum, value_name = "MODE", help_heading = "Rendering")]
    pub kustomize: Option<Mode>,

    /// Which program builds kustomizations: clustersec's own builder when it supports the
    /// kustomization, else kustomize (auto); the own builder only (native); kustomize only
    /// (external).
    #[arg(long, value_enum, value_name = "BUILDER", default_value_t = crate::render::native::Choice::Auto, help_heading = "Rendering")]
    pub kustomize_builder: crate::render::native::Choice,

    /// Values file for every chart (repeatable, applied in order after the chart's own values
    /// and the config file's value sets).
    #[arg(long, value_name = "FILE", action = clap::ArgAction::Append, help_heading = "Rendering")]
    pub helm_values: Vec<PathBuf>,

    /// Leave helm test hooks (`helm.sh/hook: test` pods) out of the renders (`helm template
    /// --skip-tests`); the config's `helm-tests: false` does the same.
    #[arg(long, help_heading = "Rendering")]
    pub helm_skip_tests: bool,

    /// Helm release name [default: release-name].
    #[arg(long, value_name = "NAME", help_heading = "Rendering")]
    pub release_name: Option<String>,

    /// Namespace of the helm renders.
    #[arg(long, value_name = "NAMESPACE", help_heading = "Rendering")]
    pub namespace: Option<String>,

    /// The Kubernetes version you deploy to, e.g. 1.30: the target of the API version rules and
    /// what helm renders for (`.Capabilities.KubeVersion`) [default: the newest the rules know].
    #[arg(long, value_name = "VERSION", help_heading = "Rendering")]
    pub kube_version: Option<String>,

    /// Pod Security Standards level to judge by, exactly as Pod Security Admission does:
    /// `baseline` or `restricted`. Runs that level's controls and the scan-integrity rules only.
    #[arg(long, value_name = "LEVEL")]
    pub profile: Option<String>,

    /// A Datree policy file: run exactly the rules of its default policy (or --policy-name),
    /// custom JSON Schema rules included, instead of the configured rule set (docs/policy.md).
    #[arg(long, value_name = "FILE", help_heading = "Policy")]
    pub policy: Option<PathBuf>,

    /// The policy of the --policy file to run [default: the one with `isDefault: true`].
    #[arg(long, value_name = "NAME", help_heading = "Policy")]
    pub policy_name: Option<String>,

    /// Datree's built-in rule definitions (its `defaultRules.yaml`), for policies that list
    /// Datree's built-in rule identifiers.
    #[arg(long, value_name = "FILE", help_heading = "Policy")]
    pub datree_rules: Option<PathBuf>,

    /// A custom rule of the --policy file that does not compile is reported as a finding
    /// against the policy file, and the other rules still run (default: exit 2).
    #[arg(long, help_heading = "Policy")]
    pub keep_going: bool,

    /// Run only these rules: ids, short names or groups (seed, integrity, pss, api, workload,
    /// rbac, policy), comma-separated; replaces the config's `select`. The scan-integrity rules
    /// keep running unless ignored.
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub select: Option<Vec<String>>,

    /// Never run these rules: ids, short names or groups, comma-separated; added to the
    /// config's `ignore`.
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub ignore: Vec<String>,

    /// Pod Security Standards version: `latest` or `v1.N`, as in the
    /// `pod-security.kubernetes.io/enforce-version` label [default: latest].
    #[arg(long, value_name = "VERSION")]
    pub pss_version: Option<String>,

    /// Time limit of one render: seconds, or with a unit (90s, 2m) [default: 60s].
    #[arg(long, value_name = "DURATION", help_heading = "Rendering")]
    pub render_timeout: Option<String>,

    /// The most a config file's `render-timeout` can ask for; the repository cannot raise it
    /// [default: 5m].
    #[arg(long, value_name = "DURATION", help_heading = "Rendering")]
    pub max_render_timeout: Option<String>,

    /// Time for all renders of the run together; renders past it are not run, and reported
    /// [default: 10m].
    #[arg(long, value_name = "DURATION", help_heading = "Rendering")]
    pub render_budget: Option<String>,

    /// Largest output of one render that is scanned (larger is reported, not scanned)
    /// [default: 64MiB].
    #[arg(long, value_name = "SIZE", help_heading = "Rendering")]
    pub max_render_output: Option<String>,

    /// Read, parse and model exactly the files a scan would, run no rule and write only the
    /// summary (and syntax errors): a fast syntax check, and the limit a full scan races.
    #[arg(long, conflicts_with_all = ["format", "output"], help_heading = "Scale")]
    pub parse_only: bool,

    /// The most results a SARIF report holds; the most severe are kept and the rest counted in
    /// a notification (GitHub keeps 5,000 and rejects more than 25,000); 0 for no cap
    /// [default: 5000].
    #[arg(long, value_name = "N", help_heading = "Scale")]
    pub sarif_max_results: Option<usize>,

    /// Scan shard K of N (1-based, e.g. 2/4): a deterministic share of the files, balanced by
    /// bytes, a chart or kustomization whole in one shard. Merge the shards' JSON reports with
    /// `clustersec merge`.
    #[arg(long, value_name = "K/N", help_heading = "Scale")]
    pub shard: Option<String>,

    /// A baseline file (`clustersec baseline -o FILE`): findings in it are reported as existing
    /// (SARIF `baselineState: unchanged`) and --fail-on counts only new ones.
    #[arg(long, value_name = "FILE", help_heading = "Baselines")]
    pub baseline: Option<PathBuf>,

    /// A git reference (e.g. origin/main): findings on lines added or changed since the merge
    /// base of HEAD and REF are new, the rest existing; --fail-on counts only new ones.
    #[arg(long, value_name = "REF", help_heading = "Baselines")]
    pub diff_base: Option<String>,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// JSON reports (`scan --format json`), one per shard.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,

    /// Output format; repeat to write several (each followed by its --output).
    #[arg(short, long, value_enum, action = clap::ArgAction::Append)]
    pub format: Vec<Format>,

    /// File for the --format given just before it; without it the format goes to stdout.
    #[arg(short, long, action = clap::ArgAction::Append)]
    pub output: Vec<PathBuf>,

    /// The most results a SARIF report holds (see `scan --sarif-max-results`) [default: 5000].
    #[arg(long, value_name = "N")]
    pub sarif_max_results: Option<usize>,

    /// Text output in full.
    #[arg(short, long)]
    pub verbose: bool,

    /// When to use colour in text output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// How to print the list; `markdown` prints the rule reference kept in docs/rules.md.
    #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
    pub format: RulesFormat,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Rule id (e.g. CUSTOM_SECURITY_PRIVILEGED_CHECK) or short name (e.g. privileged).
    #[arg(value_parser = rule_names(), ignore_case = true, hide_possible_values = true)]
    pub rule: String,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The directory to write into (the repository root).
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    /// Also write .github/workflows/clustersec.yml (the action, pinned to this version).
    #[arg(long)]
    pub github: bool,

    /// Also write .gitlab-ci.yml (the GitLab CI include, pinned to this version).
    #[arg(long)]
    pub gitlab: bool,

    /// Overwrite files that exist.
    #[arg(long)]
    pub force: bool,
}

/// Rule ids and short names, for `explain`'s argument (and so for shell completions).
fn rule_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        crate::rules::Registry::builtin()
            .metas()
            .flat_map(|m| [m.id.as_static(), m.name_static()])
            .flatten()
            .collect::<Vec<&'static str>>(),
    )
}
