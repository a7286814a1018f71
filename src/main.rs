use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches};

use clustersec::app;
use clustersec::cli::Cli;
use clustersec::report::Format;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let matches = match Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            // clap uses 0 for --help/--version and 2 for usage errors, as we do.
            std::process::exit(if e.use_stderr() { app::EXIT_ERROR } else { 0 });
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            std::process::exit(app::EXIT_ERROR);
        }
    };
    let mut formats: Vec<(usize, Format)> = Vec::new();
    let mut outputs: Vec<(usize, PathBuf)> = Vec::new();
    if let Some(sub) = ["scan", "merge", "report", "baseline"]
        .iter()
        .find_map(|name| matches.subcommand_matches(name))
    {
        if let (Some(idx), Some(vals)) =
            (sub.indices_of("format"), sub.get_many::<Format>("format"))
        {
            formats = idx.zip(vals.copied()).collect();
        }
        if let (Some(idx), Some(vals)) =
            (sub.indices_of("output"), sub.get_many::<PathBuf>("output"))
        {
            outputs = idx.zip(vals.cloned()).collect();
        }
    }
    std::process::exit(app::run(&cli.command, &formats, &outputs));
}
