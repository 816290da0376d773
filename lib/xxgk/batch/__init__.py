"""Batch builds: targets and content keys, freshness, executors, warm kernels, manifests, publishing,
the reviewer index and verify. :func:`build` and :func:`verify` are the entry points."""

from xxgk.batch.build import BuildError, Options, Result, Summary, build, locked, out_dir, read_manifest
from xxgk.batch.verify import Difference, verify

__all__ = [
    "BuildError",
    "Difference",
    "Options",
    "Result",
    "Summary",
    "build",
    "locked",
    "out_dir",
    "read_manifest",
    "verify",
]
