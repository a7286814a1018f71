//! The Kubernetes version a scan targets (`--kube-version`, the config's `kube-version`): the
//! cluster the manifests are deployed to. Rules that depend on it (removed and deprecated API
//! versions) read it from their context.

use std::fmt;

/// A Kubernetes minor release, `1.25`. Patch levels do not change which APIs are served.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubeVersion {
    pub major: u32,
    pub minor: u32,
}

impl KubeVersion {
    pub const fn new(major: u32, minor: u32) -> KubeVersion {
        KubeVersion { major, minor }
    }

    /// The default target: the newest release the API table knows
    /// ([`crate::rules::data::api_versions::NEWEST_KNOWN`]).
    pub fn newest_known() -> KubeVersion {
        crate::rules::data::api_versions::NEWEST_KNOWN
    }

    /// Parses `1.25`, `1.25.3`, `v1.25.3`, `1.25.0-rc.1` (what `helm template --kube-version`
    /// takes). Anything else is an error that says what is expected.
    pub fn parse(text: &str) -> Result<KubeVersion, String> {
        let bad = || {
            format!(
                "`{}` is not a Kubernetes version; expected MAJOR.MINOR or MAJOR.MINOR.PATCH, \
                 such as 1.30 or v1.30.2",
                text.escape_debug()
            )
        };
        let s = text.trim();
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        // A pre-release or build suffix may follow the patch level only.
        let (core, suffix) = match s.find(['-', '+']) {
            Some(i) => (s.get(..i).unwrap_or(""), Some(s.get(i + 1..).unwrap_or(""))),
            None => (s, None),
        };
        let parts: Vec<&str> = core.split('.').collect();
        let number = |p: &str| -> Option<u32> {
            if p.is_empty() || p.len() > 6 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            p.parse().ok()
        };
        let (major, minor) = match parts.as_slice() {
            [ma, mi] if suffix.is_none() => (number(ma), number(mi)),
            [ma, mi, pa] => {
                if number(pa).is_none() {
                    return Err(bad());
                }
                (number(ma), number(mi))
            }
            _ => return Err(bad()),
        };
        if let Some(sfx) = suffix {
            let ok = !sfx.is_empty()
                && sfx
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'+');
            if !ok {
                return Err(bad());
            }
        }
        match (major, minor) {
            (Some(1), Some(minor)) => Ok(KubeVersion::new(1, minor)),
            (Some(_), Some(_)) => Err(format!(
                "`{}` is not a Kubernetes version: Kubernetes versions start with 1.",
                text.escape_debug()
            )),
            _ => Err(bad()),
        }
    }
}

impl Default for KubeVersion {
    fn default() -> Self {
        KubeVersion::newest_known()
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_helm_takes() {
        for (s, minor) in [
            ("1.25", 25),
            ("1.25.3", 25),
            ("v1.30.0", 30),
            ("V1.9", 9),
            (" 1.29.1 ", 29),
            ("1.31.0-rc.1", 31),
            ("v1.28.2+k3s1", 28),
        ] {
            assert_eq!(KubeVersion::parse(s), Ok(KubeVersion::new(1, minor)), "{s}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_version() {
        for s in [
            "",
            "1",
            "latest",
            "1.x",
            "1.25.",
            ".25",
            "1.25.3.4",
            "2.0",
            "0.9",
            "1.25-rc",
            "v",
            "1..2",
            "1.25.0-",
            "1.2a",
            "１.25",
            "1.9999999",
        ] {
            assert!(KubeVersion::parse(s).is_err(), "{s:?} accepted");
        }
    }

    #[test]
    fn orders_numerically() {
        assert!(KubeVersion::new(1, 9) < KubeVersion::new(1, 16));
        assert_eq!(KubeVersion::new(1, 9).to_string(), "1.9");
    }
}
