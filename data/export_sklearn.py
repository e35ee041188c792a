#!/usr/bin/python3
"""Exports data sets bundled with Debian's python3-sklearn to CSV for the example sweeps.

    /usr/bin/python3 data/export_sklearn.py [OUTPUT_DIR]   (default: data/)

iris.csv (4 features, 3 named classes), breast-cancer.csv (30 features, malignant/benign),
diabetes.csv (10 features, a numeric target), digits.csv (8x8 images as 64 pixel columns
0-16, the digit; read by the PyTorch example of sweeps/commands). The data sets are BSD-licensed with
scikit-learn; `make deps` (and so `make test` and `make run`) exports them, they are not
committed.
"""
import csv
import os
import sys

from sklearn import datasets


def write(path, names, rows, targets, target_name):
    with open(path, "w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(list(names) + [target_name])
        for row, target in zip(rows, targets):
            out.writerow([repr(float(v)) for v in row] + [target])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    iris = datasets.load_iris()
    write(os.path.join(out, "iris.csv"), [n.replace(" (cm)", "").replace(" ", "_") for n in iris.feature_names],
          iris.data, [iris.target_names[t] for t in iris.target], "species")
    cancer = datasets.load_breast_cancer()
    write(os.path.join(out, "breast-cancer.csv"), [n.replace(" ", "_") for n in cancer.feature_names],
          cancer.data, [cancer.target_names[t] for t in cancer.target], "diagnosis")
    diabetes = datasets.load_diabetes()
    write(os.path.join(out, "diabetes.csv"), diabetes.feature_names, diabetes.data, diabetes.target, "progression")
    digits = datasets.load_digits()
    write(os.path.join(out, "digits.csv"), ["p%d" % i for i in range(64)], digits.data, digits.target, "digit")


if __name__ == "__main__":
    main()
