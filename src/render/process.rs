//! Running a renderer: a child process with a time limit and an output bound, its output
//! captured, cut off from the network where the platform allows it, and never outliving
//! clustersec.
//!
//! - Each renderer leads its own process group; at the time limit, when its output passes the
//!   bound, when the thread running it unwinds (a panic), and when clustersec gets SIGINT,
//!   SIGTERM or SIGHUP (a cancelled CI job), the whole group is killed.
//! - On Linux the direct child also gets `PR_SET_PDEATHSIG(SIGKILL)`, for when clustersec itself
//!   is killed with SIGKILL, and starts in a new, empty network namespace (no interface but a
//!   loopback that is down: nothing, not even 127.0.0.1, can be reached), as root with
//!   `CLONE_NEWNET`, otherwise inside a new user namespace. Whether that works is probed once
//!   ([`isolation`]); where it does not, the renderers run with the network and clustersec relies
//!   on its checks before the render (see `super::kustomize::check`) and the environment of
//!   [`super::Sandbox::apply`].

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a finished (or stopped) child gave.
#[derive(Debug)]
pub struct Outcome {
    /// `None` when the child was killed at the time limit or for too much output.
    pub success: Option<bool>,
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub duration: Duration,
    /// The child wrote more than the output bound on stdout: it was killed, `stdout` holds the
    /// first bytes only.
    pub overflow: bool,
}

/// How much of a renderer's stderr is kept (the rest is read and dropped).
const MAX_STDERR: usize = 1 << 20;

/// How renderers are kept off the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Isolation {
    /// A new network namespace (clustersec runs as root).
    NetworkNamespace,
    /// A new user namespace holding a new network namespace.
    UserNamespace,
    /// No namespace: why not.
    None(String),
}

impl Isolation {
    /// For the progress notes.
    pub fn describe(&self) -> String {
        match self {
            Isolation::NetworkNamespace => {
                "renderers run in a new network namespace (no network)".to_string()
            }
            Isolation::UserNamespace => {
                "renderers run in a new user and network namespace (no network)".to_string()
            }
            Isolation::None(why) => format!(
                "renderers run with the network ({why}); remote references are refused before \
                 the render and proxies point at a closed port"
            ),
        }
    }

    #[cfg(target_os = "linux")]
    fn flags(&self) -> libc::c_int {
        match self {
            Isolation::NetworkNamespace => libc::CLONE_NEWNET,
            Isolation::UserNamespace => libc::CLONE_NEWUSER | libc::CLONE_NEWNET,
            Isolation::None(_) => 0,
        }
    }
}

/// Whether renderers can be started without network, probed once per process.
/// `CLUSTERSEC_NO_NETNS=1` in the environment (the operator's, never the repository's) turns the
/// namespace off, to check the checks that do not depend on it.
pub fn isolation() -> Isolation {
    static PROBE: std::sync::OnceLock<Isolation> = std::sync::OnceLock::new();
    PROBE
        .get_or_init(|| {
            if std::env::var_os("CLUSTERSEC_NO_NETNS").is_some_and(|v| v == "1") {
                Isolation::None("turned off by CLUSTERSEC_NO_NETNS=1".to_string())
            } else {
                probe()
            }
        })
        .clone()
}

#[cfg(target_os = "linux")]
fn probe() -> Isolation {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let mut tried = Vec::new();
    let candidates: &[Isolation] = if root {
        &[Isolation::NetworkNamespace, Isolation::UserNamespace]
    } else {
        &[Isolation::UserNamespace]
    };
    for c in candidates {
        if probe_flags(c.flags()) {
            return c.clone();
        }
        tried.push(match c {
            Isolation::NetworkNamespace => "no network namespace",
            _ => "no user namespace",
        });
    }
    Isolation::None(format!("{} for this process", tried.join(", ")))
}

/// Forks a child that only calls unshare(2) and _exit(2) (both async-signal-safe, so this is sound
/// in a multithreaded process) and tells whether unshare succeeded.
#[cfg(target_os = "linux")]
fn probe_flags(flags: libc::c_int) -> bool {
    // SAFETY: the child calls only async-signal-safe functions before _exit; the parent waits
    // for exactly that child.
    unsafe {
        let pid = libc::fork();
        if pid < 0 {
            return false;
        }
        if pid == 0 {
            let code = if libc::unshare(flags) == 0 { 0 } else { 1 };
            libc::_exit(code);
        }
        let mut status: libc::c_int = 0;
        loop {
            let r = libc::waitpid(pid, &mut status, 0);
            if r == pid {
                break;
            }
            if r < 0 && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
                return false;
            }
        }
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0
    }
}

#[cfg(not(target_os = "linux"))]
fn probe() -> Isolation {
    Isolation::None("network namespaces exist on Linux only".to_string())
}

/// The executable `name` on PATH, if any (what a shell would run).
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file() || p.with_extension("exe").is_file()
}

/// Runs `cmd` to completion or until `timeout`, whichever comes first, with no bound on its
/// output; see [`run_bounded`].
pub fn run(cmd: Command, timeout: Duration) -> std::io::Result<Outcome> {
    run_bounded(cmd, timeout, u64::MAX)
}

/// Runs `cmd` to completion or until `timeout`, whichever comes first; on timeout, or when it
/// writes more than `max_stdout` bytes, the child (and, on Unix, every process it started: it
/// runs in its own process group) is killed.
pub fn run_bounded(
    mut cmd: Command,
    timeout: Duration,
    max_stdout: u64,
) -> std::io::Result<Outcome> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
        signals::install();
    }
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        let flags = isolation().flags();
        // SAFETY: getpid has no preconditions.
        let parent = unsafe { libc::getpid() };
        // SAFETY: the closure runs between fork and exec and calls only async-signal-safe
        // functions (prctl, getppid, unshare), allocating nothing.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent died before the prctl: do not run at all.
                if libc::getppid() != parent {
                    return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                }
                if flags != 0 && libc::unshare(flags) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    let mut guard = Guard::new(&child);
    let mut out_pipe = child.stdout.take();
    let mut err_pipe = child.stderr.take();
    let overflow = Arc::new(AtomicBool::new(false));
    let overflow_w = Arc::clone(&overflow);
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(p) = out_pipe.as_mut() {
            let _ = p.take(max_stdout.saturating_add(1)).read_to_end(&mut buf);
            if buf.len() as u64 > max_stdout {
                buf.truncate(usize::try_from(max_stdout).unwrap_or(usize::MAX));
                overflow_w.store(true, Ordering::SeqCst);
            }
        }
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(p) = err_pipe.as_mut() {
            let _ = p.take(MAX_STDERR as u64).read_to_end(&mut buf);
            // Keep draining, so that the child never blocks on a full pipe.
            let _ = std::io::copy(p, &mut std::io::sink());
        }
        buf
    });
    let mut pause = Duration::from_millis(2);
    let success = loop {
        if exited(&mut child)? {
            // Whatever the child left behind in its group goes too (the pipes close, the
            // readers end); the child is not reaped yet, so its pid still names the group.
            kill_group(child.id());
            break Some(child.wait()?.success());
        }
        if overflow.load(Ordering::SeqCst) || start.elapsed() >= timeout {
            kill(&mut child);
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    };
    guard.done();
    let duration = start.elapsed();
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    let overflow = overflow.load(Ordering::SeqCst);
    Ok(Outcome {
        success: if overflow { None } else { success },
        stdout,
        stderr,
        duration,
        overflow,
    })
}

/// Whether the child has exited, without reaping it (its pid stays reserved, so that its
/// process group can still be killed safely).
#[cfg(target_os = "linux")]
fn exited(child: &mut std::process::Child) -> std::io::Result<bool> {
    let pid: libc::id_t = child.id();
    // SAFETY: waitid fills the zeroed siginfo_t it is given; WNOWAIT leaves the child waitable.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
        if libc::waitid(libc::P_PID, pid, &mut info, flags) != 0 {
            let e = std::io::Error::last_os_error();
            return if e.kind() == std::io::ErrorKind::Interrupted {
                Ok(false)
            } else {
                Err(e)
            };
        }
        Ok(info.si_pid() != 0)
    }
}

#[cfg(not(target_os = "linux"))]
fn exited(child: &mut std::process::Child) -> std::io::Result<bool> {
    Ok(child.try_wait()?.is_some())
}

/// Kills a live child's process group if the thread running it unwinds, and keeps the group
/// known to the signal handler while it runs.
struct Guard {
    pid: u32,
    slot: Option<usize>,
    live: bool,
}

impl Guard {
    fn new(child: &std::process::Child) -> Guard {
        Guard {
            pid: child.id(),
            slot: signals::register(child.id()),
            live: true,
        }
    }

    fn done(&mut self) {
        self.live = false;
        if let Some(s) = self.slot.take() {
            signals::unregister(s);
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.live {
            kill_group(self.pid);
        }
        self.done();
    }
}

#[cfg(unix)]
fn kill_group(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        if pid > 0 {
            // SAFETY: kill(2) with a negative pid signals a process group; no memory is involved.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
    }
}

#[cfg(not(unix))]
fn kill_group(_pid: u32) {}

#[cfg(unix)]
fn kill(child: &mut std::process::Child) {
    // The child leads its own process group (process_group(0) above): kill the whole group, so
    // that a wrapper script's children do not keep the output pipes open.
    kill_group(child.id());
    let _ = child.kill();
}

#[cfg(not(unix))]
fn kill(child: &mut std::process::Child) {
    let _ = child.kill();
}

/// The process groups of live renderers, for a signal handler that kills them when clustersec
/// is interrupted or terminated, then dies of the same signal.
#[cfg(unix)]
mod signals {
    use std::sync::atomic::{AtomicI32, Ordering};

    const SLOTS: usize = 256;
    static LIVE: [AtomicI32; SLOTS] = [const { AtomicI32::new(0) }; SLOTS];

    pub(crate) fn register(pid: u32) -> Option<usize> {
        let pid = i32::try_from(pid).ok().filter(|p| *p > 0)?;
        LIVE.iter().position(|s| {
            s.compare_exchange(0, pid, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        })
    }

    pub(crate) fn unregister(slot: usize) {
        if let Some(s) = LIVE.get(slot) {
            s.store(0, Ordering::SeqCst);
        }
    }

    extern "C" fn on_signal(sig: libc::c_int) {
        for s in &LIVE {
            let pid = s.load(Ordering::SeqCst);
            if pid > 0 {
                // SAFETY: kill(2) is async-signal-safe.
                unsafe {
                    libc::kill(-pid, libc::SIGKILL);
                }
            }
        }
        // SAFETY: signal(2) and raise(3) are async-signal-safe: die of the same signal, with its
        // default action, as if there had been no handler.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
    }

    /// Installs the handler once for SIGINT, SIGTERM and SIGHUP, except where the signal is
    /// ignored (under `nohup`).
    pub(crate) fn install() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                // SAFETY: sigaction with zeroed, then filled, structures; the handler only calls
                // async-signal-safe functions.
                unsafe {
                    let mut old: libc::sigaction = std::mem::zeroed();
                    if libc::sigaction(sig, std::ptr::null(), &mut old) != 0
                        || old.sa_sigaction == libc::SIG_IGN
                    {
                        continue;
                    }
                    let mut new: libc::sigaction = std::mem::zeroed();
                    new.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
                    libc::sigemptyset(&mut new.sa_mask);
                    new.sa_flags = libc::SA_RESTART;
                    libc::sigaction(sig, &new, std::ptr::null_mut());
                }
            }
        });
    }
}

#[cfg(not(unix))]
mod signals {
    pub fn register(_pid: u32) -> Option<usize> {
        None
    }
    pub fn unregister(_slot: usize) {}
}

/// A short human duration: `0.42s`, `12.3s`, `2m05s`.
pub fn human(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 10.0 {
        format!("{s:.2}s")
    } else if s < 60.0 {
        format!("{s:.1}s")
    } else {
        let whole = d.as_secs();
        format!("{}m{:02}s", whole / 60, whole % 60)
    }
}

/// Parses a duration: `60` (seconds), `500ms`, `90s`, `2m`, `1h`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("invalid duration `{s}`: expected e.g. 60s, 2m or 500ms"))?;
    let secs = match unit.trim() {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        other => {
            return Err(format!(
                "invalid duration unit `{other}` in `{s}` (ms, s, m, h)"
            ))
        }
    };
    if !secs.is_finite() || secs <= 0.0 || secs > 86_400.0 {
        return Err(format!("duration `{s}` must be above 0 and at most 24h"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("60"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5d").is_err());
        assert_eq!(human(Duration::from_millis(420)), "0.42s");
        assert_eq!(human(Duration::from_secs(125)), "2m05s");
    }

    #[cfg(unix)]
    #[test]
    fn timeout_kills_the_process_group() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 30; echo late"]);
        let start = Instant::now();
        let out = run(cmd, Duration::from_millis(200)).unwrap();
        assert_eq!(out.success, None);
        assert!(out.stdout.is_empty());
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:?}",
            start.elapsed()
        );
    }

    #[cfg(unix)]
    #[test]
    fn output_is_captured() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo out; echo err >&2; exit 3"]);
        let out = run(cmd, Duration::from_secs(10)).unwrap();
        assert_eq!(out.success, Some(false));
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, "err\n");
    }
}

#[cfg(all(test, unix))]
mod bounded_tests {
    use super::*;

    #[test]
    fn output_past_the_bound_stops_the_child() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "yes 0123456789"]);
        let out = run_bounded(cmd, Duration::from_secs(30), 4096).unwrap();
        assert!(out.overflow);
        assert_eq!(out.success, None);
        assert_eq!(out.stdout.len(), 4096);
    }

    #[test]
    fn leftover_children_of_a_finished_renderer_are_killed() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 30 & echo done"]);
        let out = run(cmd, Duration::from_secs(60)).unwrap();
        assert_eq!(out.success, Some(true));
        assert_eq!(out.stdout, b"done\n");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn in_a_namespace_even_loopback_is_unreachable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        if let Isolation::None(why) = isolation() {
            eprintln!("skipped: no network namespace here: {why}");
            return;
        }
        // bash's /dev/tcp connects; in the new namespace loopback is down.
        let mut cmd = Command::new("bash");
        cmd.args([
            "-c",
            &format!("exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected"),
        ]);
        let out = run(cmd, Duration::from_secs(30)).unwrap();
        assert_eq!(out.success, Some(false), "{out:?}");
        assert!(matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock));
    }
}
