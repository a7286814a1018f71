#[test]
fn line_values() {
    use super::line_value;
    assert_eq!(
        line_value("  privileged: yes # x", "privileged").as_deref(),
        Some("yes")
    );
    assert_eq!(
        line_value("- privileged: \"yes\"", "privileged").as_deref(),
        Some("\"yes\"")
    );
    assert_eq!(line_value("  privilegedX: yes", "privileged"), None);
    assert_eq!(line_value("  privileged:", "privileged"), None);
    assert_eq!(line_value("", "privileged"), None);
}

use super::helm::resolve_template;
use super::*;

#[test]
fn kustomize_lines_without_origin_annotations() {
    let built = "\
apiVersion: v1
kind: Pod
metadata:
  annotations:
    config.kubernetes.io/origin: |
      path: pod.yaml
  name: a
spec:
  x: 1
---
kind: Pod
metadata:
  annotations:
    keep: me
    config.kubernetes.io/origin: |
      path: b.yaml
  name: b
";
    let before = origin_lines_before(built);
    // `name: a` is line 7 here and line 4 without the annotation.
    assert_eq!(plain_kustomize_line(&before, 7), 4);
    assert_eq!(plain_kustomize_line(&before, 9), 6);
    // The second object keeps its `annotations:` (it has another one).
    assert_eq!(plain_kustomize_line(&before, 17), 12);
    assert_eq!(plain_kustomize_line(&before, 99), 99);
}

const DEPLOY: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "app.fullname" . }}
spec:
  template:
    spec:
      {{- with .Values.podSecurityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}"
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
        - name: sidecar
          image: busybox
          securityContext:
            privileged: true
      initContainers:
        {{- include "app.init" . | nindent 8 }}
"#;

const HELPERS: &str = r#"{{- define "app.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name }}
{{- end }}
{{- define "app.init" -}}
- name: init
  image: busybox
  securityContext:
    runAsUser: 0
{{- end }}
"#;

fn keys(p: &str) -> Vec<String> {
    path_keys(p)
}

#[test]
fn literal_key_and_ancestor() {
    let o = Outline::parse(DEPLOY);
    let none = |_: &str| None;
    let hit = locate(
        &o,
        &keys("spec.template.spec.containers[1].securityContext.privileged"),
        Some(("sidecar", 1)),
        &none,
        0,
    )
    .unwrap();
    assert_eq!(hit.span.start, Pos::new(20, 13));
    assert_eq!(hit.matched, hit.wanted);
    let hit = locate(
        &o,
        &keys("spec.template.spec.containers[0].securityContext.runAsUser"),
        Some(("web", 0)),
        &none,
        0,
    )
    .unwrap();
    assert_eq!(hit.span.start, Pos::new(15, 11));
    assert_eq!(hit.matched, 5);
    let hit = locate(
        &o,
        &keys("spec.template.spec.securityContext.runAsUser"),
        None,
        &none,
        0,
    )
    .unwrap();
    assert_eq!(hit.span.start, Pos::new(9, 7));
}

#[test]
fn include_continues_into_define() {
    let o = Outline::parse(DEPLOY);
    let h = Outline::parse(HELPERS);
    let defines = |name: &str| h.define_outline(name);
    let hit = locate(
        &o,
        &keys("spec.template.spec.initContainers[0].securityContext.runAsUser"),
        Some(("init", 0)),
        &defines,
        0,
    )
    .unwrap();
    assert_eq!(hit.span.start, Pos::new(8, 5));
    assert_eq!(hit.matched, hit.wanted);
}

const RANGE: &str = r#"spec:
  template:
    spec:
      containers:
        {{- range .Values.containers }}
        - name: {{ .name }}
          securityContext:
            {{- toYaml .securityContext | nindent 12 }}
        {{- end }}
        - name: fixed
          image: busybox
        {{- include "app.debug" . | nindent 8 }}
"#;

const DEBUG: &str = r#"{{- define "app.debug" -}}
- name: debug
  securityContext:
    privileged: true
{{- end }}
"#;

#[test]
fn containers_from_range_and_include() {
    let o = Outline::parse(RANGE);
    let h = Outline::parse(DEBUG);
    let defines = |name: &str| h.define_outline(name);
    let field = "spec.template.spec.containers[2].securityContext.privileged";
    // The debug container comes from the include: its define has the literal line.
    let hit = locate(&o, &keys(field), Some(("debug", 2)), &defines, 0).unwrap();
    assert_eq!((hit.span.start, hit.matched), (Pos::new(4, 5), 6));
    // A container from the range: the `securityContext:` line of the range item.
    let hit = locate(&o, &keys(field), Some(("sidecar", 1)), &defines, 0).unwrap();
    assert_eq!((hit.span.start, hit.matched), (Pos::new(7, 11), 5));
    // The literal container `fixed` has no securityContext: its item is the nearest.
    let hit = locate(&o, &keys(field), Some(("fixed", 1)), &defines, 0).unwrap();
    assert_eq!(hit.span.start.line, 10);
}

#[test]
fn a_deeper_key_of_another_literal_container_is_not_a_candidate() {
    // `beta` has runAsUser; the templated container only has `securityContext:`. Its
    // missing runAsUser belongs on its own `securityContext:` line, not on `containers:`.
    let t = r#"spec:
  template:
    spec:
      containers:
        - name: beta
          securityContext:
            runAsUser: 20000
        - name: {{ .Release.Name }}
          securityContext:
            runAsGroup: 20000
"#;
    let o = Outline::parse(t);
    let none = |_: &str| None;
    let field = "spec.template.spec.containers[1].securityContext.runAsUser";
    let hit = locate(&o, &keys(field), Some(("release-name", 1)), &none, 0).unwrap();
    assert_eq!((hit.span.start, hit.matched), (Pos::new(9, 11), 5));
    // `beta` itself still gets its own line.
    let field = "spec.template.spec.containers[0].securityContext.runAsUser";
    let hit = locate(&o, &keys(field), Some(("beta", 0)), &none, 0).unwrap();
    assert_eq!((hit.span.start, hit.matched), (Pos::new(7, 13), 6));
}

#[test]
fn a_template_with_several_documents_maps_into_the_right_one() {
    let t = r#"{{- if .Values.serviceAccount.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .Release.Name }}
{{- end }}
---
apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata:
  name: {{ .Release.Name }}
"#;
    let o = Outline::parse(t);
    let none = |_: &str| None;
    // The second rendered document of the template.
    let doc = o.document(1, "PodSecurityPolicy").unwrap();
    let hit = locate(&doc, &keys("kind"), None, &none, 0).unwrap();
    assert_eq!(hit.span.start, Pos::new(9, 1));
    // The ServiceAccount was left out by its condition: the PSP is the first rendered
    // document, and the only one of its kind.
    let doc = o.document(0, "PodSecurityPolicy").unwrap();
    let hit = locate(&doc, &keys("kind"), None, &none, 0).unwrap();
    assert_eq!(hit.span.start, Pos::new(9, 1));
    let doc = o.document(0, "ServiceAccount").unwrap();
    let hit = locate(&doc, &keys("metadata.name"), None, &none, 0).unwrap();
    assert_eq!(hit.span.start, Pos::new(5, 3));
    // A template with one document (here after a leading `---`) needs no choice.
    assert!(Outline::parse("---\nkind: Pod\n")
        .document(0, "Pod")
        .is_none());
}

#[test]
fn source_paths_that_leave_the_chart_are_rejected() {
    use crate::safepath::Rejected;
    let tmp = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(tmp.path()).unwrap();
    let chart = root.join("chart");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(chart.join("templates/a.yaml"), "kind: Pod\n").unwrap();
    std::fs::write(root.join("other.yaml"), "kind: Pod\n").unwrap();
    let templates = Templates::new(vec![root.clone()]);
    let resolve = |s: &str| resolve_template(s, Some(&chart), &[], &templates);
    assert_eq!(
        resolve("web/templates/a.yaml").map(|(f, _)| f),
        Ok(chart.join("templates/a.yaml"))
    );
    assert_eq!(
        resolve("web/templates/../../other.yaml"),
        Err(Some(Rejected::Outside))
    );
    assert_eq!(resolve("../other.yaml"), Err(Some(Rejected::Outside)));
    assert_eq!(resolve("/etc/passwd"), Err(Some(Rejected::Absolute)));
    assert_eq!(resolve("web//etc/passwd"), Err(Some(Rejected::Absolute)));
    assert_eq!(resolve("web/templates/a\0.yaml"), Err(Some(Rejected::Odd)));
    assert_eq!(resolve("web/templates/missing.yaml"), Err(None));
    // Nothing is read without scan roots.
    let none = Templates::new(Vec::new());
    assert_eq!(
        resolve_template("web/templates/a.yaml", Some(&chart), &[], &none),
        Err(Some(Rejected::Outside))
    );
}

#[test]
fn sources_are_read() {
    let s = helm_sources("---\n# Source: c/templates/a.yaml\napiVersion: v1\n");
    assert_eq!(s, vec![(2, "c/templates/a.yaml".to_string())]);
    // A template that prints its own `# Source:` (after helm's, or after `...`, or an
    // indented `---` that helm does not split at) names nothing.
    let s = helm_sources(
        "---\n# Source: c/templates/new.yaml\n# Source: c/templates/agent.yaml\nkind: Pod\n\
             ...\n# Source: c/templates/agent.yaml\n  ---\n# Source: c/templates/agent.yaml\n",
    );
    assert_eq!(s, vec![(2, "c/templates/new.yaml".to_string())]);
}

/// `helm_sources` read line by line, as [`str::lines`] splits lines: the reference the search
/// for the comment must agree with.
fn helm_sources_by_lines(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut after_separator = false;
    for (i, line) in text.lines().enumerate() {
        if after_separator {
            if let Some(src) = line.strip_prefix("# Source: ") {
                out.push((
                    u32::try_from(i + 1).unwrap_or(u32::MAX),
                    src.trim().to_string(),
                ));
            }
        }
        after_separator = line.trim_end_matches('\r') == "---";
    }
    out
}

#[test]
fn sources_found_by_searching_are_those_read_line_by_line() {
    let texts = [
        "",
        "# Source: a/templates/x.yaml\n",
        "---\n# Source: a/templates/x.yaml",
        "---\r\n# Source: a/templates/x.yaml\r\nkind: Pod\r\n---\r\n# Source: a/b.yaml \r\n",
        "---\r\r\n# Source: a/x.yaml\n---\r# Source: a/y.yaml\n",
        "---\n\n# Source: a/x.yaml\n---\n# Source: # Source: a/y.yaml\n",
        "x: 1\n---\n# Source: a/x.yaml\nb: \"---\n# Source: a/z.yaml\"\n ---\n# Source: a/q.yaml\n",
        "----\n# Source: a/x.yaml\n--- \n# Source: a/y.yaml\n---\n#  Source: a/z.yaml\n",
        "---\n# Source: é/ü.yaml\n---\n# Source: \n---\n# Source:",
        "\n---\n# Source: a/x.yaml\n\n\n---\n# Source: a/y.yaml\n---\n# Source: a/y.yaml\n",
    ];
    for text in texts {
        assert_eq!(helm_sources(text), helm_sources_by_lines(text), "{text:?}");
    }
    // Many documents, some with CRLF breaks.
    let mut big = String::new();
    for i in 0..300 {
        let brk = if i % 7 == 0 { "\r\n" } else { "\n" };
        big.push_str(&format!(
            "---{brk}# Source: c/templates/t{i}.yaml{brk}kind: Pod{brk}"
        ));
        if i % 5 == 0 {
            big.push_str("data: |\n  ---\n  # Source: c/x.yaml\n");
        }
    }
    assert_eq!(helm_sources(&big).len(), 300);
    assert_eq!(helm_sources(&big), helm_sources_by_lines(&big));
}
