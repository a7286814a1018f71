"""End-to-end tests of action/clustersec_action.py in a faked GitHub Actions environment."""

import importlib.util
import json
import os
from pathlib import Path

from conftest import REAL_BIN, SCRIPT, fake_only, pr_event

spec = importlib.util.spec_from_file_location("clustersec_action", SCRIPT)
action = importlib.util.module_from_spec(spec)
spec.loader.exec_module(action)

MARKER = "<!-- clustersec-report -->"


def test_first_run_creates_comment_second_run_updates_it(gh):
    first = gh.run()
    assert first.returncode == 1, first.stdout + first.stderr
    assert "created PR comment 1000 on #7" in first.stdout
    comments = gh.comments()
    assert len(comments) == 1
    assert comments[0]["body"].startswith(MARKER + "\n")

    second = gh.run()
    assert second.returncode == 1, second.stdout + second.stderr
    assert "updated PR comment 1000 on #7" in second.stdout
    comments = gh.comments()
    assert len(comments) == 1, "a re-run must edit the comment, not add one"
    methods = [(c["method"], c["url"].split("?")[0]) for c in gh.api_calls()]
    assert methods == [
        ("GET", "https://api.github.com/repos/octo/repo/issues/7/comments"),
        ("POST", "https://api.github.com/repos/octo/repo/issues/7/comments"),
        ("GET", "https://api.github.com/repos/octo/repo/issues/7/comments"),
        ("PATCH", "https://api.github.com/repos/octo/repo/issues/comments/1000"),
    ]


def test_clean_scan_replaces_earlier_report(gh):
    assert gh.run().returncode == 1
    clean = gh.run(CLUSTERSEC_PATH="clean", CLUSTERSEC_FAIL_ON="critical")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    comments = gh.comments()
    assert len(comments) == 1
    assert "updated PR comment" in clean.stdout


def test_outputs_summary_and_one_scan(gh):
    result = gh.run()
    out = gh.outputs()
    assert out["exit-code"] == "1"
    assert int(out["findings"]) >= 1
    assert out["sarif-exists"] == "true"
    sarif = Path(out["sarif-file"])
    assert sarif.is_file() and sarif.is_absolute()
    assert json.loads(sarif.read_text(encoding="utf-8"))["version"] == "2.1.0"
    assert Path(out["markdown-file"]).is_file()
    assert str(gh.temp) in out["sarif-file"], "default outputs go to RUNNER_TEMP, not the workspace"
    summary = gh.summary.read_text(encoding="utf-8")
    assert summary.strip(), "the job summary must get the markdown report"
    assert MARKER not in summary, "the hidden marker belongs to the comment only"
    assert "```mermaid" in summary
    # annotations reach the runner through stdout
    assert "::error file=" in result.stdout or "::warning file=" in result.stdout
    if not REAL_BIN:
        calls = gh.scanner_calls()
        assert len(calls) == 1, "exactly one scan per run"
        argv = calls[0]["argv"]
        assert argv[:2] == ["scan", "bad"]
        assert argv.count("--format") == 4
        summary_md = out["markdown-file"][:-len(".md")] + ".summary.md"
        assert ["--format", "markdown-summary", "--output", summary_md] == \
            argv[argv.index("markdown-summary") - 1:argv.index("markdown-summary") + 3]
        assert ["--format", "sarif", "--output", out["sarif-file"]] == argv[argv.index("sarif") - 1:argv.index("sarif") + 3]
        assert ["--fail-on", "high"] == argv[argv.index("--fail-on"):argv.index("--fail-on") + 2]
        assert calls[0]["cwd"] == str(gh.workspace)


def test_summary_is_the_markdown_summary_report(gh):
    gh.run()
    summary = gh.summary.read_text(encoding="utf-8")
    assert summary.count("```mermaid") >= 1
    if REAL_BIN:
        # clustersec's own charts and table, not the script's fallback
        assert "| file | findings | most severe |" in summary
    else:
        assert "### Findings by rule" not in summary, "the script's fallback charts were not used"


@fake_only()
def test_summary_falls_back_to_markdown_with_charts(gh):
    result = gh.run(FAKE_CLUSTERSEC_NO_SUMMARY="1")
    assert result.returncode == 1
    summary = gh.summary.read_text(encoding="utf-8")
    assert "### Findings by rule" in summary and "```mermaid" in summary
    assert MARKER not in summary


def test_no_annotations_when_disabled(gh):
    result = gh.run(CLUSTERSEC_ANNOTATIONS="false")
    assert "::error file=" not in result.stdout
    if not REAL_BIN:
        assert "github" not in gh.scanner_calls()[0]["argv"]


def test_exit_code_follows_fail_on(gh):
    assert gh.run(CLUSTERSEC_FAIL_ON="info").returncode == 1
    assert gh.run(CLUSTERSEC_PATH="clean", CLUSTERSEC_FAIL_ON="critical").returncode == 0
    none = gh.run(CLUSTERSEC_FAIL_ON="none")
    assert none.returncode == 0, "fail-on none reports but never fails on findings"
    assert gh.outputs()["exit-code"] in ("0", "1")
    assert gh.run(CLUSTERSEC_FAIL_ON="never").returncode == 0, "`never` is the CLI's spelling of none"


@fake_only()
def test_fail_on_is_passed_only_when_set(gh):
    # empty: the config file's fail-on (or clustersec's default) applies
    gh.run(CLUSTERSEC_FAIL_ON="")
    assert "--fail-on" not in gh.scanner_calls()[-1]["argv"]
    gh.run(CLUSTERSEC_FAIL_ON="none")
    argv = gh.scanner_calls()[-1]["argv"]
    assert ["--fail-on", "none"] == argv[argv.index("--fail-on"):argv.index("--fail-on") + 2]


@fake_only()
def test_fail_on_threshold_with_fake_severities(gh):
    # the fake reports `privileged` as high: critical does not fail, high does
    assert gh.run(CLUSTERSEC_FAIL_ON="critical").returncode == 0
    assert gh.run(CLUSTERSEC_FAIL_ON="high").returncode == 1


def test_invalid_fail_on_is_a_tool_error(gh):
    result = gh.run(CLUSTERSEC_FAIL_ON="severe")
    assert result.returncode == 2
    assert "invalid fail-on" in result.stdout
    assert gh.outputs()["exit-code"] == "2"


@fake_only()
def test_tool_error_exits_2_and_skips_comment(gh):
    result = gh.run(FAKE_CLUSTERSEC_EXIT="2")
    assert result.returncode == 2
    out = gh.outputs()
    assert out["exit-code"] == "2" and out["sarif-exists"] == "false"
    assert "PR comment skipped" in result.stdout
    assert gh.comments() == []
    assert "scan failed" in gh.summary.read_text(encoding="utf-8")


def test_missing_binary_is_a_tool_error(gh):
    result = gh.run(CLUSTERSEC_BIN=str(gh.root / "no-such-clustersec"))
    assert result.returncode == 2
    assert "cannot run" in result.stdout


def test_stale_sarif_is_not_reused(gh):
    gh.run()
    sarif = gh.outputs()["sarif-file"]
    assert os.path.exists(sarif)
    result = gh.run(CLUSTERSEC_BIN=str(gh.root / "no-such-clustersec"))
    assert result.returncode == 2
    assert not os.path.exists(sarif)
    assert gh.outputs()["sarif-exists"] == "false"


def test_unwritable_summary_keeps_result(gh):
    result = gh.run(GITHUB_STEP_SUMMARY=str(gh.root))  # a directory: cannot be opened for append
    assert result.returncode == 1
    assert "cannot write the job summary" in result.stdout
    out = gh.outputs()
    assert out["exit-code"] == "1" and Path(out["sarif-file"]).is_file()
    assert len(gh.comments()) == 1


def test_unwritable_output_file_keeps_result(gh):
    result = gh.run(GITHUB_OUTPUT=str(gh.root))
    assert result.returncode == 1
    assert "cannot write step outputs" in result.stdout


def test_missing_event_payload(gh):
    result = gh.run(GITHUB_EVENT_PATH=str(gh.root / "missing.json"))
    assert result.returncode == 1
    assert "cannot read the event payload" in result.stdout
    assert gh.api_calls() == []
    assert Path(gh.outputs()["sarif-file"]).is_file()


def test_unset_event_path(gh):
    result = gh.run(GITHUB_EVENT_PATH=None)
    assert result.returncode == 1
    assert "GITHUB_EVENT_PATH is not set" in result.stdout


def test_push_event_does_not_comment(gh):
    gh.write_event({"ref": "refs/heads/main", "repository": {"full_name": "octo/repo"}})
    result = gh.run(GITHUB_EVENT_NAME="push")
    assert result.returncode == 1
    assert "not a pull request event" in result.stdout
    assert gh.api_calls() == []


def test_comment_disabled(gh):
    result = gh.run(CLUSTERSEC_COMMENT="false")
    assert "PR comment disabled" in result.stdout
    assert gh.api_calls() == []


def test_fork_pull_request_skips_comment_and_goes_on(gh):
    gh.write_event(pr_event(head="stranger/repo", base="octo/repo"))
    result = gh.run()
    assert result.returncode == 1
    assert "PR comment skipped: this pull request comes from the fork stranger/repo" in result.stdout
    assert gh.api_calls() == []
    assert Path(gh.outputs()["sarif-file"]).is_file()


def test_403_on_post_is_logged_not_fatal(gh):
    gh.set_api_failure("POST", 403, "Resource not accessible by integration")
    result = gh.run()
    assert result.returncode == 1
    assert "::warning" in result.stdout
    assert "lacks permission" in result.stdout and "HTTP 403" in result.stdout
    assert Path(gh.outputs()["sarif-file"]).is_file()
    assert gh.outputs()["exit-code"] == "1"


def test_rate_limit_is_logged_not_fatal(gh):
    gh.set_api_failure("*", 403, "API rate limit exceeded for installation",
                       {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1700000000"})
    result = gh.run(CLUSTERSEC_FAIL_ON="critical")
    assert result.returncode == int(gh.outputs()["exit-code"])
    assert "rate limit exceeded" in result.stdout
    assert "resets at epoch 1700000000" in result.stdout
    assert len(gh.api_calls()) == 1, "no writes after the listing failed"


def test_server_error_and_broken_api_command(gh):
    gh.set_api_failure("GET", 502, "Bad Gateway")
    result = gh.run()
    assert result.returncode == 1
    assert "HTTP 502" in result.stdout
    result = gh.run(CLUSTERSEC_GITHUB_API_CMD=str(gh.root / "no-such-api-command"))
    assert result.returncode == 1
    assert "API command failed" in result.stdout


def test_foreign_marker_comment_that_cannot_be_edited(gh):
    gh.run()
    gh.set_api_failure("PATCH", 403, "Must have admin rights")
    result = gh.run()
    assert result.returncode == 1
    assert "creating a new one" in result.stdout
    assert len(gh.comments()) == 2


def test_someone_elses_marker_comment_does_not_make_comments_pile_up(gh):
    # Anyone can comment on a public pull request, marker included, before the first run.
    gh.api_state.write_text(json.dumps({"comments": [
        {"id": 1, "body": MARKER + "\nnot the report", "user": {"login": "mallory"}}]}),
        encoding="utf-8")
    assert gh.run().returncode == 1
    second = gh.run()
    assert second.returncode == 1
    assert "updated PR comment 1000 on #7" in second.stdout, second.stdout
    comments = gh.comments()
    assert [c["id"] for c in comments] == [1, 1000]
    assert comments[0]["body"] == MARKER + "\nnot the report"


@fake_only()
def test_oversized_report_is_truncated_in_comment(gh):
    result = gh.run(FAKE_CLUSTERSEC_MARKDOWN_PAD="200000")
    assert result.returncode == 1
    assert "exceeds GitHub's 65536-character comment limit" in result.stdout
    body = gh.comments()[0]["body"]
    assert body.startswith(MARKER)
    assert len(body) <= 65536
    assert "truncated to fit GitHub's comment limit" in body
    assert "https://github.com/octo/repo/actions/runs/42" in body
    # the summary keeps the full report (it has a 1 MiB limit, not 64 KiB)
    assert len(gh.summary.read_text(encoding="utf-8")) > 200000


def test_build_comment_body_limits():
    small = action.build_comment_body("## ok\n")
    assert small == MARKER + "\n## ok\n"
    assert action.build_comment_body(MARKER + "\n## ok\n") == small, "one marker only"
    # multi-byte and astral characters count as two UTF-16 code units at GitHub
    big = "\n".join(["<details><summary>x</summary>", "```"] + ["- \U0001F600 finding " * 10] * 5000)
    body = action.build_comment_body(big, "https://example.invalid/run")
    assert action.utf16_len(body) <= action.COMMENT_LIMIT
    assert body.count("```") % 2 == 0
    assert body.count("<details>") == body.count("</details>")
    assert body.startswith(MARKER)


def test_md_escape_neutralises_markup():
    escaped = action.md_escape("[x](http://e) <img src=x> @admin `code` | a*b*")
    assert "<img" not in escaped and "@admin" not in escaped
    assert "\\[x\\]\\(http://e\\)" in escaped
    assert "\\|" in escaped


def test_finish_subcommand(gh):
    assert gh.run("finish", CLUSTERSEC_EXIT_CODE="0").returncode == 0
    assert gh.run("finish", CLUSTERSEC_EXIT_CODE="1").returncode == 1
    # clustersec got --fail-on none: exit 1 means a scan that checked nothing, never a pass
    assert gh.run("finish", CLUSTERSEC_EXIT_CODE="1", CLUSTERSEC_FAIL_ON="none").returncode == 1
    assert gh.run("finish", CLUSTERSEC_EXIT_CODE="2").returncode == 2
    missing = gh.run("finish", CLUSTERSEC_EXIT_CODE=None)
    assert missing.returncode == 2 and "no exit code" in missing.stdout
    upload = gh.run("finish", CLUSTERSEC_EXIT_CODE="0", CLUSTERSEC_SARIF_UPLOAD_OUTCOME="failure")
    assert upload.returncode == 0 and "uploading the SARIF file" in upload.stdout


def test_separate_steps_like_action_yml(gh):
    """scan -> (upload) -> comment -> finish, passing values through env as action.yml does."""
    scan = gh.run("scan")
    assert scan.returncode == 0, "the scan step itself never fails: the verdict comes last"
    out = gh.outputs()
    comment = gh.run("comment", CLUSTERSEC_MARKDOWN_FILE=out["markdown-file"])
    assert comment.returncode == 0 and "created PR comment" in comment.stdout
    finish = gh.run("finish", CLUSTERSEC_EXIT_CODE=out["exit-code"])
    assert finish.returncode == 1
