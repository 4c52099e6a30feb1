"""Changed files: list parsing, `git diff` on real repositories (renames, deletions, shallow
clones), and failing open whenever the change cannot be trusted."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from support.cli import git

from gate.errors import InputError
from gate.git import GitResult, repo_root, run_git
from gate.select.changes import (
    MAX_CHANGED_FILES,
    changes_from,
    collect,
    from_git,
    read_changed_files,
)
from gate.select.model import ChangeContext, Changes
from gate.select.path_lists import parse_name_status, parse_path_list, repo_relative

ZERO = "0" * 40


def commit(repo: Path, files: dict[str, str | None], message: str) -> str:
    """Write (or delete, for None) files, commit everything, return the new commit's sha."""
    for name, text in files.items():
        path = repo / name
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    commit(
        root,
        {"prompts/scheduler.md": "v1\n", "tools/calendar.json": "{}\n", "README.md": "hi\n"},
        "first",
    )
    return root


# --- pure parsing ---------------------------------------------------------------------------


def test_path_list_lines_blanks_dot_slash_and_git_quoting() -> None:
    text = 'prompts/a.md\n\n  ./tools/x.json  \r\n"caf\\303\\251.md"\n"tab\\there.md"\n'
    assert parse_path_list(text) == ["prompts/a.md", "tools/x.json", "café.md", "tab\there.md"]


def test_path_list_json_and_nul_separated() -> None:
    assert parse_path_list('["a.md", "./b/c.md"]') == ["a.md", "b/c.md"]
    assert parse_path_list("a.md\0b.md\0") == ["a.md", "b.md"]


def test_path_list_drops_a_byte_order_mark_and_reads_a_bare_backslash_both_ways() -> None:
    assert parse_path_list("\ufeffa.md\nb.md\n") == ["a.md", "b.md"]
    assert parse_path_list('\ufeff["a.md"]') == ["a.md"]
    # git quotes a name that holds a backslash, so a bare one is (most likely) Windows'; the
    # literal reading is kept too, so either can fire a trigger (selection only over-selects).
    assert parse_path_list(".\\prompts\\a.md\n") == ["prompts/a.md", ".\\prompts\\a.md"]
    assert parse_path_list('"back\\\\slash.md"\n') == ["back\\slash.md"]


def test_repo_relative_strips_the_root_and_distrusts_what_is_not_in_the_repo() -> None:
    listed = [
        "/repo/prompts/a.md",
        "C:/repo/b.md",
        "/repo",
        "/other/c.md",
        "docs/../d.md",
        "..",
        "e//f/./g.md",
        "h.md",
    ]
    kept, distrusted = repo_relative(listed, ["/repo", "C:/repo"])
    assert kept == ["prompts/a.md", "b.md", "e/f/g.md", "h.md"]
    assert distrusted == [
        "/repo (the repository root itself, not a file)",
        "/other/c.md (an absolute path outside the repository)",
        "docs/../d.md (a `..` segment)",
        ".. (a `..` segment)",
    ]
    assert repo_relative(["/repository/x.md"], ["/repo"])[1]  # a prefix, not the folder


@pytest.mark.parametrize("text", ['["a.md", 3]', '[{"a": 1}]', "[not json"])
def test_path_list_bad_json_is_an_input_error(text: str) -> None:
    with pytest.raises(InputError, match="--changed-files"):
        parse_path_list(text)


def test_name_status_counts_renames_twice_deletions_and_copies_once() -> None:
    output = (
        "M\0b.txt\0D\0gone.md\0A\0new.md\0R100\0prompts/a.md\0prompts/z.md\0"
        "C75\0src.json\0copy.json\0T\0link\0"
    )
    assert parse_name_status(output) == [
        "b.txt",
        "gone.md",
        "new.md",
        "prompts/a.md",
        "prompts/z.md",
        "copy.json",
        "link",
    ]
    assert parse_name_status("") == []


def test_a_list_that_may_be_truncated_fails_open() -> None:
    paths = [f"f{i}.md" for i in range(MAX_CHANGED_FILES)]
    changes = changes_from(paths, "the API", trusted_empty=True)
    assert changes.fail_open is not None and "3000 changed files" in changes.fail_open
    assert len(changes.paths) == MAX_CHANGED_FILES  # still recorded
    assert changes_from(paths[:-1], "the API", trusted_empty=True).fail_open is None


def test_an_empty_list_fails_open_but_an_empty_diff_does_not() -> None:
    listed = changes_from([], "--changed-files x", trusted_empty=False)
    assert listed.fail_open is not None and "is empty" in listed.fail_open
    assert changes_from([], "git diff", trusted_empty=True) == Changes((), "git diff")


def test_paths_are_sorted_and_unique() -> None:
    assert changes_from(["b", "a", "b"], "s", trusted_empty=True).paths == ("a", "b")


# --- reading the list -------------------------------------------------------------------------


def test_changed_files_from_a_file_and_from_stdin(tmp_path: Path) -> None:
    listing = tmp_path / "changed.txt"
    listing.write_text("prompts/a.md\nREADME.md\n", encoding="utf-8")
    from_file = read_changed_files(str(listing), io.StringIO())
    assert from_file.paths == ("README.md", "prompts/a.md")
    assert from_file.source == f"--changed-files {listing}" and from_file.fail_open is None
    from_stdin = read_changed_files("-", io.StringIO("x.md\n"))
    assert from_stdin.paths == ("x.md",) and from_stdin.source == "--changed-files -"


def test_absolute_paths_under_the_root_become_relative_others_fail_open(tmp_path: Path) -> None:
    listing = tmp_path / "changed.txt"
    listing.write_text(f"{tmp_path}/prompts/a.md\nb.md\n", encoding="utf-8")
    inside = read_changed_files(str(listing), io.StringIO(), tmp_path)
    assert inside.paths == ("b.md", "prompts/a.md") and inside.fail_open is None
    outside = read_changed_files(str(listing), io.StringIO(), tmp_path / "repo")
    assert outside.paths == ("b.md",) and outside.fail_open is not None
    assert outside.fail_open.startswith(
        f"1 path(s) in the changed-file list from --changed-files {listing} cannot be matched"
    )
    assert f"{tmp_path}/prompts/a.md (an absolute path outside the repository)" in outside.fail_open
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")  # a root spelt through a symlink
    resolved = read_changed_files("-", io.StringIO(f"{tmp_path}/real/x.md\n"), tmp_path / "link")
    assert resolved.paths == ("x.md",) and resolved.fail_open is None
    dotdot = read_changed_files("-", io.StringIO("a/../b.md\n../c.md\n"), tmp_path)
    assert (
        dotdot.fail_open is not None and "a/../b.md (a `..` segment) and 1 more" in dotdot.fail_open
    )


def test_unreadable_changed_files_name_the_flag(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^--changed-files: cannot read .*missing.txt"):
        read_changed_files(str(tmp_path / "missing.txt"), io.StringIO())
    (tmp_path / "bin").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputError, match="not UTF-8"):
        read_changed_files(str(tmp_path / "bin"), io.StringIO())


# --- git --------------------------------------------------------------------------------------


def test_git_diff_counts_renames_as_both_paths_and_deletions(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "mv", "prompts/scheduler.md", "prompts/booking.md")
    head = commit(repo, {"README.md": None, "tools/calendar.json": '{"v": 2}\n'}, "second")
    changes = from_git(base, head, run_git(repo))
    assert changes.fail_open is None
    assert changes.paths == (
        "README.md",
        "prompts/booking.md",
        "prompts/scheduler.md",
        "tools/calendar.json",
    )
    assert changes.source == f"git diff {base[:12]}...{head[:12]}"


def test_three_dots_leave_out_what_the_base_branch_did_since_the_fork(repo: Path) -> None:
    fork = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "feature")
    head = commit(repo, {"prompts/scheduler.md": "v2\n"}, "feature change")
    git(repo, "checkout", "-q", "main")
    base = commit(repo, {"tools/calendar.json": '{"main": 1}\n'}, "main moved on")
    assert from_git(base, head, run_git(repo)).paths == ("prompts/scheduler.md",)
    assert from_git(base, head, run_git(repo), merge_base=False).paths == (
        "prompts/scheduler.md",
        "tools/calendar.json",
    )
    assert from_git(fork, fork, run_git(repo)) == Changes((), f"git diff {fork[:12]}...{fork[:12]}")


def test_a_zero_base_fails_open(repo: Path) -> None:
    changes = from_git(ZERO, "HEAD", run_git(repo))
    assert changes.fail_open is not None and "all zeros" in changes.fail_open
    assert changes.paths == ()


def test_an_unknown_base_fails_open(repo: Path) -> None:
    changes = from_git("1" * 40, "HEAD", run_git(repo))
    assert changes.fail_open == f"the base {'1' * 12} is not in this clone"


def test_a_shallow_clone_without_the_base_fails_open_and_says_so(
    repo: Path, tmp_path: Path
) -> None:
    base = git(repo, "rev-parse", "HEAD")
    commit(repo, {"prompts/scheduler.md": "v2\n"}, "second")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(clone))
    changes = from_git(base, "HEAD", run_git(clone))
    assert changes.fail_open is not None
    assert f"the base {base[:12]} is not in this clone (a shallow clone" in changes.fail_open
    assert "fetch-depth: 0" in changes.fail_open


def test_outside_a_repository_git_errors_fail_open(tmp_path: Path) -> None:
    changes = from_git("a" * 40, "HEAD", run_git(tmp_path))
    assert changes.fail_open is not None
    assert "git cannot look up the base" in changes.fail_open
    assert "not a git repository" in changes.fail_open
    assert repo_root(run_git(tmp_path)) is None


def test_without_git_installed_it_fails_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no git binary on it
    assert run_git(tmp_path)(["status"]) == GitResult(127, "", "git is not installed")
    changes = from_git("a" * 40, "HEAD", run_git(tmp_path))
    assert changes.fail_open == "git cannot look up the base aaaaaaaaaaaa: git is not installed"


def test_a_failing_diff_fails_open_with_gits_message() -> None:
    def fake(args: list[str] | tuple[str, ...]) -> GitResult:
        if "diff" in args:
            return GitResult(128, "", "fatal: bad object\n")
        return GitResult(0, "", "")

    changes = from_git("a" * 40, "b" * 40, fake)
    assert changes.fail_open is not None
    assert changes.fail_open.startswith(
        f"git diff {'a' * 40}...{'b' * 40} failed (fatal: bad object)"
    )


def test_repo_root(repo: Path) -> None:
    (repo / "sub").mkdir()
    assert repo_root(run_git(repo / "sub")) == repo


# --- which source wins --------------------------------------------------------------------------


def pr_context(base: str | None, head: str | None, merge: str | None = None) -> ChangeContext:
    return ChangeContext("pull_request", base, head, "pull_request #7", "fast", True, merge)


def test_flags_win_over_the_event(repo: Path) -> None:
    listing = repo / "list.txt"
    listing.write_text("a.md\n", encoding="utf-8")
    changes = collect(
        changed_files=str(listing),
        base=None,
        head=None,
        context=pr_context("1" * 40, "2" * 40),
        git=run_git(repo),
        stdin=io.StringIO(),
    )
    assert changes is not None and changes.paths == ("a.md",)


def test_base_flag_diffs_against_head(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    commit(repo, {"prompts/new.md": "x\n"}, "second")
    changes = collect(
        changed_files=None,
        base=base,
        head=None,
        context=None,
        git=run_git(repo),
        stdin=io.StringIO(),
    )
    assert changes is not None and changes.paths == ("prompts/new.md",)


@pytest.mark.parametrize(
    ("changed", "base", "head", "message"),
    [
        ("x.txt", "abc", None, "pass --changed-files or --base, not both"),
        (None, None, "abc", "--head needs --base"),
    ],
)
def test_conflicting_flags_are_input_errors(
    changed: str | None, base: str | None, head: str | None, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        collect(
            changed_files=changed,
            base=base,
            head=head,
            context=None,
            git=run_git(),
            stdin=io.StringIO(),
        )


def test_no_flags_and_no_event_means_no_change_information() -> None:
    assert (
        collect(
            changed_files=None,
            base=None,
            head=None,
            context=None,
            git=run_git(),
            stdin=io.StringIO(),
        )
        is None
    )
    nightly = ChangeContext("schedule", None, None, "a scheduled run", "nightly")
    assert (
        collect(
            changed_files=None,
            base=None,
            head=None,
            context=nightly,
            git=run_git(),
            stdin=io.StringIO(),
        )
        is None
    )


def test_an_event_without_a_base_fails_open_with_its_reason() -> None:
    context = ChangeContext("push", None, "a" * 40, "push: the push event has no before", "fast")
    changes = collect(
        changed_files=None,
        base=None,
        head=None,
        context=context,
        git=run_git(),
        stdin=io.StringIO(),
    )
    assert changes == Changes((), "the push event", "push: the push event has no before")


def test_a_pull_request_falls_back_to_its_merge_commit(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    commit(repo, {"prompts/scheduler.md": "v2\n"}, "feature change")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"tools/calendar.json": '{"main": 1}\n'}, "main moved on")
    git(repo, "merge", "-q", "--no-ff", "-m", "test merge", "feature")
    merge = git(repo, "rev-parse", "HEAD")
    # base/head shas this clone does not have (fetch-depth 2 of the merge commit, say)
    changes = collect(
        changed_files=None,
        base=None,
        head=None,
        context=pr_context("1" * 40, "2" * 40, merge),
        git=run_git(repo),
        stdin=io.StringIO(),
    )
    assert changes is not None and changes.fail_open is None
    assert changes.paths == ("prompts/scheduler.md",)
    assert changes.source == f"git diff {merge[:12]}^1..{merge[:12]}"


def test_without_a_usable_merge_commit_the_first_reason_stands(repo: Path) -> None:
    changes = collect(
        changed_files=None,
        base=None,
        head=None,
        context=pr_context("1" * 40, "2" * 40, "3" * 40),
        git=run_git(repo),
        stdin=io.StringIO(),
    )
    assert changes is not None and changes.fail_open == f"the base {'1' * 12} is not in this clone"
