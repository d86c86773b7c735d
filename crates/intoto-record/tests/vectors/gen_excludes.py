#!/usr/bin/env python3
"""Generates excludes.json: exclude-pattern verdicts from the reference.

Each case compiles a list of patterns exactly as in-toto 3.1.0 does
(`pathspec.GitIgnoreSpec.from_lines("gitwildmatch", patterns)`, see
`in_toto/resolver/_resolver.py`) and records `match_file(path)` for every
path, or that compiling raised.

Run with the reference's interpreter (pathspec 1.1.1):

    /tmp/pyref/bin/python gen_excludes.py > excludes.json
"""

import json
import sys
import warnings

import pathspec
from pathspec import GitIgnoreSpec

PATTERN_SETS = [
    ["*.link*", ".git", "*.pyc", "*~"],
    ["*"],
    ["**"],
    ["*/"],
    ["**/"],
    ["/"],
    [""],
    ["# comment"],
    ["\\#hash"],
    ["!"],
    ["!/"],
    ["\\!bang"],
    ["foo"],
    ["foo/"],
    ["/foo"],
    ["/foo/"],
    ["foo/bar"],
    ["foo/*"],
    ["foo/**"],
    ["foo/**/bar"],
    ["**/bar"],
    ["a/**/b/**/c"],
    ["**/**/x"],
    ["foo/", "!foo/keep"],
    ["foo", "!foo/keep"],
    ["*.txt", "!important.txt"],
    ["!important.txt", "*.txt"],
    ["build/", "!build/"],
    ["*", "!*.c"],
    ["*", "!*/"],
    ["dir/", "!dir/sub/", "dir/sub/x"],
    ["ba?foo"],
    ["ba[xz]foo"],
    ["ba[!r]foo"],
    ["ba[^r]foo"],
    ["[]]x"],
    ["[]-]x"],
    ["[!]]x"],
    ["[a-]x"],
    ["[a-c]x"],
    ["[z-a]x"],
    ["[\\]x"],
    ["a[b"],
    ["[!"],
    ["[[:alpha:]]"],
    ["[a&&b]"],
    ["[a--b]"],
    ["[~~]"],
    ["\\*star"],
    ["\\?q"],
    ["\\[br"],
    ["trail\\"],
    ["space "],
    ["space\\ "],
    ["space\\  "],
    [" lead"],
    ["tab\t"],
    ["sep\x1c"],
    ["a//b"],
    ["a/./b"],
    ["./a"],
    ["../a"],
    ["*.py[co]"],
    ["résumé*"],
    ["日本/"],
    ["a.b"],
    ["a+b(c)|d$^{e}"],
    ["*.link*", "!keep.link"],
    ["."],
    [".."],
    ["/*"],
    ["/*/"],
    ["x/**/"],
    ["**/x/**"],
    ["**/*.c"],
    ["foo\n"],
    ["*\\"],
]

PATHS = [
    ".",
    "..",
    "foo",
    "foo/",
    "foo/bar",
    "foo/bar/baz",
    "foo/keep",
    "foo/keep/x",
    "x/foo",
    "x/foo/bar",
    "bar",
    "a/bar",
    "a/b/c/bar",
    "a/b/c",
    "a/x/b/y/c",
    "a/b/c/d",
    "x",
    "x/y",
    "y/x",
    "y/x/z",
    "build",
    "build/out.o",
    "dir/sub/x",
    "dir/sub/y",
    "dir/z",
    "foo.link",
    "sub/bar.abcdef12.link",
    ".step.abcdef12.link-unfinished",
    "a.link.bak",
    ".git",
    ".git/config",
    "sub/.git/HEAD",
    ".gitignore",
    "mod.pyc",
    "pkg/mod.pyo",
    "pkg/mod.py",
    "notes~",
    "dir~/file",
    "main.c",
    "src/main.c",
    "src/main.h",
    "important.txt",
    "other.txt",
    "d/important.txt",
    "bazfoo",
    "barfoo",
    "baxfoo",
    "ba/foo",
    "]x",
    "-x",
    "ax",
    "bx",
    "\\x",
    "a[b",
    "[!",
    "a",
    "b",
    "&",
    "~",
    "*star",
    "xstar",
    "?q",
    "xq",
    "[br",
    "#hash",
    "!bang",
    "bang",
    "keep.link",
    "space",
    "space ",
    " lead",
    "lead",
    "tab",
    "sep",
    "a/b",
    "a//b",
    "a/./b",
    "./a",
    "../a",
    "/a",
    "/foo",
    "/tmp/foo/bar",
    "/tmp/x.link",
    "résumé.pdf",
    "resume.pdf",
    "日本/語",
    "日本",
    "a.b",
    "axb",
    "a+b(c)|d$^{e}",
    "trail",
    "trail\\",
    "foo\n",
    "x\n",
    "\n",
    "file with spaces.txt",
    "dir with space/f",
    "star*",
    "back\\slash",
]


def main():
    warnings.simplefilter("ignore")
    cases = []
    for patterns in PATTERN_SETS:
        case = {"patterns": patterns}
        try:
            spec = GitIgnoreSpec.from_lines("gitwildmatch", patterns)
        except Exception as e:  # noqa: BLE001
            case["error"] = type(e).__name__
            cases.append(case)
            continue
        case["excluded"] = [p for p in PATHS if spec.match_file(p)]
        cases.append(case)
    json.dump(
        {
            "generator": "gen_excludes.py",
            "pathspec": pathspec.__version__,
            "paths": PATHS,
            "cases": cases,
        },
        sys.stdout,
        indent=1,
        ensure_ascii=False,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
