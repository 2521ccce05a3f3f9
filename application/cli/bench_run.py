"""What `dti bench` does: check the options, then time the pipeline at a named scale."""

from __future__ import annotations

from application.bench import STAGES, BenchError, run_bench
from application.bench.national import FIRST, run_national
from application.cli import CliError
from simulators.generator import SCALES


def run(args) -> int:
    if args.scale not in SCALES:
        raise CliError(f"quy mô '{args.scale}' không có; chọn một trong / unknown scale '{args.scale}'; "
                       f"expected one of: {', '.join(SCALES)}")
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        raise CliError(f"giai đoạn không có / unknown stage(s) '{', '.join(unknown)}'; "
                       f"expected some of: {', '.join(STAGES)}")
    if args.history < 1:
        raise CliError(f"--history phải ≥ 1 / must be at least 1, not {args.history}")
    kwargs = {"seed": args.seed} if args.seed is not None else {}
    if args.provinces is not None:
        if args.provinces < FIRST:
            raise CliError(f"--provinces phải ≥ {FIRST} / must be at least {FIRST}, not {args.provinces}")
        if args.database_url and not args.database_url.startswith("postgresql"):
            raise CliError("--provinces chạy trên PostgreSQL: --database-url phải là URL quản trị PostgreSQL / runs "
                           f"on PostgreSQL: --database-url must be a PostgreSQL admin URL, not {args.database_url}")
        try:
            run_national(args.provinces, scale=args.scale, **kwargs,
                         **({"admin_url": args.database_url} if args.database_url else {}))
        except BenchError as exc:
            raise CliError(str(exc)) from None
        return 0
    try:
        run_bench(args.scale, stages=stages or None, url=args.database_url, regenerate=args.regenerate,
                  http=not args.in_process, history=args.history,
                  parallel_sync=not args.sequential_sync, **kwargs)
    except BenchError as exc:
        raise CliError(str(exc)) from exc
    return 0
