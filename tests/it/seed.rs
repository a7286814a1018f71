//! What the native rules report on the original policy's own examples (`../shared/seed/`),
//! snapshotted; `docs/seed-comparison.md` explains each difference from the original policy.
//!
//! The seed lives outside the repository. Without it the test prints a skip message and
//! passes, unless `CLUSTERSEC_REQUIRE_SHARED=1`, in which case it fails.

use std::fmt::Write as _;
use std::path::Path;

use clustersec::engine::Engine;

fn render(path: &str, bytes: &[u8]) -> String {
    let (report, mut findings) = Engine::default().scan_bytes(path, bytes);
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut out = format!(
        "status: {:?}, documents: {}, objects: {}, findings: {}\n",
        report.status,
        report.documents,
        report.objects,
        findings.len()
    );
    for f in &findings {
        let _ = write!(
            out,
            "\n{}:{}-{}:{} {}",
            f.span.start.line, f.span.start.col, f.span.end.line, f.span.end.col, f.rule
        );
        if let Some(o) = &f.object {
            let _ = write!(out, " [{}]", o.display());
        }
        if let Some(c) = &f.container {
            let _ = write!(out, " container={c}");
        }
        if let Some(p) = &f.field {
            let _ = write!(out, " field={p}");
        }
        let _ = write!(out, "\n    {}", f.message);
    }
    out.push('\n');
    out
}

#[test]
fn seed_examples() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/seed");
    if !dir.join("fail.yaml").is_file() {
        if std::env::var("CLUSTERSEC_REQUIRE_SHARED").as_deref() == Ok("1") {
            panic!(
                "CLUSTERSEC_REQUIRE_SHARED=1 but {} has no seed examples",
                dir.display()
            );
        }
        eprintln!(
            "skipping seed_examples: {} not found (set CLUSTERSEC_REQUIRE_SHARED=1 to require it)",
            dir.display()
        );
        return;
    }
    for name in ["pass.yaml", "fail.yaml"] {
        let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let snap = render(&format!("seed/{name}"), &bytes);
        insta::with_settings!({
            description => format!("../shared/seed/{name}: see docs/seed-comparison.md"),
            omit_expression => true,
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!(format!("seed__{}", name.replace('.', "_")), snap);
        });
    }
}
