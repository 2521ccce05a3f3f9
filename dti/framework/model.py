"""The index set (framework) as typed data: pillars → main indices → components → criteria.

A framework file is YAML validated into these models. Scoring leaves are components without
criteria, or criteria. Every number that scores is a Decimal.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dti.text import code_key, nfc

SOURCES = ("DVC", "DOC", "SEC", "EVD", "TAB")  # TAB: a tabular source (dti.tabular)
MEASURES = ("rate", "count", "bool", "tier")
METHODS = (
    "ratio",
    "target",
    "pass_mark",
    "steps",
    "tiers",
    "binary",
    "deduction",
    "capped_sum",
    "relative_to_best",
)


class UnknownRound(KeyError):
    """A period names a round the framework does not define (still a KeyError for old callers)."""

    def __str__(self) -> str:
        return str(self.args[0])


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _nfc(cls, value: Any) -> Any:
        return nfc(value)


class LegalBasis(_Model):
    number: str
    date: dt.date
    issuer: str
    title_vi: str | None = None


class UnitTypeScale(_Model):
    """A unit type the framework applies to, and the maximum score of that type."""

    type: str
    scale: Decimal
    name_vi: str | None = None


class Round(_Model):
    """An assessment round: the data window and the submission deadline per unit type."""

    round: int = Field(ge=1)
    data_from: str  # "MM-DD" within the assessment year
    data_to: str
    deadlines: dict[str, str]  # unit type -> "MM-DD" or "+1:MM-DD" (next year)
    name_vi: str | None = None


class Step(_Model):
    at_least: Decimal
    points: Decimal


class Tier(_Model):
    level: int
    label_vi: str
    label_en: str | None = None
    fraction: Decimal = Field(ge=0, le=1)


class Method(_Model):
    """How a measured value becomes points. Parameters depend on the kind."""

    kind: Literal[
        "ratio",
        "target",
        "pass_mark",
        "steps",
        "tiers",
        "binary",
        "deduction",
        "capped_sum",
        "relative_to_best",
    ]
    target: Decimal | None = None  # target: full marks at value >= target
    threshold: Decimal | None = None  # pass_mark: full marks at value >= threshold
    steps: list[Step] | None = None  # steps: highest at_least reached wins
    tiers: list[Tier] | None = None  # tiers: level -> fraction of max
    penalty: Decimal | None = None  # deduction: points lost per event
    per_item: Decimal | None = None  # capped_sum: points per item
    cap: Decimal | None = None  # capped_sum: at most this many points


class Tolerance(_Model):
    """Allowed difference between claim and objective value: max(abs, rel × |objective|)."""

    abs: Decimal = Decimal("0")
    rel: Decimal = Decimal("0")


class Leaf(_Model):
    """Fields every scoring node carries (a component without criteria, or a criterion)."""

    code: str
    name_vi: str
    name_en: str | None = None
    max_points: Decimal = Field(ge=0)
    method: Method | None = None
    measure: Literal["rate", "count", "bool", "tier"] | None = None
    source: Literal["DVC", "DOC", "SEC", "EVD", "TAB"] | None = None
    metric: str | None = None  # objective metric id (dti.metrics) for DVC/DOC/SEC, a tabular metric for TAB
    tolerance: Tolerance | None = None
    applies_to: list[str] | None = None  # unit types; None = all the framework's types
    evidence_vi: str | None = None
    # Words or phrases an evidence file for this leaf is expected to contain (dti.evidence.relevance);
    # a province tunes them per leaf. None: phrases taken from evidence_vi.
    evidence_keywords: list[Annotated[str, Field(min_length=2)]] | None = None
    co_verifier: str | None = None
    # Where the systems' data cannot carry the written rule: what is measured instead and why
    # (dti.metrics.rules' proxy words, shown in the ledger's reasons and in docs/frameworks.md).
    data_note_vi: str | None = None
    data_note_en: str | None = None


class Criterion(Leaf):
    pass


class Component(Leaf):
    criteria: list[Criterion] = Field(default_factory=list)


class MainIndex(_Model):
    code: str
    name_vi: str
    name_en: str | None = None
    components: list[Component]


class Pillar(_Model):
    code: str
    name_vi: str
    name_en: str | None = None
    main_indices: list[MainIndex]


class Policy(_Model):
    """Province policy (not law): how N/A indicators, tolerances and verified values work."""

    not_applicable: Literal["shrink", "renormalise"] = "shrink"
    verified_value: Literal["objective", "min", "objective_with_penalty"] = "objective"
    over_report_penalty: Decimal = Decimal("0")  # fraction of the points at stake
    rate_tolerance: Tolerance = Tolerance(abs=Decimal("0.02"))
    count_tolerance: Tolerance = Tolerance(abs=Decimal("1"), rel=Decimal("0.02"))
    stale_after_hours: int = 48
    min_coverage: Decimal = Decimal("0.95")
    # How the ranking counts provisional points (unverifiable claims, evidence not yet checked): in full
    # (count), at `provisional_discount` of their value (discount), or not at all (exclude).
    provisional_points: Literal["count", "discount", "exclude"] = "count"
    provisional_discount: Annotated[Decimal, Field(ge=0, le=1)] = Decimal("0.5")


class Grade(_Model):
    """A grading band (xếp loại): units whose DTI value (0–1) is at least `at_least` get this grade, the
    highest band reached winning; below every band a unit has no grade."""

    code: str
    label_vi: str
    label_en: str | None = None
    at_least: Annotated[Decimal, Field(ge=0, le=1)]


class Framework(_Model):
    id: str
    version: str
    name_vi: str
    name_en: str | None = None
    province: str | None = None
    legal_basis: LegalBasis
    valid_from: dt.date
    valid_to: dt.date | None = None
    # The version this one supersedes ("ID@VERSION"), e.g. Lào Cai's 3019/QĐ-UBND replacing 2644/QĐ-UBND.
    replaces: str | None = None
    unit_types: Annotated[list[UnitTypeScale], Field(min_length=1)]
    rounds: Annotated[list[Round], Field(min_length=1)]
    policy: Policy = Policy()
    # Grading bands by DTI value (e.g. xuất sắc ≥ 0.9, tốt ≥ 0.8…), highest first or in any order.
    grades: list[Grade] = Field(default_factory=list)
    pillars: Annotated[list[Pillar], Field(min_length=1)]

    # ---- navigation -------------------------------------------------------------------
    def grade_for(self, dti: Decimal | None) -> Grade | None:
        """The band a DTI value reaches (the highest threshold at or below it); None without bands."""
        if dti is None:
            return None
        reached = [g for g in self.grades if dti >= g.at_least]
        return max(reached, key=lambda g: g.at_least) if reached else None

    def main_indices(self) -> list[MainIndex]:
        return [m for p in self.pillars for m in p.main_indices]

    def components(self) -> list[Component]:
        return [c for m in self.main_indices() for c in m.components]

    def leaves(self) -> list[Leaf]:
        """Scoring leaves in natural code order."""
        out: list[Leaf] = []
        for comp in self.components():
            out.extend(comp.criteria if comp.criteria else [comp])
        return sorted(out, key=lambda leaf: code_key(leaf.code))

    def leaf(self, code: str) -> Leaf:
        for leaf in self.leaves():
            if leaf.code == code:
                return leaf
        raise KeyError(code)

    def main_index_of(self, leaf_code: str) -> MainIndex:
        for m in self.main_indices():
            for c in m.components:
                if c.code == leaf_code or any(k.code == leaf_code for k in c.criteria):
                    return m
        raise KeyError(leaf_code)

    def scale_for(self, unit_type: str) -> Decimal:
        for ut in self.unit_types:
            if ut.type == unit_type:
                return ut.scale
        raise KeyError(unit_type)

    def applies(self, leaf: Leaf, unit_type: str) -> bool:
        return leaf.applies_to is None or unit_type in leaf.applies_to

    def tolerance_for(self, leaf: Leaf) -> Tolerance:
        if leaf.tolerance is not None:
            return leaf.tolerance
        if leaf.measure == "rate":
            return self.policy.rate_tolerance
        if leaf.measure == "count":
            return self.policy.count_tolerance
        return Tolerance()

    def round(self, number: int) -> Round:
        for r in self.rounds:
            if r.round == number:
                return r
        raise UnknownRound(
            f"Bộ chỉ số {self.id} không có đợt {number} (có: {', '.join(str(r.round) for r in self.rounds)}) "
            f"/ framework has no round {number}"
        )

    def unit_type_names(self) -> list[str]:
        return [ut.type for ut in self.unit_types]

    def applicable_leaves(self, unit_type: str) -> list[Leaf]:
        return [leaf for leaf in self.leaves() if self.applies(leaf, unit_type)]

    def component_of(self, leaf_code: str) -> Component:
        for c in self.components():
            if c.code == leaf_code or any(k.code == leaf_code for k in c.criteria):
                return c
        raise KeyError(leaf_code)

    def pillar_of(self, leaf_code: str) -> Pillar:
        main = self.main_index_of(leaf_code)
        for p in self.pillars:
            if any(m.code == main.code for m in p.main_indices):
                return p
        raise KeyError(leaf_code)  # pragma: no cover - main_index_of found it in some pillar
