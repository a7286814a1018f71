//! Progress of the renders on stderr: a bar on a terminal, one line per render in CI logs.

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{process::human, Job, Render, Tool};

pub struct Progress {
    /// On a terminal; `None` writes one line per finished render instead.
    bar: Option<ProgressBar>,
}

fn verb(tool: Tool) -> &'static str {
    match tool {
        Tool::Helm => "helm template",
        Tool::Kustomize => "kustomize build",
    }
}

impl Progress {
    pub fn new(total: usize) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            if let Ok(style) =
                ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {elapsed} {wide_msg}")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix("rendering");
            bar
        });
        Progress { bar }
    }

    /// A line about the run as a whole (how renderers are isolated).
    pub fn note(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(format!("clustersec: {text}")),
            None => {
                let _ = writeln!(std::io::stderr().lock(), "clustersec: {text}");
            }
        }
    }

    pub fn start(&self, job: &Job) {
        if let Some(bar) = &self.bar {
            bar.set_message(
                crate::report::escape::clean(&format!("{} ({})", job.dir.display, job.label))
                    .into_owned(),
            );
        }
    }

    pub fn finish(&self, r: &Render) {
        match &self.bar {
            Some(bar) => bar.inc(1),
            None => {
                let how = match &r.output {
                    Ok(_) if r.warnings.is_empty() => "ok".to_string(),
                    Ok(_) => format!("ok with {} warning(s)", r.warnings.len()),
                    Err(e) if e == super::kustomize::REFUSED => {
                        "not run: it references something outside the scan root or remote"
                            .to_string()
                    }
                    Err(_) => "failed".to_string(),
                };
                let label = match r.tool {
                    Tool::Helm => format!(" ({})", crate::report::escape::clean(&r.label)),
                    Tool::Kustomize => String::new(),
                };
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "clustersec: {} {}{label}: {how} in {}",
                    verb(r.tool),
                    crate::report::escape::clean(&r.display),
                    human(r.duration)
                );
            }
        }
    }

    pub fn done(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
