#!/usr/bin/env python3
"""Differential vectors for the artifact-rule engine, from the reference.

Run by hand with the reference installed (in-toto 3.1.0, CPython 3.11), from
this folder:

    /tmp/pyref/bin/python gen_rules.py > rules_differential.json

Each case is a small random item link, other links and a random rule list
drawn from all seven rule types, run through the reference's
`in_toto.verifylib.verify_item_rules`. The expected verdict is `pass`, or
`fail` with the index of the rule that raised and the diagnostic code the
Rust engine uses for it; `queues` is the sorted queue after each rule that
completed (the reference's RULE_TRACE). The output is committed; `cargo
test` replays it and needs no Python.

With `--check-cases DIR`, instead runs every `DIR/<case>/case.json`
scenario through the reference and reports where its `expected` verdict
differs (to keep the hand-written scenarios honest).
"""

import json
import os
import random
import sys

from in_toto.exceptions import RuleVerificationError
from in_toto.models.link import Link
import in_toto.verifylib as verifylib

assert sys.version_info[:2] == (3, 11), "generate with CPython 3.11, as the reference"

NAMES = [
    "a", "b", "a.py", "b.py", "src/a.py", "src/b.c", "src/sub/c.py", "lib/x",
    "lib/y.so", "lib//z", "/abs", "/lib/x", "/x", "/z", "dst/a.py",
    "dst/src/a.py", "out/lib/x", "dir\\file", "lib/a\\b", "lib/a/b",
    "foo bar", "é.txt", "[x]", "*", "a-b", ".hidden", "README.md", "x",
    "src\\a.py", "sub/c.py",
]
DIGESTS = [
    {"sha256": "aa"},
    {"sha256": "bb"},
    {"sha256": "aa", "sha512": "cc"},
    {"sha512": "cc"},
]
PATTERNS = [
    "*", "*", "*.py", "src/*", "a", "a.py", "?", "[ab]*", "[!a]*", "lib/*",
    "*/*", "x", "b*", "*c*", "[", "é*", "*\\*", "dir\\file", "lib", "sub/*",
    "/*", "*x", "a\\b", "[a-c]*", "**", "?.py", "src/*.py", "[^a]*",
]
SOURCE_PREFIXES = ["src", "src/", "lib", "lib/", "dir", "lib\\", "/", "dst", "sub"]
DEST_PREFIXES = ["dst", "dst/", "out", "out/lib", "/", "src", "lib"]
STEPS = ["s1", "s2"]
# Names the reference's MATCH rebuilds differently under a source prefix.
QUIRK_NAMES = ["lib//z", "lib/a\\b", "/z", "lib/a/b", "src//a.py", "/a.py", "src/a\\b.py"]


def word(rng, keyword):
    return rng.choice([keyword.upper(), keyword.lower(), keyword.title()])


def random_artifacts(rng, k):
    return {n: dict(rng.choice(DIGESTS)) for n in rng.sample(NAMES, k)}


def random_rule(rng, item):
    kind = rng.choice(["match", "match", "create", "delete", "modify", "allow",
                       "allow", "disallow", "require"])
    if kind == "match":
        rule = [word(rng, "match"), rng.choice(PATTERNS)]
        if rng.random() < 0.5:
            rule += [word(rng, "in"), rng.choice(SOURCE_PREFIXES)]
        rule += [word(rng, "with"), word(rng, rng.choice(["materials", "products"]))]
        if rng.random() < 0.4:
            rule += [word(rng, "in"), rng.choice(DEST_PREFIXES)]
        rule += [word(rng, "from"), rng.choice(STEPS + ["missing", item])]
        return rule
    if kind == "require":
        return [word(rng, kind), rng.choice(NAMES + PATTERNS)]
    return [word(rng, kind), rng.choice(PATTERNS)]


def derived_link(rng, name, item_link):
    """A link sharing some of the item's artifacts, some moved under a prefix."""
    link = {"materials": random_artifacts(rng, rng.randint(0, 3)),
            "products": random_artifacts(rng, rng.randint(0, 3))}
    for side in ("materials", "products"):
        for path, digests in item_link[side].items():
            if rng.random() < 0.5:
                continue
            target = rng.choice(["materials", "products"])
            moved = rng.choice([path, path, "dst/" + path, "out/" + path,
                                path.replace("src/", "", 1), path.replace("lib/", "out/lib/", 1)])
            same = rng.random() < 0.8
            link[target][moved] = dict(digests) if same else dict(rng.choice(DIGESTS))
    return link


def random_case(rng):
    item = rng.choice(["build", "s1"])
    materials = random_artifacts(rng, rng.randint(0, 6))
    quirky = rng.random() < 0.15
    if quirky:
        for path in rng.sample(QUIRK_NAMES, rng.randint(1, 4)):
            materials[path] = dict(rng.choice(DIGESTS))
    products = {}
    for path, digests in materials.items():
        roll = rng.random()
        if roll < 0.4:
            products[path] = dict(digests)
        elif roll < 0.6:
            products[path] = dict(rng.choice(DIGESTS))
    products.update(random_artifacts(rng, rng.randint(0, 4)))
    links = {item: {"materials": materials, "products": products}}
    for step in STEPS:
        if step != item and rng.random() < 0.85:
            links[step] = derived_link(rng, step, links[item])
    rules = [random_rule(rng, item) for _ in range(rng.randint(0, 6))]
    if quirky:
        rules.insert(rng.randint(0, len(rules)), [
            "MATCH", rng.choice(["*", "*", "z", "a*", "/*"]), "IN", rng.choice(["lib", "src/"]),
            "WITH", rng.choice(["MATERIALS", "PRODUCTS"]), "FROM", rng.choice(STEPS + [item])])
    if rng.random() < 0.5:
        rules.append([word(rng, "disallow"), rng.choice(["*", "*", "*.py", "src/*"])])
    return {
        "item": item,
        "artifact_type": rng.choice(["materials", "products"]),
        "rules": rules,
        "links": links,
    }


def run_reference(case):
    links = {
        name: Link(name=name, materials=l["materials"], products=l["products"])
        for name, l in case["links"].items()
    }
    try:
        verifylib.verify_item_rules(case["item"], case["artifact_type"], case["rules"], links)
        error = None
    except RuleVerificationError:
        error = "rule"
    except KeyError:
        error = "key"
    trace = verifylib.RULE_TRACE["trace"]
    queues = [sorted(entry["queue"]) for entry in trace]
    if error is None:
        return {"verdict": "pass", "queues": queues}
    index = len(trace)
    kind = case["rules"][index][0].lower()
    code = {
        ("rule", "disallow"): "rule-disallow-matched",
        ("rule", "require"): "rule-require-missing",
        ("key", "match"): "rule-match-source-unresolved",
    }[(error, kind)]
    return {"verdict": "fail", "rule": index, "code": code, "queues": queues}


def check_cases(folder):
    bad = 0
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name, "case.json")
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            case = json.load(f)
        got = run_reference(case)
        want = case["expected"]
        same = got["verdict"] == want["verdict"] and (
            got["verdict"] == "pass"
            or (got["rule"] == want["rule"] and got["code"] == want["code"]))
        print(("ok   " if same else "DIFF ") + name + ("" if same else f": reference {got}"))
        bad += not same
    return bad


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check-cases":
        sys.exit(1 if check_cases(sys.argv[2]) else 0)
    rng = random.Random(20260902)
    cases = []
    for _ in range(400):
        case = random_case(rng)
        case["expected"] = run_reference(case)
        cases.append(case)
    sys.stdout.write('{"generator": "gen_rules.py", "reference": "in-toto 3.1.0", "cases": [\n')
    sys.stdout.write(",\n".join(json.dumps(c, ensure_ascii=False) for c in cases))
    sys.stdout.write("\n]}\n")


if __name__ == "__main__":
    main()
