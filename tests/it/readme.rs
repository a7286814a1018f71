//! Every example of the README's quick start, configuration and CI sections is run or checked:
//! the quick start's command and its output, the config examples through the config parser, the
//! CI examples against the action's inputs and the GitLab template's variables.

use std::path::Path;

use crate::support::{bin_in_root as bin, root};
use clustersec::config::Config;
use clustersec::model::yaml::parse_stream;

/// A fenced block: the `## ` section it is in, its language, its text.
struct Block {
    section: String,
    lang: String,
    text: String,
}

fn blocks() -> Vec<Block> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut out = Vec::new();
    let mut section = String::new();
    let mut open: Option<Block> = None;
    for line in readme.lines() {
        if let Some(b) = open.as_mut() {
            if line.trim_start() == "```" {
                out.push(open.take().unwrap());
            } else {
                b.text.push_str(line);
                b.text.push('\n');
            }
            continue;
        }
        if let Some(h) = line.strip_prefix("## ") {
            section = h.trim().to_string();
        } else if let Some(lang) = line.trim_start().strip_prefix("```") {
            open = Some(Block {
                section: section.clone(),
                lang: lang.trim().to_string(),
                text: String::new(),
            });
        }
    }
    out
}

fn in_section<'a>(all: &'a [Block], section: &str, lang: &str) -> Vec<&'a Block> {
    let found: Vec<&Block> = all
        .iter()
        .filter(|b| b.section == section && b.lang == lang)
        .collect();
    assert!(
        !found.is_empty(),
        "no {lang} block in README section {section}"
    );
    found
}

/// The YAML of a block as JSON (no syntax problems allowed).
fn yaml(text: &str) -> serde_json::Value {
    let stream = parse_stream(text);
    assert!(
        stream.diagnostics.is_empty(),
        "{:?}\n{text}",
        stream.diagnostics
    );
    stream
        .documents
        .into_iter()
        .next()
        .and_then(|d| d.root)
        .map(|r| r.to_json())
        .unwrap_or(serde_json::Value::Null)
}

#[test]
fn quick_start_runs_and_prints_what_it_shows() {
    let all = blocks();
    let sh = in_section(&all, "Quick start", "sh");
    assert!(sh[0].text.contains("cargo run --locked -- scan examples/"));
    let out = bin()
        .args(["scan", "examples/"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    for block in in_section(&all, "Quick start", "text") {
        for line in block.text.lines() {
            assert!(
                lines.contains(&line),
                "README line not printed: {line}\n{out}"
            );
        }
    }
}

#[test]
fn configuration_examples_parse() {
    let all = blocks();
    for block in in_section(&all, "Configuration", "yaml") {
        if let Err((pos, message)) = Config::parse(&block.text) {
            panic!("{pos:?}: {message}\n{}", block.text);
        }
    }
    // `clustersec init`, which the section names, writes a config that parses.
    Config::parse(&clustersec::init::config_text()).unwrap();
}

#[test]
fn github_actions_example_uses_only_the_actions_inputs() {
    let all = blocks();
    let action = yaml(&std::fs::read_to_string(root().join("action.yml")).unwrap());
    let inputs = action["inputs"].as_object().unwrap();
    let workflow = yaml(&in_section(&all, "GitHub Actions", "yaml")[0].text);
    let steps = workflow["jobs"]["clustersec"]["steps"].as_array().unwrap();
    let step = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("clustersec/clustersec@"))
        })
        .expect("the clustersec step");
    for (key, value) in step["with"].as_object().unwrap() {
        assert!(inputs.contains_key(key), "unknown input {key}");
        if key == "fail-on" {
            let v = value.as_str().unwrap();
            bin()
                .args(["scan", "examples/", "--fail-on", v])
                .assert()
                .code(1);
        }
    }
    // `clustersec init --github` writes the same workflow, pinned.
    let generated = yaml(&clustersec::init::github_workflow());
    assert_eq!(generated["permissions"], workflow["permissions"]);
    assert_eq!(
        generated["jobs"]["clustersec"]["permissions"],
        workflow["jobs"]["clustersec"]["permissions"]
    );
}

#[test]
fn gitlab_example_sets_only_the_templates_variables() {
    let all = blocks();
    let template =
        yaml(&std::fs::read_to_string(root().join("ci/gitlab/clustersec.gitlab-ci.yml")).unwrap());
    let known = template["variables"].as_object().unwrap();
    let example = yaml(&in_section(&all, "GitLab CI", "yaml")[0].text);
    let include = example["include"][0]["remote"].as_str().unwrap();
    assert!(include.ends_with("/ci/gitlab/clustersec.gitlab-ci.yml"));
    assert!(Path::new(&root().join("ci/gitlab/clustersec.gitlab-ci.yml")).is_file());
    for key in example["variables"].as_object().unwrap().keys() {
        assert!(known.contains_key(key), "unknown variable {key}");
    }
    let generated = yaml(&clustersec::init::gitlab_ci());
    for key in generated["variables"].as_object().unwrap().keys() {
        assert!(
            known.contains_key(key),
            "init writes unknown variable {key}"
        );
    }
}
