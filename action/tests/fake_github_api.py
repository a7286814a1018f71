#!/usr/bin/env python3
"""Recording stand-in for the GitHub REST API, used through CLUSTERSEC_GITHUB_API_CMD.

Called as `fake_github_api.py METHOD URL` with the JSON request body on stdin; prints
{"status", "headers", "body"}. State (the PR's comments) and the call log live in the JSON file
named by FAKE_GITHUB_STATE: {"comments": [...], "calls": [...], "next_id": N, "fail": {...}}.
"fail" maps "METHOD" or "*" to {"status": 403, "headers": {...}, "message": "..."} to simulate errors.
"""

import json
import os
import re
import sys
from urllib.parse import urlsplit


def main():
    method, url = sys.argv[1], sys.argv[2]
    raw = sys.stdin.read()
    body = json.loads(raw) if raw else None
    state_path = os.environ["FAKE_GITHUB_STATE"]
    try:
        with open(state_path, encoding="utf-8") as fh:
            state = json.load(fh)
    except FileNotFoundError:
        state = {}
    state.setdefault("comments", [])
    state.setdefault("calls", [])
    state.setdefault("next_id", 1000)
    state["calls"].append({"method": method, "url": url, "body": body})

    fail = (state.get("fail") or {}).get(method) or (state.get("fail") or {}).get("*")
    path = urlsplit(url).path
    query = urlsplit(url).query
    if fail:
        reply = {"status": fail["status"], "headers": fail.get("headers", {}),
                 "body": {"message": fail.get("message", "error")}}
    elif method == "GET" and re.fullmatch(r"/repos/[^/]+/[^/]+/issues/\d+/comments", path):
        page = int(dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("page", "1"))
        per_page = 100
        chunk = state["comments"][(page - 1) * per_page:page * per_page]
        reply = {"status": 200, "body": chunk}
    elif method == "POST" and re.fullmatch(r"/repos/[^/]+/[^/]+/issues/\d+/comments", path):
        comment = {"id": state["next_id"], "body": body["body"], "user": {"login": "github-actions[bot]"}}
        state["next_id"] += 1
        state["comments"].append(comment)
        reply = {"status": 201, "body": comment}
    elif method == "PATCH" and re.fullmatch(r"/repos/[^/]+/[^/]+/issues/comments/\d+", path):
        cid = int(path.rsplit("/", 1)[1])
        match = [c for c in state["comments"] if c["id"] == cid]
        if match and (match[0].get("user") or {}).get("login") != "github-actions[bot]":
            # Like GitHub: the workflow token cannot edit someone else's comment.
            reply = {"status": 403, "body": {"message": "Resource not accessible by integration"}}
        elif match:
            match[0]["body"] = body["body"]
            reply = {"status": 200, "body": match[0]}
        else:
            reply = {"status": 404, "body": {"message": "Not Found"}}
    else:
        reply = {"status": 404, "body": {"message": f"fake API: no route for {method} {path}"}}
    with open(state_path, "w", encoding="utf-8") as fh:
        json.dump(state, fh)
    print(json.dumps(reply))


if __name__ == "__main__":
    main()
