//! One error type for problems with a place: a config key, a policy file's rule, a flag.

use std::path::PathBuf;

use crate::model::Pos;

/// An error at a place: `path:line:column: message` (the file of a config or policy file), or
/// just the message when there is no file (a command-line flag, whose message names it).
#[derive(Debug, Clone, PartialEq)]
pub struct LocatedError {
    /// The file; empty for a flag.
    pub path: PathBuf,
    /// Line and column (1-based) in `path`, when known.
    pub pos: Option<Pos>,
    pub message: String,
}

impl LocatedError {
    /// An error in a file, at `pos` when known.
    pub fn at(path: impl Into<PathBuf>, pos: Option<Pos>, message: impl Into<String>) -> Self {
        LocatedError {
            path: path.into(),
            pos,
            message: message.into(),
        }
    }

    /// An error in a command-line flag (its message names the flag).
    pub fn flag(message: impl Into<String>) -> Self {
        LocatedError::at(PathBuf::new(), None, message)
    }

    /// The 1-based line, when known.
    pub fn line(&self) -> Option<u32> {
        self.pos.map(|p| p.line)
    }

    /// The 1-based column, when known.
    pub fn column(&self) -> Option<u32> {
        self.pos.map(|p| p.col)
    }
}

impl std::fmt::Display for LocatedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.as_os_str().is_empty() {
            return f.write_str(&self.message);
        }
        match self.pos {
            Some(p) => write!(
                f,
                "{}:{}:{}: {}",
                self.path.display(),
                p.line,
                p.col,
                self.message
            ),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for LocatedError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_place() {
        let e = LocatedError::at(".clustersec.yaml", Some(Pos::new(3, 5)), "ignore: unknown");
        assert_eq!(e.to_string(), ".clustersec.yaml:3:5: ignore: unknown");
        assert_eq!((e.line(), e.column()), (Some(3), Some(5)));
        let e = LocatedError::at("p.yaml", None, "cannot read");
        assert_eq!(e.to_string(), "p.yaml: cannot read");
        assert_eq!(e.line(), None);
        let e = LocatedError::flag("--select: unknown rule or group `x`");
        assert_eq!(e.to_string(), "--select: unknown rule or group `x`");
    }
}
