"""How far a long step has got (records pulled, pages read), told to whoever shows it: a terminal bar when the
CLI runs on a terminal, nobody otherwise. The core only counts; it never draws."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol, TypeVar

T = TypeVar("T")
EVERY = 2_000  # records between two reports: cheap at a million records, still smooth on a terminal


class Reporter(Protocol):
    def begin(self, key: str, label: str) -> None: ...

    def advance(self, key: str, *, done: int, total: int | None = None, pages: int | None = None) -> None: ...

    def end(self, key: str) -> None: ...


class Silent:
    """Nobody is watching: nothing is reported (and `counted` adds no work)."""

    def begin(self, key: str, label: str) -> None:
        pass

    def advance(self, key: str, *, done: int, total: int | None = None, pages: int | None = None) -> None:
        pass

    def end(self, key: str) -> None:
        pass


_current: Reporter = Silent()


def current() -> Reporter:
    return _current


@contextlib.contextmanager
def reporting(reporter: Reporter) -> Iterator[Reporter]:
    """Send progress to `reporter` while the block runs (one process: the in-process runs of the CLI)."""
    global _current
    before, _current = _current, reporter
    try:
        yield reporter
    finally:
        _current = before


def _read(stats: Callable[[], object | None] | None) -> tuple[int | None, int | None]:
    found = stats() if stats is not None else None
    if found is None:
        return None, None
    return getattr(found, "expected", None), getattr(found, "pages", None)


def counted(
    items: Iterable[T],
    key: str,
    label: str,
    stats: Callable[[], object | None] | None = None,
    every: int = EVERY,
) -> Iterator[T]:
    """`items`, reporting every `every` items how many passed; `stats()` may say the total the source
    announced (`expected`) and the pages read so far (`pages`)."""
    reporter = _current
    if isinstance(reporter, Silent):
        yield from items
        return
    reporter.begin(key, label)
    done = 0
    try:
        for item in items:
            done += 1
            if done % every == 0:
                total, pages = _read(stats)
                reporter.advance(key, done=done, total=total, pages=pages)
            yield item
        total, pages = _read(stats)
        reporter.advance(key, done=done, total=total if total is not None else done, pages=pages)
    finally:
        reporter.end(key)
