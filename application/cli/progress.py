"""Progress bars for the long steps of `dti demo`, `dti sync` and `dti run` (rich): records so far out of
those the source announced, pages read, rate and time left. Shown only on a terminal; piped or
redirected output stays plain lines."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from dti import formatting, progress


class CountColumn(ProgressColumn):
    """ "12.000 / 50.000 bản ghi · 24 trang"."""

    def render(self, task: Task) -> Text:
        done = formatting.integer(task.completed)
        total = f" / {formatting.integer(task.total)}" if task.total is not None else ""
        pages = task.fields.get("pages")
        text = f"{done}{total} bản ghi / records" + (
            f" · {formatting.integer(pages)} trang / pages" if pages else ""
        )
        return Text(text)


class RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{formatting.integer(speed)}/s")


class BarReporter:
    """dti.progress.Reporter drawing one rich task per key."""

    def __init__(self, bars: Progress):
        self.bars = bars
        self.tasks: dict[str, int] = {}

    def begin(self, key: str, label: str) -> None:
        self.tasks[key] = self.bars.add_task(label, total=None, pages=None)

    def advance(self, key: str, *, done: int, total: int | None = None, pages: int | None = None) -> None:
        task = self.tasks.get(key)
        if task is not None:
            self.bars.update(
                task, completed=done, total=max(total, done) if total is not None else None, pages=pages
            )

    def end(self, key: str) -> None:
        task = self.tasks.pop(key, None)
        if task is not None:
            done = self.bars.tasks[task].completed  # a finished bar stays, full, with its count
            self.bars.update(task, total=done, completed=done)


def bars(console: Console) -> Progress:
    # Lines printed meanwhile go above the bars, unless stdout is a file: then they stay in that file.
    together = sys.stdout.isatty()
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        CountColumn(),
        RateColumn(),
        TextColumn("còn / left"),
        TimeRemainingColumn(),
        console=console,
        redirect_stdout=together,
        redirect_stderr=together,
    )


@contextlib.contextmanager
def on_terminal(stream=None) -> Iterator[bool]:
    """Progress bars on `stream` (stderr) while the block runs, if it is a terminal; yields whether they
    show."""
    console = Console(file=stream or sys.stderr)
    if not console.is_terminal:
        yield False
        return
    with bars(console) as shown, progress.reporting(BarReporter(shown)):
        yield True
