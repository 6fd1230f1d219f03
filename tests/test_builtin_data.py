#!/usr/bin/python3
"""test_builtin_data.py: the built-in data and the split fixtures are scikit-learn's.

The C tests compare `sweep`'s rows with fixtures so that they do not need
scikit-learn; this test recomputes every one of those files with Debian's
scikit-learn 1.2 / numpy 1.24 and requires them to be identical (tolerance:
none, the texts are compared byte for byte):
  - data/iris.csv, data/wine.csv, data/digits.csv (data/generate_builtin.py):
    load_iris() etc. in scikit-learn's row order;
  - tests/data/csv/split_cases.txt, builtin_splits.txt (generate.py): the
    row ids of train_test_split(stratify=y, random_state=seed) and hashes
    of the standardized splits;
  - tests/data/csv/fashion_split.txt: chapter 7's split of the 60,000
    fashion-MNIST training labels (skipped without the dataset-fashion-mnist
    package).

Run with Debian's /usr/bin/python3; unittest (-k NAME selects).
"""

import importlib.util
import os
import unittest

from check_cases import checks_case, without_arguments

SOURCE_DIR = os.environ.get("SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(SOURCE_DIR, "tests", "data", "csv")


def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read(path):
    with open(path, newline="") as f:
        return f.read()


CHECKS = []


def check(function):
    CHECKS.append(function)
    return function


@check
def builtin_csv_files_are_sklearns():
    generator = load_module(os.path.join(SOURCE_DIR, "data", "generate_builtin.py"), "gen_data")
    for name, text in generator.builtin_texts().items():
        assert read(os.path.join(SOURCE_DIR, "data", name)) == text, name


@check
def split_fixtures_are_sklearns():
    generate = load_module(os.path.join(FIXTURES, "generate.py"), "gen_fixtures")
    assert read(os.path.join(FIXTURES, "builtin_splits.txt")) == generate.builtin_splits_text()
    fashion = generate.fashion_split_text()
    if fashion is None:
        print("skipped the fashion-MNIST fixture: dataset-fashion-mnist is not installed")
    else:
        assert read(os.path.join(FIXTURES, "fashion_split.txt")) == fashion


@check
def split_cases_are_sklearns():
    generate = load_module(os.path.join(FIXTURES, "generate.py"), "gen_cases")
    # write_split_cases writes files; rebuild them in a scratch folder and compare.
    import tempfile
    with tempfile.TemporaryDirectory() as scratch:
        generate.HERE = scratch
        target = generate.write_raw_wdbc()
        generate.write_split_cases(target)
        for name in sorted(os.listdir(scratch)):
            assert read(os.path.join(scratch, name)) == read(os.path.join(FIXTURES, name)), name


BuiltinData = checks_case("BuiltinData", CHECKS, without_arguments, needs_binary=False)


if __name__ == "__main__":
    unittest.main(verbosity=2)
