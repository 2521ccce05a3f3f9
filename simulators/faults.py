"""Fault profiles for the simulators' HTTP server: which request of which system misbehaves, and how.

A profile plus a seed fixes the whole fault sequence (faults are keyed by the per-system request
number, retries included), so a run with faults is as reproducible as one without.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

# Kinds of fault a single response can carry.
RATE_LIMIT = "429"  # 429 Too Many Requests with Retry-After
UNAVAILABLE = "503"  # 503 Service Unavailable (bursts are consecutive 503s)
SLOW = "slow"  # the response starts only after the client's read timeout
TRUNCATED = "truncated"  # 200 OK whose JSON/CSV body is cut short
REPEAT = "repeat"  # the previous page is served again instead of the one asked for
EMPTY = "empty"  # an empty page mid-stream that still points onward
DOWN = "down"  # the system answers 503 to everything
ENDLESS = "endless"  # the last page points back to the first: a cursor that never ends
ENDLESS_EMPTY = "endless-empty"  # after the data, fresh cursors to empty pages, forever
RENAME = "rename"  # a field of the response renamed (schema drift)
MISSING = "missing"  # a field of the response dropped (schema drift)
UNAUTHORIZED = "401"
NOT_FOUND = "404"
TRICKLE = "trickle"  # the body arrives in small pieces, each pause shorter than the read timeout
# What a hostile or broken vendor system does (issue 15): each must leave claims unverifiable, never wrong.
CURSOR_BACK = "cursor-back"  # from the second page on, the next cursor points back to the first page's
FRESH_CURSORS = "fresh-cursors"  # after the last page, fresh cursors that serve the same data again, forever
BOOL_SPELLING = "bool-spelling"  # booleans written "Co" / "Khong" (no accents: not an accepted spelling)
FUTURE_RECORD = "future-record"  # one dossier updated 9999-12-31
FRACTION_INT = "fraction-int"  # 6.9 where a whole number is due
LIST_CODE = "list-code"  # a list where a procedure code is due
GZIP_BOMB = "gzip-bomb"  # a 0.75 MB gzip body that inflates to 768 MiB of JSON whitespace, sent unasked
HTML_200 = "html-200"  # an HTML error page with status 200
EMPTY_200 = "empty-200"  # status 200 with an empty body
DATA_NULL = "data-null"  # {"data": null}
HUGE_RETRY_AFTER = "huge-retry-after"  # 429 with Retry-After: one day
DEEP_JSON = "deep-json"  # 200 with JSON nested 100,000 arrays deep (a parser's recursion, not its size)
NOT_A_NUMBER = "not-a-number"  # NaN / Infinity (JSON has neither) where a whole number is due

RECOVERABLE = (RATE_LIMIT, UNAVAILABLE, SLOW, TRUNCATED, REPEAT, EMPTY)


@dataclass(frozen=True)
class FaultProfile:
    """What to inject. `scheduled` faults hit chosen request numbers; `always` faults hit every request
    of the listed systems ("*" = all)."""

    name: str
    scheduled: tuple[str, ...] = ()
    always: dict[str, tuple[str, ...]] = field(default_factory=dict)
    refuse: tuple[str, ...] = ()  # systems whose port refuses connections altogether
    description: str = ""


PROFILES: dict[str, FaultProfile] = {
    p.name: p
    for p in [
        FaultProfile("none", description="không lỗi / no faults"),
        FaultProfile(
            "flaky",
            scheduled=(
                RATE_LIMIT,
                UNAVAILABLE,
                UNAVAILABLE,
                UNAVAILABLE,
                SLOW,
                TRUNCATED,
                REPEAT,
                EMPTY,
                TRUNCATED,
            ),
            description="429, chuỗi 503, phản hồi chậm, JSON cụt, trang lặp, trang rỗng — đều phục hồi "
            "được / recoverable 429s, 503 bursts, slow responses, truncated bodies, a repeated "
            "page and an empty page",
        ),
        FaultProfile(
            "dvc-down",
            always={"DVC": (DOWN,)},
            description="DVC trả 503 mọi yêu cầu / DVC answers 503 to every request",
        ),
        FaultProfile(
            "dvc-refused", refuse=("DVC",), description="cổng DVC từ chối kết nối / DVC refuses connections"
        ),
        # Test-only profiles: each one fault the clients must survive or report clearly.
        FaultProfile(
            "endless-cursor", always={"*": (ENDLESS,)}, description="con trỏ quay vòng / cursor loops"
        ),
        FaultProfile(
            "endless-empty",
            always={"*": (ENDLESS_EMPTY,)},
            description="con trỏ mới vô hạn, trang rỗng / endless fresh cursors with empty pages",
        ),
        FaultProfile(
            "schema-rename", always={"*": (RENAME,)}, description="đổi tên trường / a field renamed"
        ),
        FaultProfile(
            "schema-missing", always={"*": (MISSING,)}, description="thiếu trường / a field missing"
        ),
        FaultProfile("auth-401", always={"*": (UNAUTHORIZED,)}, description="mọi token bị từ chối / 401"),
        FaultProfile("gone-404", always={"*": (NOT_FOUND,)}, description="API không tồn tại / 404"),
        *(FaultProfile(name, always={"DVC": (kind,)}, description=text) for name, kind, text in (
            ("cursor-back", CURSOR_BACK, "DVC: con trỏ quay về trang đầu / the cursor goes back to the first page"),
            ("fresh-cursors", FRESH_CURSORS, "DVC: con trỏ mới mãi trên cùng dữ liệu / endless fresh cursors "
                                             "over the same data"),
            ("bool-spelling", BOOL_SPELLING, "DVC: giá trị Có/Không viết 'Co'/'Khong' / booleans as 'Co'/'Khong'"),
            ("future-record", FUTURE_RECORD, "DVC: một hồ sơ cập nhật ngày 9999-12-31 / one dossier updated "
                                             "9999-12-31"),
            ("fraction-int", FRACTION_INT, "DVC: 6,9 ở trường số nguyên / 6.9 for a whole number"),
            ("list-code", LIST_CODE, "DVC: danh sách thay cho mã TTHC / a list where a code is due"),
            ("gzip-bomb", GZIP_BOMB, "DVC: 0,75 MB gzip nở thành 768 MiB / a 0.75 MB gzip inflating to 768 MiB"),
            ("html-200", HTML_200, "DVC: trang HTML với mã 200 / an HTML page with 200"),
            ("empty-200", EMPTY_200, "DVC: mã 200, nội dung rỗng / 200 with an empty body"),
            ("data-null", DATA_NULL, 'DVC: {"data": null}'),
            ("truncated-json", TRUNCATED, "DVC: JSON mọi trang bị cắt / every page's JSON cut short"),
            ("huge-retry-after", HUGE_RETRY_AFTER, "DVC: 429 với Retry-After một ngày / 429, Retry-After: 1 day"),
            ("deep-json", DEEP_JSON, "DVC: JSON lồng sâu 100.000 tầng / JSON nested 100,000 deep"),
            ("not-a-number", NOT_A_NUMBER, "DVC: NaN/Infinity ở trường số nguyên / NaN or Infinity for a "
                                           "whole number"),
        )),
        FaultProfile(
            "trickle",
            scheduled=(TRICKLE,),
            description="một phản hồi nhỏ giọt từng mẩu / one response dribbles in piece by piece",
        ),
    ]
}


def get_profile(name: str | FaultProfile | None) -> FaultProfile:
    if isinstance(name, FaultProfile):
        return name
    key = (name or "none").strip().lower()
    if key not in PROFILES:
        raise ValueError(
            f"không có hồ sơ lỗi '{name}' / unknown fault profile; có / choose from: "
            f"{', '.join(sorted(PROFILES))}"
        )
    return PROFILES[key]


class FaultInjector:
    """Decides, request by request, the fault a system's response carries; keeps a log of what it did.

    Scheduled faults are spread over each system's first requests at seeded positions; a burst of
    503s stays consecutive. Thread-safe: the servers are threaded.
    """

    def __init__(self, profile: str | FaultProfile | None = "none", seed: int = 0, spread: int = 2):
        self.profile = get_profile(profile)
        self.seed = seed
        self.spread = spread
        self._lock = threading.Lock()
        self._counters: dict[str, int] = {}
        self._schedules: dict[str, dict[int, str]] = {}
        self.log: list[tuple[str, int, str, str]] = []  # (system, request number, path, fault)

    def _schedule(self, system: str) -> dict[int, str]:
        if system not in self._schedules:
            rng = random.Random(f"{self.seed}:{system}:{self.profile.name}")
            plan: dict[int, str] = {}
            position = rng.randint(0, self.spread) - 2  # the first fault lands within the first few requests
            previous = None
            for kind in self.profile.scheduled:
                if kind == previous == UNAVAILABLE:
                    position += 1  # the burst: back to back
                else:
                    # At least one clean request in between, so the retry of a faulted request can
                    # succeed: no chain longer than the burst, whatever the seed.
                    position += 2 + rng.randint(0, self.spread)
                plan[position] = kind
                previous = kind
            self._schedules[system] = plan
        return self._schedules[system]

    def decide(self, system: str, path: str) -> str | None:
        with self._lock:
            n = self._counters.get(system, 0)
            self._counters[system] = n + 1
            always = self.profile.always.get(system, ()) + self.profile.always.get("*", ())
            fault = always[0] if always else self._schedule(system).get(n)
            if fault is not None:
                self.log.append((system, n, path, fault))
            return fault

    def injected(self, system: str | None = None) -> list[str]:
        with self._lock:
            return [f for s, _n, _p, f in self.log if system is None or s == system]
