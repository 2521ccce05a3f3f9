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
