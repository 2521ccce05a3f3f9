"""Declarative source mappings: which field (or table and column) of a vendor's system holds each canonical
field, and how its coded values read. The built-in schemas ship as YAML in mappings/sources/
(`dvc-cong-quoc-gia`, `sec-soc`, `qlvb-vn`, `docman-en`); a province writes its own beside them (or
anywhere, named by path) and points DTI_DVC_MAPPING / DTI_DOC_MAPPING / DTI_SEC_MAPPING at it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from connectors.records import COMMON, FIELDS
from dti.settings import PROJECT_ROOT, read
from dti.text import nfc

SHIPPED = PROJECT_ROOT / "mappings" / "sources"
ENTITIES = {"DVC": ("procedures", "dossiers"), "DOC": ("documents", "staff"), "SEC": ("incidents", "inventories")}


class MappingFileError(ValueError):
    """A source mapping that cannot be used: the message names the file, the place in it and what is expected."""


class EntityMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    table: str | None = None  # DOC: the table holding the entity
    fields: dict[str, str]  # canonical field -> the vendor's field (or column)
    values: dict[str, dict[str, str]] = {}  # canonical field -> {vendor's value: canonical value}


class SourceMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    system: Literal["DVC", "DOC", "SEC"]
    name_vi: str
    name_en: str | None = None
    entities: dict[str, EntityMapping]
    values: dict[str, dict[str, str]] = {}  # coded values shared by every entity
    # the spellings the vendor uses for true and false, when not true/false/1/0/có/không
    booleans: tuple[tuple[str, ...], tuple[str, ...]] | None = None

    def fields(self, entity: str) -> dict[str, str]:
        return dict(self.entities[entity].fields)

    def value_codes(self, entity: str) -> dict[str, dict[str, str]]:
        return {**self.values, **self.entities[entity].values}


def mappings_dir() -> Path:
    configured = read("DTI_SOURCE_MAPPINGS_DIR")
    return Path(configured) if configured else SHIPPED


def _read(path: Path) -> SourceMapping:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingFileError(f"{path}: không tìm thấy tệp ánh xạ / mapping file not found") from None
    except yaml.YAMLError as exc:
        raise MappingFileError(f"{path}: YAML sai cú pháp / YAML syntax error: {exc}") from None
    try:
        mapping = SourceMapping.model_validate(nfc(data))
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise MappingFileError(f"{path}: ánh xạ không hợp lệ / invalid mapping: {where}") from None
    problems = []
    for entity, em in sorted(mapping.entities.items()):
        if entity not in ENTITIES[mapping.system]:
            problems.append(f"entities.{entity}: không phải loại bản ghi của {mapping.system} / not an entity of "
                            f"{mapping.system} ({', '.join(ENTITIES[mapping.system])})")
            continue
        unknown = sorted(set(em.fields) - set(COMMON) - set(FIELDS[entity]))
        if unknown:
            problems.append(f"entities.{entity}.fields: trường không biết / unknown canonical field(s) "
                            f"{', '.join(unknown)}")
        if mapping.system == "DOC" and not em.table:
            problems.append(f"entities.{entity}.table: cần tên bảng / the table is required")
    missing = [e for e in ENTITIES[mapping.system] if e not in mapping.entities]
    if missing:
        problems.append(f"entities: thiếu / missing {', '.join(missing)}")
    if problems:
        raise MappingFileError(f"{path}: ánh xạ không hợp lệ / invalid mapping: " + "; ".join(problems))
    return mapping


def load_source_mapping(ref: str, system: str) -> SourceMapping:
    """A mapping by id (in DTI_SOURCE_MAPPINGS_DIR, then the shipped ones) or by path to a YAML file."""
    path = Path(ref)
    if path.suffix.lower() in (".yaml", ".yml") or path.is_file():
        mapping = _read(path)
    else:
        found = {}
        for folder in dict.fromkeys((mappings_dir(), SHIPPED)):
            for candidate in sorted(folder.glob("*.yaml")):
                m = _read(candidate)
                found.setdefault(m.id, m)
        if ref not in found:
            known = ", ".join(sorted(i for i, m in found.items() if m.system == system))
            raise MappingFileError(f"không có ánh xạ nguồn '{ref}' / unknown mapping '{ref}'; có / known "
                                   f"({system}): {known}")
        mapping = found[ref]
    if mapping.system != system:
        raise MappingFileError(f"ánh xạ '{mapping.id}' dành cho {mapping.system}, không phải {system} / mapping "
                               f"'{mapping.id}' is for {mapping.system}, not {system}")
    return mapping
