#!/usr/bin/env python3
"""Generate fnmatch.json: CPython's own fnmatch verdicts for the Rust port.

Run by hand with CPython 3.11 (the reference's interpreter), from this folder:

    /tmp/pyref/bin/python gen_fnmatch.py > fnmatch.json

The output is committed; `cargo test` reads it and needs no Python. Each case
holds a pattern, CPython's `fnmatch.translate` text for it, and names with
`fnmatch.fnmatchcase` verdicts.

With `--exhaustive PATH`, also writes every pattern of up to 5 characters
over a small alphabet of metacharacters, each against a set of names, to
PATH (not committed; point INTOTO_FNMATCH_EXHAUSTIVE at it when running the
Rust test to check it too).
"""

import fnmatch
import itertools
import json
import random
import sys
import warnings

# The regex module warns about "possible nested set" for some translations.
warnings.simplefilter("ignore")

assert sys.version_info[:2] == (3, 11), "generate with CPython 3.11, as the reference"

TRICKY = [
    # Stars and question marks.
    "*", "**", "***", "?", "??", "*?", "?*", "*.py", "**/*.py", "*/*", "src/*",
    "src/*.c", "*.tar.gz", "a*b*c", "a*a", "*a*", "*a", "a*", "", "a", "a/b",
    # Things that are not fnmatch syntax.
    "{a,b}", "{a,b}*", "\\*", "\\", "a\\b", "\\[a]", "a\\*b", "~", "$a", "a.b", "(a)",
    "a+", "a|b", "^a", "a$", "#x", "a b",
    # Brackets.
    "[", "a[", "*[", "[a", "[]", "[]]", "[]]]", "[!]", "[!]]", "[!]a]", "[]a]",
    "[^a]*", "[^a]", "a[^]b", "[!a]", "[!a]*", "[ab]", "[a-c]", "[!a-c]", "[a-]",
    "[-a]", "[-]", "[!-]", "[--]", "[---]", "[a--]", "[--a]", "[z-a]", "[!z-a]",
    "[b-a!x]", "[b-a!-cd]", "[a-c-e]", "[a-cb-a]", "[c-a-e]", "[!b-a-z]",
    "[a-z0-9]", "[[]", "[[a]", "[a[]", "[[:alpha:]]", "[[:digit:]]*", "[a&&b]",
    "[a||b]", "[a~~b]", "[&]", "[\\]", "[\\]]", "[\\-a]", "[a-\\]", "[!\\]",
    "[]-a]", "[!]-a]", "[^-a]", "[a-a]", "[é-ë]", "[!é]", "[\n]", "[?]", "[*]",
    # Unicode and control characters.
    "é", "*é", "日本*", "?é", "\n", "*\n", "a\nb", "\t*",
    # Directory-like patterns.
    "dir/", "dir/*/", ".*", "*.", "./*", "../*",
]

NAMES = [
    "", "a", "b", "c", "-", "!", "^", "]", "[", "\\", "&", "*", "?", "{a,b}", "ab",
    "aa", "abc", "a/b", "a.py", "b.py", "a/b.py", "a/b/c.py", "src/a.c",
    "src/x/y.c", "x.tar.gz", "\\abc", "a\\b", "a[", "a[^]b", "a^b", ".hidden",
    "é", "ë", "日本語", "\n", "a\nb", "x\n", "\t", ":", "z", "m", "y", "x",
    "dir/", "dir/x/", "./x", "../x", "a b", "0", "#x",
]

# Characters that exercise the translation.
ALPHABET = ["[", "]", "!", "-", "^", "\\", "*", "?", "a", "b", "z", "&", "/"]
SHORT_NAMES = ["", "a", "b", "z", "m", "-", "!", "^", "]", "[", "\\", "&", "/",
               "ab", "a-", "[a", "a]", "[!]", "[]", "ba", "aaa", "a/b", "[-]"]


def verdicts(pattern, names):
    return [[n, fnmatch.fnmatchcase(n, pattern)] for n in names]


def case(pattern, names):
    return {
        "pattern": pattern,
        "translate": fnmatch.translate(pattern),
        "names": verdicts(pattern, names),
    }


def main():
    rng = random.Random(20260901)
    cases = []
    seen = set()
    for pattern in TRICKY:
        if pattern in seen:
            continue
        seen.add(pattern)
        names = list(NAMES)
        # Add a few names built from the pattern itself.
        names += [pattern, pattern.replace("*", ""), pattern.replace("*", "x/y")]
        names = list(dict.fromkeys(names))
        cases.append(case(pattern, names))
    # Random short patterns over the metacharacter alphabet.
    while len(cases) < 260:
        pattern = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 7)))
        if pattern in seen:
            continue
        seen.add(pattern)
        names = rng.sample(SHORT_NAMES, 10)
        cases.append(case(pattern, names))
    # One case per line keeps diffs readable.
    sys.stdout.write('{"generator": "gen_fnmatch.py", "python": %s, "cases": [\n'
                     % json.dumps(sys.version.split()[0]))
    sys.stdout.write(",\n".join(json.dumps(c, ensure_ascii=False) for c in cases))
    sys.stdout.write("\n]}\n")

    if len(sys.argv) == 3 and sys.argv[1] == "--exhaustive":
        big = []
        small = ["[", "]", "!", "-", "^", "\\", "*", "a", "b", "z"]
        for length in range(0, 6):
            for t in itertools.product(small, repeat=length):
                pattern = "".join(t)
                big.append(case(pattern, SHORT_NAMES))
        with open(sys.argv[2], "w", encoding="utf-8") as f:
            json.dump({"cases": big}, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
