"""Glob dialects: GitHub's `paths:` filter checked against every example of GitHub's own cheat
sheet, and the gitignore dialect through pathspec."""

from __future__ import annotations

import re
import time

import pytest

from gate.globs import PatternError, compile_filter, github_regex, literal_prefix

# GitHub docs, content/actions/reference/workflows-and-actions/workflow-syntax.md, "Filter pattern
# cheat sheet": every row of both tables, every example path. (patterns, path, included)
BRANCHES_AND_TAGS = [
    (["feature/*"], "feature/my-branch", True),
    (["feature/*"], "feature/your-branch", True),
    (["feature/**"], "feature/beta-a/my-branch", True),
    (["feature/**"], "feature/your-branch", True),
    (["feature/**"], "feature/mona/the/octocat", True),
    (["main"], "main", True),
    (["releases/mona-the-octocat"], "releases/mona-the-octocat", True),
    (["*"], "main", True),
    (["*"], "releases", True),
    (["**"], "all/the/branches", True),
    (["**"], "every/tag", True),
    (["*feature"], "mona-feature", True),
    (["*feature"], "feature", True),
    (["*feature"], "ver-10-feature", True),
    (["v2*"], "v2", True),
    (["v2*"], "v2.0", True),
    (["v2*"], "v2.9", True),
    (["v[12].[0-9]+.[0-9]+"], "v1.10.1", True),
    (["v[12].[0-9]+.[0-9]+"], "v2.0.0", True),
]
FILE_PATHS = [
    (["*"], "README.md", True),
    (["*"], "server.rb", True),
    (["*.jsx?"], "page.js", True),
    (["*.jsx?"], "page.jsx", True),
    (["**"], "all/the/files.md", True),
    (["*.js"], "app.js", True),
    (["*.js"], "index.js", True),
    (["**.js"], "index.js", True),
    (["**.js"], "js/index.js", True),
    (["**.js"], "src/js/app.js", True),
    (["docs/*"], "docs/README.md", True),
    (["docs/*"], "docs/file.txt", True),
    (["docs/**"], "docs/README.md", True),
    (["docs/**"], "docs/mona/octocat.txt", True),
    (["docs/**/*.md"], "docs/README.md", True),
    (["docs/**/*.md"], "docs/mona/hello-world.md", True),
    (["docs/**/*.md"], "docs/a/markdown/file.md", True),
    (["**/docs/**"], "docs/hello.md", True),
    (["**/docs/**"], "dir/docs/my-file.txt", True),
    (["**/docs/**"], "space/docs/plan/space.doc", True),
    (["**/README.md"], "README.md", True),
    (["**/README.md"], "js/README.md", True),
    (["**/*src/**"], "a/src/app.js", True),
    (["**/*src/**"], "my-src/code/js/app.js", True),
    (["**/*-post.md"], "my-post.md", True),
    (["**/*-post.md"], "path/their-post.md", True),
    (["**/migrate-*.sql"], "migrate-10909.sql", True),
    (["**/migrate-*.sql"], "db/migrate-v1.0.sql", True),
    (["**/migrate-*.sql"], "db/sept/migrate-v1.sql", True),
    (["*.md", "!README.md"], "hello.md", True),
    (["*.md", "!README.md"], "README.md", False),  # "Does not match"
    (["*.md", "!README.md"], "docs/hello.md", False),  # "Does not match"
    (["*.md", "!README.md", "README*"], "hello.md", True),
    (["*.md", "!README.md", "README*"], "README.md", True),
    (["*.md", "!README.md", "README*"], "README.doc", True),
]
# What the descriptions say does NOT match (no example column for these, so derived from the text).
DESCRIBED_MISSES = [
    (["feature/*"], "feature/mona/the/octocat", False),  # `*` does not match `/`
    (["*"], "all/the/branches", False),  # "names that don't contain a slash"
    (["*.js"], "src/app.js", False),  # "at the root of the repository"
    (["docs/*"], "docs/mona/octocat.txt", False),  # "within the root of the docs directory only"
    (["*.jsx?"], "page.jsxx", False),  # zero or ONE of the preceding character
    (["*.jsx?"], "page.j", False),  # the `?` applies to `x` only
    (["v[12].[0-9]+.[0-9]+"], "v3.0.0", False),  # major version 1 or 2
    (["v[12].[0-9]+.[0-9]+"], "v1..1", False),  # `+` is one or more
    (["docs/**"], "mydocs/README.md", False),  # anchored at the repository root
    (["**/README.md"], "js/NOT-README.md", False),
    (["**/*-post.md"], "path/post.md", False),
]


@pytest.mark.parametrize(
    ("patterns", "path", "included"), BRANCHES_AND_TAGS + FILE_PATHS + DESCRIBED_MISSES
)
def test_github_dialect_matches_the_cheat_sheet(
    patterns: list[str], path: str, included: bool
) -> None:
    assert (compile_filter(patterns).match(path) is not None) is included


def test_the_cheat_sheet_table_is_complete() -> None:
    # 8 branch/tag rows (9 patterns) and 15 path rows: every example path of both tables.
    assert len(BRANCHES_AND_TAGS) == 19 and len(FILE_PATHS) == 35


def test_match_names_the_deciding_pattern_last_match_wins() -> None:
    path_filter = compile_filter(["*.md", "!README.md", "README*"])
    assert path_filter.match("hello.md") == "*.md"
    assert path_filter.match("README.md") == "README*"  # re-included by the later pattern
    assert compile_filter(["prompts/**", "!prompts/README.md"]).match("prompts/README.md") is None


def test_hits_keeps_the_given_order_and_skips_excluded_paths() -> None:
    path_filter = compile_filter(["prompts/**", "!**/README.md"])
    paths = ["prompts/z.md", "README.md", "prompts/README.md", "prompts/a/b.md"]
    assert path_filter.hits(paths) == [
        ("prompts/z.md", "prompts/**"),
        ("prompts/a/b.md", "prompts/**"),
    ]


@pytest.mark.parametrize(
    ("pattern", "regex"),
    [
        ("**/docs/**", r"(?:.+/)?docs/.*"),
        ("*.jsx?", r"[^/]*\.jsx?"),
        ("v[12].[0-9]+", r"v[12]\.[0-9]+"),
        (r"a\*b", r"a\*b"),
        ("a+b", "a+b"),
    ],
)
def test_translation(pattern: str, regex: str) -> None:
    assert github_regex(pattern) == regex


def test_special_characters_are_literal_outside_the_dialect() -> None:
    path_filter = compile_filter(["a.(b)|c$"])
    assert path_filter.match("a.(b)|c$") is not None
    assert path_filter.match("axbc") is None
    assert compile_filter([r"what\?.md"]).match("what?.md") is not None


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("?x", "'?' must follow a character"),
        ("*+", "'+' must follow a character"),
        ("a??", "'?' must follow a character"),
        ("a[]", "empty brackets"),
        ("a[!x]", "only letters, digits and ranges"),
        ("a[.]", "only letters, digits and ranges"),
        ("a[z-a]", "ranges can only be within a-z, A-Z or 0-9"),
        ("a[a-Z]", "ranges can only be within a-z, A-Z or 0-9"),
        ("[abc", "has no closing ']'"),
        ("a\\", "escapes nothing"),
        ("!", "empty"),
    ],
)
def test_invalid_github_patterns_are_errors_naming_pattern_and_position(
    pattern: str, message: str
) -> None:
    with pytest.raises(PatternError, match=re.escape(message)) as info:
        compile_filter([pattern, "x"] if pattern != "!" else [pattern])
    assert repr(pattern) in str(info.value)


def test_only_negated_patterns_is_an_error_not_an_empty_filter() -> None:
    with pytest.raises(PatternError, match="matches nothing"):
        compile_filter(["!README.md", "!docs/**"])


def test_unknown_syntax() -> None:
    with pytest.raises(PatternError, match="unknown pattern syntax 'regex'"):
        compile_filter(["*"], "regex")


# gitignore, as pathspec reads it: where it differs from GitHub's dialect on the same table.
@pytest.mark.parametrize(
    ("patterns", "path", "included"),
    [
        (["*.js"], "src/app.js", True),  # no slash: matches at any depth (GitHub: root only)
        (["docs/*"], "docs/mona/octocat.txt", True),  # a matched folder includes its subtree
        (["*.jsx?"], "page.jsxa", True),  # `?` is one character (GitHub: zero or one `x`)
        (["*.jsx?"], "page.js", False),
        (["/*.js"], "src/app.js", False),  # a leading slash anchors
        (["docs/**"], "docs/mona/octocat.txt", True),
        (["*.md", "!README.md"], "docs/README.md", False),
        (["*.md", "!README.md", "README*"], "README.md", True),
    ],
)
def test_gitignore_dialect(patterns: list[str], path: str, included: bool) -> None:
    assert (compile_filter(patterns, "gitignore").match(path) is not None) is included


def test_gitignore_names_the_deciding_pattern() -> None:
    path_filter = compile_filter(
        ["tools/**", "!tools/legacy/**", "tools/legacy/keep.json"], "gitignore"
    )
    assert path_filter.match("tools/a.json") == "tools/**"
    assert path_filter.match("tools/legacy/old.json") is None
    assert path_filter.match("tools/legacy/keep.json") == "tools/legacy/keep.json"


def test_gitignore_pattern_that_matches_nothing_is_an_error() -> None:
    with pytest.raises(PatternError, match="matches nothing in gitignore syntax"):
        compile_filter(["# a comment"], "gitignore")


@pytest.mark.parametrize("syntax", ["github", "gitignore"])
def test_a_backtracking_glob_on_a_long_path_is_linear(syntax: str) -> None:
    hostile = compile_filter(["**a**a**a**a**a**a**a**a**b", "*a*a*a*a*a*a*a*a*a*b"], syntax)
    started = time.monotonic()
    for length in (60, 4_000):
        assert hostile.match("a" * length) is None
        assert hostile.match("/".join(["a" * 30] * 100) + "c") is None
    assert time.monotonic() - started < 2.0  # Python's re took 45 s for the 60-char path


def test_an_undecodable_file_name_still_matches() -> None:
    # git and os.fsdecode hand such names over with lone surrogates, which RE2 cannot encode
    assert compile_filter(["src/**/*.py"]).match("src/x/\udcffy.py") == "src/**/*.py"


@pytest.mark.parametrize(
    "patterns",
    [
        ["prompts/area1/**"],
        ["prompts/**", "!prompts/area2/**"],
        ["prompts/areax?1/*.md", "docs/a+b/**"],
        ["prompts/area[0-9]/x.md", "src/\\*/y"],
        ["**/*.md"],
        ["prompts"],
    ],
)
def test_hits_sorted_finds_what_hits_finds(patterns: list[str]) -> None:
    paths = sorted(
        [
            "prompts",
            "prompts/area1/a.md",
            "prompts/area10/a.md",
            "prompts/area2/x.md",
            "prompts/area3/x.md",
            "prompts/areax1/p.md",
            "prompts/area1/p.md",
            "docs/ab/c",
            "docs/aab/c",
            "docs/b/c",
            "src/*/y",
            "zeta/q.md",
        ]
    )
    path_filter = compile_filter(patterns)
    assert path_filter.hits_sorted(paths) == path_filter.hits(paths)


def test_literal_prefix_stops_before_anything_special() -> None:
    assert literal_prefix("prompts/area1/**") == "prompts/area1/"
    assert literal_prefix("docs/a+b") == "docs/"
    assert literal_prefix("x/ab?c") == "x/a"
    assert literal_prefix("[ab]/c") == ""
    assert literal_prefix("plain/file.md") == "plain/file.md"
