"""Declarative column mappings (mappings/*.yaml): which headers of a sheet mean which field, where
unit and period come from, and how numbers are written. The native template is one of them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dti.settings import get_settings
from dti.text import clean, nfc

FIELDS = (
    "unit_code",
    "period",
    "framework_id",
    "indicator_code",
    "indicator_name",
    "group",
    "measure",
    "max_points",
    "value",
    "numerator",
    "denominator",
    "self_points",
    "council_points",
    "difference",
    "evidence_text",
    "evidence_summary",
    "status",
    "note",
    "owner",
    "due_date",
    "evidence_date",
)
DATE_FIELDS = ("due_date", "evidence_date")
NUMERIC_FIELDS = ("max_points", "value", "numerator", "denominator", "self_points", "council_points", "difference")
# Cells read from the template itself, never from the unit: kept in `extra`, not validated as input.
INFO_FIELDS = ("indicator_name", "group", "measure", "status", "note", "evidence_summary")


class MappingError(ValueError):
    pass


class ExternalUnit(BaseModel):
    """The unit record an external sheet is filed under when our registry does not know it."""

    model_config = ConfigDict(extra="forbid")
    code: str
    name_vi: str
    unit_type: str
    province_code: str = "EXT"


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name_vi: str
    name_en: str | None = None
    description_vi: str | None = None
    sheet: str | None = None  # None: the first visible sheet whose headers match
    header_search_rows: int = 30
    decimal: Literal["auto", ",", "."] = "auto"
    columns: dict[str, list[str]]
    required: list[str] = Field(default_factory=lambda: ["indicator_code"])
    header_cells: dict[str, str] = Field(default_factory=dict)  # field -> cell address (xlsx)
    defaults: dict[str, str] = Field(default_factory=dict)
    # "unit": the unit's own framework from our registry; "from_sheet": the tree is rebuilt from the
    # codes and max points in the sheet (foreign or historical index sets we do not ship).
    framework: Literal["unit", "from_sheet"] = "unit"
    external_unit: ExternalUnit | None = None
    difference: Literal["self_minus_council", "council_minus_self"] | None = None
    source_label: str = "file"

    @field_validator("*", mode="before")
    @classmethod
    def _nfc(cls, value):
        return nfc(value)

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(value) - set(FIELDS))
        if unknown:
            raise ValueError(f"trường không biết / unknown fields {unknown}; có / known: {list(FIELDS)}")
        return value

    def header_index(self, headers: list) -> dict[str, int]:
        """Field -> column index for a header row; matching ignores case, spaces and line breaks."""
        wanted = {field: {header_key(h) for h in labels} for field, labels in self.columns.items()}
        found: dict[str, int] = {}
        for idx, cell in enumerate(headers):
            key = header_key(cell)
            if not key:
                continue
            for field, labels in wanted.items():
                if field not in found and key in labels:
                    found[field] = idx
        return found

    def matches(self, headers: list) -> bool:
        found = self.header_index(headers)
        return all(f in found for f in self.required)


def header_key(value) -> str:
    text = clean(str(value)) if value is not None else None
    if not text:
        return ""
    return re.sub(r"\s+", " ", text.replace("\n", " ")).casefold()


def mappings_dir() -> Path:
    return get_settings().mappings_dir


def load_mapping_file(path: Path) -> Mapping:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Mapping.model_validate(data)
    except FileNotFoundError:
        raise MappingError(f"không có tệp ánh xạ '{path}' / mapping file not found") from None
    except (yaml.YAMLError, ValidationError) as exc:
        raise MappingError(f"tệp ánh xạ '{path}' không hợp lệ / invalid mapping file: {exc}") from None


def load_mappings(directory: Path | None = None) -> dict[str, Mapping]:
    directory = directory or mappings_dir()
    out: dict[str, Mapping] = {}
    for path in sorted(directory.glob("*.yaml")):
        mapping = load_mapping_file(path)
        if mapping.id in out:
            raise MappingError(f"mã ánh xạ '{mapping.id}' bị trùng ({path}) / duplicate mapping id")
        out[mapping.id] = mapping
    return out


def get_mapping(name: str) -> Mapping:
    """A mapping by id, or by path to a YAML file."""
    candidate = Path(name)
    if candidate.suffix in {".yaml", ".yml"} and candidate.exists():
        return load_mapping_file(candidate)
    mappings = load_mappings()
    if name not in mappings:
        known = ", ".join(sorted(mappings)) or "(không có / none)"
        raise MappingError(f"không có ánh xạ '{name}' / unknown mapping '{name}'; có / known: {known}")
    return mappings[name]


NATIVE_MAPPING = "dti-template"
