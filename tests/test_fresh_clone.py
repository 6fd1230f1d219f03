#!/usr/bin/python3
"""test_fresh_clone.py: the README's quick start works in a fresh clone where
the test library is invisible, and the test set-up then takes over the folder.

The project is copied into a temporary folder as a clone has it (no build
folders, no results). pkg-config is pointed (PKG_CONFIG_LIBDIR) at a folder
of links to every .pc file of the machine but cmocka's, as on a machine that
has the build packages but not the test ones. Then, in order:

1. scripts/sweep configs/book.yaml: configures and builds the program alone
   (no test, nothing of cmocka in the CMake cache) and trains the book's two
   runs: val accuracy exactly 89/91 (a count of rows) for both; its set-up
   says one line per step on stderr.
2. scripts/build --with-test-deps, cmocka still hidden: fails with one line
   naming the step, the log's path and the log's last lines, which name
   cmocka; the folder is left with a failed configure.
3. scripts/build --with-test-deps with the real pkg-config path, over the same
   folder: configures (recovering from 2) and builds every test; one of the
   tests (test_params) then passes under CTest.
4. scripts/sweep again: the folder serves it as it is (no configure step).

SWEEP_NO_INSTALL=1 keeps apt-get out of it: every package must already be
installed (scripts/test installs them). Runs under unittest.
"""

import os
import shutil
import subprocess
import tempfile
import unittest

import h5py

from check_cases import checks_case, without_arguments

SOURCE_DIR = os.environ.get("SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))
BOOK_VAL_SCORE = 89 / 91
SETUP_PREFIX = "scripts/build: "


class Context:
    """The copy and the environments shared by the steps, which run in order."""
    folder = None
    clone = None
    hidden_env = None
    real_env = None


def ignore_untracked(directory, names):
    """What a clone does not have: build folders, results, Python caches."""
    ignored = {name for name in names if name in ("__pycache__", ".git") or name.endswith(".pyc")}
    if os.path.samefile(directory, SOURCE_DIR):
        ignored |= {name for name in names if name.startswith("build")}
    if os.path.basename(directory) == "results":
        ignored |= {name for name in names if name != ".gitkeep"}
    return ignored


def pkg_config_without_cmocka(folder):
    """A folder of links to every .pc file pkg-config sees, except cmocka's."""
    search_path = subprocess.run(["pkg-config", "--variable", "pc_path", "pkg-config"],
                                 check=True, capture_output=True, text=True).stdout.strip()
    for directory in search_path.split(":"):
        if not os.path.isdir(directory):
            continue
        for name in sorted(os.listdir(directory)):
            link = os.path.join(folder, name)
            if name.endswith(".pc") and name != "cmocka.pc" and not os.path.lexists(link):
                os.symlink(os.path.join(directory, name), link)


def run(command, env):
    return subprocess.run(command, cwd=Context.clone, env=env, capture_output=True, text=True,
                          timeout=500)


def assert_ok(finished):
    assert finished.returncode == 0, (f"{finished.args}: exit status {finished.returncode}; "
                                      f"stderr: {finished.stderr.strip()[-1500:]}")


def setup_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith(SETUP_PREFIX)]


def read_cache():
    with open(os.path.join(Context.clone, "build", "CMakeCache.txt")) as f:
        return f.read()


def make_context():
    Context.folder = tempfile.mkdtemp(prefix="sweep_fresh_clone_")
    Context.clone = os.path.join(Context.folder, "sweep")
    shutil.copytree(SOURCE_DIR, Context.clone, symlinks=True, ignore=ignore_untracked)
    hidden = os.path.join(Context.folder, "pkgconfig")
    os.mkdir(hidden)
    pkg_config_without_cmocka(hidden)
    base = {k: v for k, v in os.environ.items() if k not in ("PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR")}
    base["SWEEP_NO_INSTALL"] = "1"
    Context.real_env = base
    Context.hidden_env = dict(base, PKG_CONFIG_LIBDIR=hidden)
    # The hiding itself: cmocka gone, the build's libraries still there.
    assert run(["pkg-config", "--exists", "cmocka"], Context.hidden_env).returncode != 0
    assert_ok(run(["pkg-config", "--exists", "yaml-0.1"], Context.hidden_env))


CHECKS = []


def check(function):
    CHECKS.append(function)
    return function


@check
def first_sweep_builds_the_program_alone_without_cmocka():
    output = os.path.join(Context.folder, "book.h5")
    finished = run(["scripts/sweep", "configs/book.yaml", "-o", output, "-q"], Context.hidden_env)
    assert_ok(finished)
    # -q: the program says nothing on stderr, so every line is the set-up's
    steps = setup_lines(finished.stderr)
    assert steps == finished.stderr.splitlines(), finished.stderr
    assert steps == [SETUP_PREFIX + "configuring build", SETUP_PREFIX + "building sweep"], steps
    with h5py.File(output, "r") as f:
        assert list(f["batch_size"][:]) == [32, 128], f["batch_size"][:]
        assert list(f["status"][:]) == [1, 1], f["status"][:]
        # exact: a count of val rows, the book's 89 of 91
        assert list(f["val_score"][:]) == [BOOK_VAL_SCORE] * 2, f["val_score"][:]
    cache = read_cache()
    assert "SWEEP_TESTS:BOOL=OFF" in cache
    entries = [line for line in cache.splitlines() if not line.startswith(("//", "#"))]
    looked = [line for line in entries if "cmocka" in line.lower()]
    assert not looked, f"the program's build looked for cmocka: {looked}"
    assert not os.path.exists(os.path.join(Context.clone, "build", "test_params")), \
        "the program's build built a test"


@check
def test_setup_without_cmocka_fails_with_its_log():
    finished = run(["scripts/build", "--with-test-deps", "build"], Context.hidden_env)
    assert finished.returncode != 0, finished.stderr
    log = os.path.join(Context.clone, "build", "setup.log")
    failure = [line for line in setup_lines(finished.stderr) if "failed" in line]
    assert len(failure) == 1 and f"full log: {log}" in failure[0], finished.stderr
    assert "cmocka" in finished.stderr, "the log's last lines should name cmocka"
    assert "cmocka" in open(log).read()


@check
def test_setup_recovers_the_same_folder_and_builds_the_tests():
    finished = run(["scripts/build", "--with-test-deps", "build"], Context.real_env)
    assert_ok(finished)
    assert SETUP_PREFIX + "building sweep and its tests" in setup_lines(finished.stderr)
    assert "SWEEP_TESTS:BOOL=ON" in read_cache()
    ctest = run(["ctest", "--test-dir", "build", "-R", "^test_params$", "--output-on-failure"],
                Context.real_env)
    assert_ok(ctest)
    assert "1 tests passed" in ctest.stdout or "100% tests passed" in ctest.stdout, ctest.stdout


@check
def sweep_reuses_the_test_build_as_it_is():
    output = os.path.join(Context.folder, "book_again.h5")
    finished = run(["scripts/sweep", "configs/book.yaml", "-o", output, "-q"], Context.real_env)
    assert_ok(finished)
    assert setup_lines(finished.stderr) == [SETUP_PREFIX + "building sweep"], finished.stderr
    assert "SWEEP_TESTS:BOOL=ON" in read_cache()


def remove_clone():
    if Context.folder:
        shutil.rmtree(Context.folder, ignore_errors=True)


FreshClone = checks_case("FreshClone", CHECKS, without_arguments, needs_binary=False,
                         set_up_class=make_context, tear_down_class=remove_clone)


if __name__ == "__main__":
    unittest.main(verbosity=2)
