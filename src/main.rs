use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches};

use clustersec::app;
use clustersec::cli::Cli;
use clustersec::report::Format;

// The musl builds (the released Linux binaries) allocate with mimalloc: musl's malloc costs
// about 40% more CPU on a scan. glibc's malloc is about as fast as mimalloc here, so the other
// targets keep the system allocator. See BENCHMARKS.md, "Allocator (branch `alloc2`)".
#[cfg(target_env = "musl")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(target_env = "musl")]
mod allocator {
    use std::ffi::{c_int, c_long};

    // From mimalloc.h, in the static library that libmimalloc-sys builds and links (declared
    // here: libmimalloc-sys declares it only behind its "extended" feature, which needs one more
    // crate).
    extern "C" {
        fn mi_option_set(option: c_int, value: c_long);
    }

    /// `mi_option_purge_delay`: the same index in mimalloc v2's and v3's `mi_option_e` (check
    /// it again when libmimalloc-sys is upgraded).
    const MI_OPTION_PURGE_DELAY: c_int = 15;

    /// Milliseconds that freed memory stays committed before mimalloc returns it to the system.
    /// mimalloc v3's default, 1000, keeps a second's worth of a scan's garbage resident: the
    /// peak of the 100k-manifest repository went over 400 MB, and it grows with the machine's
    /// speed. 10 (mimalloc v2's default) keeps the peak within a sixth of musl malloc's and
    /// most of the CPU gain (corpus: -27%, against -33% at 1000); 0 (return every freed range
    /// at once) costs page faults.
    /// `MIMALLOC_PURGE_DELAY` in the environment, which mimalloc itself reads, still wins.
    const PURGE_DELAY_MS: c_long = 10;

    /// Sets the allocator's options. Called first thing in `main`, before any other thread
    /// exists (`mi_option_set` is not thread-safe).
    pub(crate) fn tune() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: a plain store into mimalloc's option table, made while this is the only
            // thread; any value is valid for this option.
            unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
        }
    }
}

fn main() {
    #[cfg(target_env = "musl")]
    allocator::tune();
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
