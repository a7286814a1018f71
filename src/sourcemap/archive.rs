//! Dependencies packaged as `charts/NAME-1.0.0.tgz`, read in memory to trace their findings to
//! the parent's values (issue 14).
//!
//! The archive is scanned content (a pull request may replace it), so it is read under hard
//! bounds: the compressed file at most the run's `max-file-size`, at most [`MAX_UNPACKED`] bytes
//! decompressed (the gzip stream and every tar header counted, not only the files kept), at
//! most [`MAX_ENTRIES`] entries. Only regular files are kept, and only `TOP/Chart.yaml`,
//! `TOP/values.yaml` and `TOP/templates/...` (UTF-8, clean relative paths); nothing is written
//! to disk, and links of any kind are skipped. A chart archive that breaks a bound or does not
//! decode is not used: its findings keep the mapping they had without it.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The most bytes an archive may decompress to.
pub const MAX_UNPACKED: u64 = 64 * 1024 * 1024;
/// The most entries an archive may hold.
pub const MAX_ENTRIES: usize = 10_000;
/// The most archives of one chart's `charts/` directory that are opened.
pub const MAX_ARCHIVES: usize = 64;
/// The most bytes all the archives of one run may decompress to, together: past that, the
/// archives left (in the order of the scan's charts, then of their file names) are not read.
pub const MAX_UNPACKED_RUN: u64 = 256 * 1024 * 1024;

/// The files of a chart archive that mapping reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartArchive {
    /// The archive (as found under the chart's `charts/`).
    pub file: PathBuf,
    /// The chart's directory in the archive (`dep` for `dep/templates/...`).
    pub top: String,
    /// The `name:` of its Chart.yaml.
    pub name: String,
    /// The `version:` of its Chart.yaml.
    pub version: Option<String>,
    /// `Chart.yaml`, `values.yaml`, `templates/...` (relative to `top`) → text.
    pub files: BTreeMap<String, String>,
    /// How many bytes it decompressed to (the whole tar stream).
    pub unpacked: u64,
}

/// Why an archive was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// The compressed file is larger than the limit (bytes).
    TooLarge(u64),
    /// It decompresses to more than [`MAX_UNPACKED`] bytes.
    Unpacked,
    /// It holds more than [`MAX_ENTRIES`] entries.
    TooManyEntries,
    /// It is not a gzip-compressed tar archive, or is cut short.
    Corrupt,
    /// It has no `Chart.yaml` with a name.
    NotAChart,
    /// It could not be read (outside the scan, not a regular file).
    NotRead,
    /// The archives read before it used up [`MAX_UNPACKED_RUN`].
    RunBudget,
}

impl Unreadable {
    /// A few words for a mapping note.
    pub fn describe(&self) -> String {
        match self {
            Unreadable::TooLarge(limit) => {
                format!("it is larger than max-file-size ({limit} bytes)")
            }
            Unreadable::Unpacked => format!("it decompresses to more than {MAX_UNPACKED} bytes"),
            Unreadable::TooManyEntries => format!("it holds more than {MAX_ENTRIES} entries"),
            Unreadable::Corrupt => "it is not a readable .tgz archive".to_string(),
            Unreadable::NotAChart => "it holds no chart (no Chart.yaml with a name)".to_string(),
            Unreadable::NotRead => "it is not a regular file inside the scan".to_string(),
            Unreadable::RunBudget => format!(
                "the archives read before it decompressed to {MAX_UNPACKED_RUN} bytes, the most one run reads"
            ),
        }
    }
}

/// Reads the chart archive `file` (only inside `roots`, at most `max_compressed` bytes).
pub fn read(
    file: &Path,
    roots: &[PathBuf],
    max_compressed: u64,
    max_unpacked: u64,
) -> Result<ChartArchive, Unreadable> {
    let canonical = crate::safepath::confine(file, roots).map_err(|_| Unreadable::NotRead)?;
    let f = std::fs::File::open(&canonical).map_err(|_| Unreadable::NotRead)?;
    let meta = f.metadata().map_err(|_| Unreadable::NotRead)?;
    if !meta.is_file() {
        return Err(Unreadable::NotRead);
    }
    if meta.len() > max_compressed {
        return Err(Unreadable::TooLarge(max_compressed));
    }
    let mut bytes = Vec::new();
    f.take(max_compressed.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|_| Unreadable::NotRead)?;
    if bytes.len() as u64 > max_compressed {
        return Err(Unreadable::TooLarge(max_compressed));
    }
    let mut archive = parse_bounded(&bytes, max_unpacked.min(MAX_UNPACKED), MAX_ENTRIES)?;
    archive.file = file.to_path_buf();
    Ok(archive)
}

/// A reader that fails once more than `left` bytes were asked of it, and says so.
struct Bounded<R> {
    inner: R,
    left: std::rc::Rc<std::cell::Cell<u64>>,
    hit: std::rc::Rc<std::cell::Cell<bool>>,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.left.get();
        if left == 0 {
            // One byte more than allowed means the limit is broken.
            let mut probe = [0u8; 1];
            let n = self.inner.read(&mut probe)?;
            if n > 0 {
                self.hit.set(true);
                return Err(std::io::Error::other("decompressed size limit"));
            }
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let Some(buf) = buf.get_mut(..want) else {
            return Ok(0);
        };
        let n = self.inner.read(buf)?;
        self.left.set(left.saturating_sub(n as u64));
        Ok(n)
    }
}

/// The chart files of a `.tgz` held in memory (`file` left empty).
pub fn parse(bytes: &[u8]) -> Result<ChartArchive, Unreadable> {
    parse_bounded(bytes, MAX_UNPACKED, MAX_ENTRIES)
}

fn parse_bounded(
    bytes: &[u8],
    max_unpacked: u64,
    max_entries: usize,
) -> Result<ChartArchive, Unreadable> {
    let hit = std::rc::Rc::new(std::cell::Cell::new(false));
    let left = std::rc::Rc::new(std::cell::Cell::new(max_unpacked));
    let reader = Bounded {
        inner: flate2::read::GzDecoder::new(bytes),
        left: left.clone(),
        hit: hit.clone(),
    };
    let over = |e: Unreadable| if hit.get() { Unreadable::Unpacked } else { e };
    let mut tar = tar::Archive::new(reader);
    let entries = tar.entries().map_err(|_| over(Unreadable::Corrupt))?;
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    let mut top: Option<String> = None;
    for (count, entry) in entries.enumerate() {
        if count >= max_entries {
            return Err(over(Unreadable::TooManyEntries));
        }
        let mut entry = entry.map_err(|_| over(Unreadable::Corrupt))?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let raw = entry.path_bytes().into_owned();
        let raw = raw.strip_prefix(b"./".as_slice()).unwrap_or(&raw);
        let Ok(path) = std::str::from_utf8(raw) else {
            continue;
        };
        let path = path.to_string();
        let Some((dir, rest)) = path.split_once('/') else {
            continue;
        };
        let wanted =
            rest == "Chart.yaml" || rest == "values.yaml" || rest.starts_with("templates/");
        if !wanted
            || dir.is_empty()
            || dir == "."
            || dir == ".."
            || crate::safepath::check_text(&path).is_err()
            || crate::safepath::check_relative(rest).is_err()
        {
            continue;
        }
        // One chart per archive: entries under another top directory are not its.
        match &top {
            Some(t) if t != dir => continue,
            Some(_) => {}
            None => top = Some(dir.to_string()),
        }
        let mut data = Vec::new();
        entry
            .read_to_end(&mut data)
            .map_err(|_| over(Unreadable::Corrupt))?;
        if let Ok(text) = String::from_utf8(data) {
            files.insert(rest.to_string(), text);
        }
    }
    if hit.get() {
        return Err(Unreadable::Unpacked);
    }
    let chart = files.get("Chart.yaml").ok_or(Unreadable::NotAChart)?;
    let stream = crate::model::yaml::parse_stream(chart);
    let root = stream
        .documents
        .first()
        .and_then(|d| d.root.as_ref())
        .ok_or(Unreadable::NotAChart)?;
    let name = root
        .get("name")
        .and_then(|n| n.text())
        .filter(|n| !n.is_empty())
        .ok_or(Unreadable::NotAChart)?
        .to_string();
    let version = root
        .get("version")
        .and_then(|n| n.text())
        .map(str::to_string);
    Ok(ChartArchive {
        file: PathBuf::new(),
        top: top.unwrap_or_default(),
        name,
        version,
        files,
        unpacked: max_unpacked.saturating_sub(left.get()),
    })
}

/// The `.tgz` files of a chart's `charts/` directory, sorted, at most [`MAX_ARCHIVES`].
pub fn archives_of(chart_dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(chart_dir.join("charts")) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = rd
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "tgz"))
        .collect();
    out.sort();
    out.truncate(MAX_ARCHIVES);
    out
}

/// The dependency a parent's `charts/SEG/...` output came from, by its Chart.yaml: the entry
/// whose `alias` is SEG, else the one named SEG without an alias. (chart name, version).
pub fn dependency_of(chart_yaml: &str, seg: &str) -> Option<(String, Option<String>)> {
    let stream = crate::model::yaml::parse_stream(chart_yaml);
    let root = stream.documents.first()?.root.as_ref()?;
    let deps = root.get("dependencies")?.as_seq()?;
    let text =
        |d: &crate::model::yaml::Node, k: &str| d.get(k).and_then(|v| v.text()).map(str::to_string);
    deps.iter()
        .find(|d| text(d, "alias").as_deref() == Some(seg))
        .or_else(|| {
            deps.iter().find(|d| {
                text(d, "name").as_deref() == Some(seg)
                    && text(d, "alias").is_none_or(|a| a.is_empty())
            })
        })
        .and_then(|d| Some((text(d, "name")?, text(d, "version"))))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A `.tgz` of `(path, contents)` regular files, plus a symlink when `link` is given.
    pub(crate) fn tgz(files: &[(&str, &[u8])], link: Option<(&str, &str)>) -> Vec<u8> {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let mut b = tar::Builder::new(gz);
        for (p, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            h.set_cksum();
            b.append_data(&mut h, p, *data).unwrap();
        }
        if let Some((p, target)) = link {
            let mut h = tar::Header::new_gnu();
            h.set_size(0);
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_cksum();
            b.append_link(&mut h, p, target).unwrap();
        }
        b.into_inner().unwrap().finish().unwrap()
    }

    const CHART: &[u8] = b"apiVersion: v2\nname: dep\nversion: 0.1.0\n";

    #[test]
    fn keeps_chart_files_only() {
        let bytes = tgz(
            &[
                ("dep/Chart.yaml", CHART),
                ("dep/values.yaml", b"securityContext: {}\n"),
                ("dep/templates/deployment.yaml", b"kind: Deployment\n"),
                ("dep/README.md", b"readme"),
                ("dep/charts/sub/templates/x.yaml", b"kind: Pod\n"),
                ("other/templates/y.yaml", b"kind: Pod\n"),
                ("dep/templates/bin.yaml", &[0xff, 0xfe]),
            ],
            Some(("dep/templates/link.yaml", "/etc/passwd")),
        );
        let a = parse(&bytes).unwrap();
        assert_eq!((a.top.as_str(), a.name.as_str()), ("dep", "dep"));
        assert_eq!(a.version.as_deref(), Some("0.1.0"));
        let names: Vec<&str> = a.files.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            ["Chart.yaml", "templates/deployment.yaml", "values.yaml"]
        );
    }

    #[test]
    fn bombs_and_garbage_are_refused() {
        assert_eq!(parse(b"not gzip at all"), Err(Unreadable::Corrupt));
        assert_eq!(parse(b""), Err(Unreadable::Corrupt));
        let ok = tgz(&[("dep/Chart.yaml", CHART)], None);
        // Cut short.
        let cut = ok.get(..ok.len() / 2).unwrap();
        assert!(matches!(
            parse(cut),
            Err(Unreadable::Corrupt | Unreadable::NotAChart)
        ));
        // Decompressed size: a large run of zeros in a template compresses to little.
        let zeros = vec![b' '; 4 * 1024 * 1024];
        let big = tgz(
            &[
                ("dep/Chart.yaml", CHART),
                ("dep/templates/big.yaml", &zeros),
            ],
            None,
        );
        assert!(big.len() < 64 * 1024);
        assert_eq!(
            parse_bounded(&big, 1024 * 1024, 100),
            Err(Unreadable::Unpacked)
        );
        assert!(parse_bounded(&big, 8 * 1024 * 1024, 100).is_ok());
        // Entry count, regular files or not.
        let many: Vec<(String, Vec<u8>)> = (0..20)
            .map(|i| (format!("dep/templates/{i}.yaml"), b"a: 1\n".to_vec()))
            .collect();
        let refs: Vec<(&str, &[u8])> = many
            .iter()
            .map(|(p, d)| (p.as_str(), d.as_slice()))
            .collect();
        let bytes = tgz(&refs, None);
        assert_eq!(
            parse_bounded(&bytes, MAX_UNPACKED, 10),
            Err(Unreadable::TooManyEntries)
        );
        // No Chart.yaml.
        let bytes = tgz(&[("dep/values.yaml", b"a: 1\n")], None);
        assert_eq!(parse(&bytes), Err(Unreadable::NotAChart));
    }

    #[test]
    fn compressed_size_limit_and_confinement() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let file = root.join("dep-0.1.0.tgz");
        std::fs::write(&file, tgz(&[("dep/Chart.yaml", CHART)], None)).unwrap();
        let roots = vec![root.clone()];
        let a = read(&file, &roots, 1 << 20, MAX_UNPACKED).unwrap();
        // The tar stream as read: a header, a padded block, and the zero block that ends it.
        assert_eq!(a.unpacked, 1536);
        assert_eq!(read(&file, &roots, 1 << 20, 100), Err(Unreadable::Unpacked));
        assert_eq!(
            read(&file, &roots, 10, MAX_UNPACKED),
            Err(Unreadable::TooLarge(10))
        );
        assert_eq!(
            read(&file, &[], 1 << 20, MAX_UNPACKED),
            Err(Unreadable::NotRead)
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Whatever bytes the archive holds (a valid one with bytes flipped or cut, or noise),
        /// reading it returns (never panics).
        #[test]
        fn any_archive_bytes_are_read_or_refused(
            flips in proptest::collection::vec((0usize..4096, proptest::prelude::any::<u8>()), 0..8),
            cut in 0usize..4096,
            noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256),
        ) {
            let mut bytes = tgz(
                &[
                    ("dep/Chart.yaml", CHART),
                    ("dep/templates/a.yaml", b"kind: Pod\nspec: {}\n"),
                ],
                Some(("dep/templates/l.yaml", "../../x")),
            );
            for (at, b) in flips {
                let len = bytes.len();
                if let Some(x) = bytes.get_mut(at % len) {
                    *x ^= b;
                }
            }
            bytes.truncate(cut.max(1));
            let _ = parse(&bytes);
            let _ = parse(&noise);
        }
    }

    #[test]
    fn dependency_by_alias_or_name() {
        let c = "dependencies:\n  - name: dep\n    alias: one\n    version: 0.1.0\n  - name: dep\n    version: 0.2.0\n  - name: x\n";
        assert_eq!(
            dependency_of(c, "one"),
            Some(("dep".into(), Some("0.1.0".into())))
        );
        assert_eq!(
            dependency_of(c, "dep"),
            Some(("dep".into(), Some("0.2.0".into())))
        );
        assert_eq!(dependency_of(c, "x"), Some(("x".into(), None)));
        assert_eq!(dependency_of(c, "nope"), None);
    }
}
