//! Container image references (`[registry[:port]/]repository[:tag][@digest]`), read the way
//! the container runtime does.

/// What an image reference pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// The tag, when one is written (`1.27` of `nginx:1.27`).
    pub tag: Option<&'a str>,
    /// The digest, when one is written (`sha256:...` after `@`).
    pub digest: Option<&'a str>,
}

/// Splits an image reference into its tag and digest. The tag is what follows the last `:`
/// after the last `/` (a `:` before it is a registry port).
pub fn parse_image(image: &str) -> ImageRef<'_> {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    let last_segment = name.rsplit('/').next().unwrap_or(name);
    let tag = last_segment.rsplit_once(':').map(|(_, t)| t);
    ImageRef {
        tag: tag.filter(|t| !t.is_empty()),
        digest: digest.filter(|d| !d.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_digests() {
        let r = |s| parse_image(s);
        assert_eq!(r("nginx").tag, None);
        assert_eq!(r("nginx:1.27").tag, Some("1.27"));
        assert_eq!(r("registry.example.com:5000/team/web").tag, None);
        assert_eq!(r("registry.example.com:5000/team/web:2").tag, Some("2"));
        assert_eq!(r("nginx@sha256:abc").digest, Some("sha256:abc"));
        assert_eq!(r("nginx:latest@sha256:abc").tag, Some("latest"));
        assert_eq!(r("nginx:").tag, None);
    }
}
