"""Benchmarks of the real pipeline at named scales, with a DuckDB floor beside each compute stage."""

from application.bench.processes import BenchError
from application.bench.runner import run_bench
from application.bench.stages import STAGES

__all__ = ["STAGES", "BenchError", "run_bench"]
