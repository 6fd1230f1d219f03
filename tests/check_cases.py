"""check_cases.py: a list of check functions as a unittest.TestCase.

Not a test itself (CTest runs tests/test_*.py). The end-to-end tests are
written as plain functions, listed in CHECKS in the order they are written,
so that each reads top to bottom as a user's session would. This module
turns such a list into a TestCase whose methods keep that order
(test_00_<name>, test_01_<name>, ...: unittest runs a case's methods in
name order), so that unittest gives them what a hand-written runner did not:

    python3 -m unittest discover -s tests -p 'test_*.py'   # discovery
    python3 tests/test_shards.py -k merge                  # selection
    python3 tests/test_shards.py -v                        # one line per check

and a check that cannot run here (no $SWEEP_BINARY) is reported as skipped.
Each file still ends in unittest.main(), whose exit status CTest reads.
"""

import os
import sys
import tempfile
import unittest

BINARY = os.environ.get("SWEEP_BINARY", "")


def require_binary():
    """The tests that run the program need $SWEEP_BINARY (CTest sets it to
    the built program). Unset: they are skipped, as when run by hand from a
    source tree. Set but not an executable: that is a broken set-up, a
    failure, never a skip."""
    if not BINARY:
        raise unittest.SkipTest("SWEEP_BINARY is not set (CTest sets it to the built sweep)")
    if not os.access(BINARY, os.X_OK):
        raise AssertionError(f"SWEEP_BINARY is not an executable: {BINARY!r}")


def method_name(index, check):
    return f"test_{index:02d}_{check.__name__.removeprefix('test_')}"


def checks_case(name, checks, call, needs_binary=True, set_up_class=None,
                tear_down_class=None):
    """A TestCase named `name` with one method per check, in list order.
    `call(case, check)` runs one check (with the arguments it takes);
    `set_up_class()` runs once before the first (after require_binary when
    `needs_binary`), `tear_down_class()` once after the last (also when a
    check failed)."""
    def method(check):
        def run(self):
            call(self, check)
        run.__doc__ = check.__doc__
        return run
    attributes = {method_name(index, check): method(check) for index, check in enumerate(checks)}
    def set_up(cls):
        if needs_binary:
            require_binary()
        if set_up_class is not None:
            set_up_class()
    attributes["setUpClass"] = classmethod(set_up)
    # Named after the test file that made it, as a class written there would be.
    attributes["__module__"] = sys._getframe(1).f_globals["__name__"]
    if tear_down_class is not None:
        attributes["tearDownClass"] = classmethod(lambda cls: tear_down_class())
    return type(name, (unittest.TestCase,), attributes)


def without_arguments(case, check):
    check()


def in_fresh_folder(prefix):
    """A `call` that gives each check a new temporary folder, removed after."""
    def call(case, check):
        with tempfile.TemporaryDirectory(prefix=prefix) as folder:
            check(folder)
    return call
