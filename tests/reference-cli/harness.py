"""Runs in-toto 3.1.0's own command-line tests against a directory of programs.

The sdist's tests/test_in_toto_*.py call each CLI in-process: CliTestCase.
assert_cli_sys_exit patches sys.argv, calls the module's main() and asserts
its SystemExit code. This harness swaps only that call: it runs
`<BIN_DIR>/<program> <args>` as a subprocess in the test's current directory
and asserts its exit code. Everything else (setup, the reference library used
to inspect outputs, the assertions) runs unchanged from the sdist.

    target/pyref/bin/python tests/reference-cli/harness.py \
        --bin-dir target/pyref/bin --sdist target/pyref-sdist/in_toto-3.1.0

Run it with the reference venv's python: the tests import in_toto and
securesystemslib. See README.md beside this file.
"""

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET
from unittest import mock

MODULES = [
    "tests.test_in_toto_run",
    "tests.test_in_toto_record",
    "tests.test_in_toto_verify",
    "tests.test_in_toto_sign",
    "tests.test_in_toto_mock",
    "tests.test_in_toto_match_products",
]
EXPECTED_TESTS = 41
CALL_TIMEOUT = 120  # seconds for one program run; none needs more than ~2 s

# Tests that cannot be expressed as a program run, with the reason. They run
# in-process against the reference Python module, unchanged, and are flagged.
IN_PROCESS = {
    "tests.test_in_toto_match_products.TestInTotoMatchProducts."
    "test_check_args": "asserts the arguments the Python CLI passes to its "
    "(mocked) library function; no subprocess can show that",
}

BIN_DIR = None  # set from --bin-dir
SDIST = None  # set from --sdist
current_test = None  # id of the running test
calls = []  # program runs of the running test, for the report
gpg_homes = set()  # gpg home directories the tests set up


class Call:
    """One program run: argv, cwd, what was fed on stdin and what came back."""

    def __init__(self, argv, cwd, stdin_text):
        self.argv, self.cwd, self.stdin_text = argv, cwd, stdin_text
        self.code = self.stdout = self.stderr = None

    def describe(self):
        fed = "/dev/null" if self.stdin_text is None else repr(self.stdin_text)
        return (
            f"  $ cd {shlex.quote(self.cwd)} && {shlex.join(self.argv)}\n"
            f"  stdin: {fed}\n  exit code: {self.code}\n"
            f"  stdout:\n{_indent(self.stdout)}\n  stderr:\n{_indent(self.stderr)}"
        )

    def as_dict(self):
        return {k: getattr(self, k) for k in
                ("argv", "cwd", "stdin_text", "code", "stdout", "stderr")}


def _indent(text):
    return "\n".join("    | " + line for line in (text or "").splitlines())


def run_program(program, args, stdin_text=None, cwd=None):
    """Run BIN_DIR/program with args; feed stdin_text (else /dev/null).

    start_new_session=True detaches the program from any controlling
    terminal, so a password prompt must fall back to standard input, as
    Python's getpass does. On timeout the program's process group is killed.
    """
    call = Call([os.path.join(BIN_DIR, program)] + [str(a) for a in args],
                cwd or os.getcwd(), stdin_text)
    calls.append(call)
    proc = subprocess.Popen(
        call.argv, cwd=call.cwd, text=True, errors="replace",
        stdin=subprocess.DEVNULL if stdin_text is None else subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        call.stdout, call.stderr = proc.communicate(stdin_text, CALL_TIMEOUT)
        call.code = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        call.code = f"killed after {CALL_TIMEOUT}s"
        try:
            call.stdout, call.stderr = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:  # a detached child holds the pipes
            call.stdout = call.stderr = "(unavailable: pipe held open)"
    return call


def program_name(module_name):
    """in_toto.in_toto_run -> in-toto-run"""
    return module_name.rsplit(".", 1)[-1].replace("_", "-")


def prompt_answer(module_name):
    """PW + newline if the test mocks `<module>.getpass` to return PW."""
    fake = getattr(sys.modules[module_name], "getpass", None)
    if isinstance(fake, mock.Mock):
        return f"{fake.return_value}\n"
    return None


def install_swaps():
    """Swap the tests' program invocations for subprocess runs."""
    import in_toto.in_toto_match_products as match_cli
    import tests.common

    original_assert = tests.common.CliTestCase.assert_cli_sys_exit

    def assert_cli_sys_exit(self, cli_args, status):
        if current_test in IN_PROCESS:
            return original_assert(self, cli_args, status)
        module = self.cli_main_func.__module__
        call = run_program(program_name(module), cli_args,
                           prompt_answer(module))
        self.assertEqual(call.code, status,
                         f"{shlex.join(call.argv)} exited {call.code}")

    tests.common.CliTestCase.assert_cli_sys_exit = assert_cli_sys_exit

    # test_in_toto_match_products calls match_cli.main() directly, with
    # match_cli.sys.argv patched and the library function match_products
    # mocked to return (only_products, not_in_products, differ). A mock
    # cannot reach another process, so the harness runs the program in a
    # fresh directory whose files make the real function return sets that
    # are empty/non-empty exactly like the mocked ones (the exit code
    # depends only on that). The test's link, demo_files/write-code.*.link,
    # has one product, foo.py, whose content is foo.py in foo.tar.gz.
    original_main = match_cli.main

    def match_products_main():
        if current_test in IN_PROCESS:
            return original_main()
        api, args = match_cli.match_products, match_cli.sys.argv[1:]
        if not isinstance(api, mock.Mock):
            sys.exit(run_program("in-toto-match-products", args).code)
        only_products, not_in_products, differ = api.return_value
        tarball = os.path.join(SDIST, "tests", "demo_files", "foo.tar.gz")
        with tarfile.open(tarball) as tar:
            foo_py = tar.extractfile("foo.py").read()
        with tempfile.TemporaryDirectory() as work:
            if not only_products:  # else foo.py is missing: only in products
                with open(os.path.join(work, "foo.py"), "wb") as f:
                    f.write(foo_py + (b"# changed\n" if differ else b""))
            for name in not_in_products:  # files the link does not list
                open(os.path.join(work, name), "wb").close()
            call = run_program("in-toto-match-products", args, cwd=work)
        sys.exit(call.code)

    match_cli.main = match_products_main

    # gpg starts a gpg-agent for each test keyring (`<test_dir>/rsa`). It
    # detaches (stdio on /dev/null, own session), so it cannot hold a run's
    # pipes; it would also exit by itself once the test removes the directory
    # (it watches its socket), but stop it explicitly and at once, before the
    # test's own teardown removes the directory.
    original_setup = tests.common.GPGKeysMixin.set_up_gpg_keys.__func__
    original_teardown = tests.common.TmpDirMixin.tear_down_test_dir.__func__

    def set_up_gpg_keys(cls):
        original_setup(cls)
        gpg_homes.add(os.path.realpath(cls.gnupg_home))

    def tear_down_test_dir(cls):
        for home in [h for h in gpg_homes if h.startswith(cls.test_dir + os.sep)]:
            kill_gpg_agent(home)
        original_teardown(cls)

    tests.common.GPGKeysMixin.set_up_gpg_keys = classmethod(set_up_gpg_keys)
    tests.common.TmpDirMixin.tear_down_test_dir = classmethod(tear_down_test_dir)


def kill_gpg_agent(home):
    """Stop the gpg-agent serving gpg home directory `home`, if any."""
    gpg_homes.discard(home)
    if not os.path.isdir(home):
        return
    subprocess.run(["gpgconf", "--homedir", home, "--kill", "gpg-agent"],
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False, timeout=30)


class Result(unittest.TestResult):
    """Prints one line per test, with details of the program runs on failure,
    and keeps records for the summary and the --json/--junit reports."""

    def __init__(self):
        super().__init__()
        self.buffer = True  # hide the in-process library logging of passes
        self.records = []

    def startTest(self, test):
        global current_test
        current_test = test.id()
        calls.clear()
        self.started = time.monotonic()
        super().startTest(test)

    def _record(self, test, outcome, err=None):
        # A failing setUpClass is reported without startTest: no runs of its own.
        ran = test.id() == current_test
        if isinstance(err, str):  # a skip reason
            detail = err
        else:
            detail = "" if err is None else self._exc_info_to_string(err, test)
        runs = calls if ran else []
        rec = {"id": test.id(), "outcome": outcome,
               "seconds": round(time.monotonic() - self.started, 3) if ran else 0,
               "in_process": IN_PROCESS.get(test.id()),
               "detail": detail, "calls": [c.as_dict() for c in runs],
               "last_run": runs[-1].describe() if runs else ""}
        self.records.append(rec)
        note = f" [in-process: {rec['in_process']}]" if rec["in_process"] else ""
        print(f"{outcome:5} {test.id()} ({rec['seconds']:.2f}s, "
              f"{len(runs)} program runs){note}", file=sys.__stdout__)
        if outcome in ("FAIL", "ERROR"):
            print(_indent(detail), file=sys.__stdout__)
            if runs:
                print("  last program run:\n" + rec["last_run"],
                      file=sys.__stdout__)
        sys.__stdout__.flush()

    def addSuccess(self, test):
        super().addSuccess(test)
        self._record(test, "PASS")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._record(test, "FAIL", err)

    def addError(self, test, err):  # also a failing setUpClass/tearDownClass
        super().addError(test, err)
        self._record(test, "ERROR", err)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._record(test, "SKIP", reason)


def write_json(path, records, summary):
    with open(path, "w") as f:
        json.dump({"bin_dir": BIN_DIR, "sdist": SDIST, "summary": summary,
                   "tests": records}, f, indent=1)


def write_junit(path, records, seconds):
    suite = ET.Element("testsuite", name="reference-cli", tests=str(len(records)),
                       failures=str(sum(r["outcome"] == "FAIL" for r in records)),
                       errors=str(sum(r["outcome"] == "ERROR" for r in records)),
                       skipped=str(sum(r["outcome"] == "SKIP" for r in records)),
                       time=f"{seconds:.3f}")
    for r in records:
        classname, _, name = r["id"].rpartition(".")
        case = ET.SubElement(suite, "testcase", classname=classname, name=name,
                             time=f"{r['seconds']:.3f}")
        tag = {"FAIL": "failure", "ERROR": "error", "SKIP": "skipped"}.get(
            r["outcome"])
        if tag:
            text = r["detail"]
            if r["last_run"]:
                text += "\nlast program run:\n" + r["last_run"]
            message = (r["detail"].strip().splitlines() or [tag])[-1]
            ET.SubElement(case, tag, message=message).text = text
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def main():
    global BIN_DIR, SDIST
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin-dir", required=True,
                        help="directory with in-toto-run, in-toto-verify, ...")
    parser.add_argument("--sdist", required=True,
                        help="unpacked in-toto 3.1.0 sdist (has tests/)")
    parser.add_argument("--json", metavar="PATH", help="write a JSON report")
    parser.add_argument("--junit", metavar="PATH", help="write a JUnit XML report")
    parser.add_argument("-k", dest="only", action="append", default=[],
                        metavar="TEXT", help="run only tests whose id contains "
                        "TEXT (repeatable); lifts the 41-tests requirement")
    opts = parser.parse_args()
    BIN_DIR = os.path.realpath(opts.bin_dir)
    SDIST = os.path.realpath(opts.sdist)
    for program in ("in-toto-run", "in-toto-record", "in-toto-verify",
                    "in-toto-sign", "in-toto-mock", "in-toto-match-products"):
        if not os.access(os.path.join(BIN_DIR, program), os.X_OK):
            parser.error(f"{BIN_DIR}/{program} is not an executable program")
    if not os.path.isfile(os.path.join(SDIST, "tests", "common.py")):
        parser.error(f"{SDIST}/tests/common.py not found")

    # `tests` comes from the sdist; `in_toto` must stay the installed one
    # (the sdist root also has an in_toto/ source tree), so append, not insert.
    sys.path.append(SDIST)
    os.chdir(SDIST)
    try:
        import in_toto
        import tests.common
    except ImportError as e:
        sys.exit(f"cannot import the reference ({e}); run this with the "
                 "python of the in-toto 3.1.0 venv (target/pyref/bin/python)")
    if in_toto.__file__.startswith(SDIST + os.sep) or \
            not tests.common.__file__.startswith(SDIST + os.sep):
        sys.exit(f"wrong imports: in_toto from {in_toto.__file__}, tests from "
                 f"{tests.common.__file__}; use the venv's python")

    suite = unittest.defaultTestLoader.loadTestsFromNames(MODULES)
    if opts.only:
        def keep(s):
            return unittest.TestSuite(
                keep(t) if isinstance(t, unittest.TestSuite) else t
                for t in s if isinstance(t, unittest.TestSuite)
                or any(k in t.id() for k in opts.only))
        suite = keep(suite)
    install_swaps()
    print(f"reference CLI tests: programs from {BIN_DIR}, tests from "
          f"{SDIST}/tests, python {sys.version.split()[0]}", flush=True)

    started = time.monotonic()
    result = Result()
    try:
        suite.run(result)
    finally:
        for home in list(gpg_homes):  # left by a test class that broke off
            kill_gpg_agent(home)
    seconds = time.monotonic() - started

    counts = {o: sum(r["outcome"] == o for r in result.records)
              for o in ("PASS", "FAIL", "ERROR", "SKIP")}
    failed = counts["FAIL"] + counts["ERROR"]
    in_process = sum(bool(r["in_process"]) for r in result.records)
    enough = bool(opts.only) or counts["PASS"] >= EXPECTED_TESTS
    summary = (f"reference CLI tests: {counts['PASS']} passed, {failed} failed"
               + (f", {counts['SKIP']} skipped" if counts["SKIP"] else "")
               + (f" ({in_process} of them in-process)" if in_process else "")
               + f" in {seconds:.1f}s")
    if not enough:
        summary += f" -- expected {EXPECTED_TESTS} passing tests"
    print(summary)
    if opts.json:
        write_json(opts.json, result.records, summary)
    if opts.junit:
        write_junit(opts.junit, result.records, seconds)
    return 0 if failed == 0 and enough else 1


if __name__ == "__main__":
    sys.exit(main())
