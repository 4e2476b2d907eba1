"""Writes N realistic submissions (tests/pylib/sample.py), one compact JSON per line.

usage: messages.py N SEED OUT
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import sample  # noqa: E402


def main():
    n, seed, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    msgs, _ = sample.corpus(n, seed, "cpu")
    with open(out, "wb") as f:
        for _, value in msgs:
            assert b"\n" not in value
            f.write(value + b"\n")


if __name__ == "__main__":
    main()
