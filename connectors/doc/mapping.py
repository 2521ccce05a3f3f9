"""Table/column mappings for document systems: real systems name things differently.

A mapping says, for each canonical field, which column holds it, plus how to read the odd ones
(direction codes, a deleted flag). They are YAML files (connectors.mappings): `qlvb-vn` is the schema of
the bundled simulator, modelled on Vietnamese QLVB&ĐH products; `docman-en` an English-named product.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from connectors.mappings import SHIPPED, SourceMapping, load_source_mapping


class TableMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    table: str
    columns: dict[str, str]  # canonical field -> source column
    values: dict[str, dict[str, str]] = {}  # canonical field -> {source value: canonical value}


class DocMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    documents: TableMapping
    staff: TableMapping


def doc_mapping(source: SourceMapping) -> DocMapping:
    """The DOC mapping a source mapping file describes."""
    def table(entity: str) -> TableMapping:
        em = source.entities[entity]
        return TableMapping(table=em.table or entity, columns=dict(em.fields), values=source.value_codes(entity))

    return DocMapping(name=source.id, documents=table("documents"), staff=table("staff"))


def find_mapping(ref: str) -> DocMapping:
    """A DOC mapping by id (the province's folder, then the shipped ones) or YAML path."""
    return doc_mapping(load_source_mapping(ref, "DOC"))


# The two shipped schemas (mappings/sources/doc-*.yaml): the bundled simulator's Vietnamese names, and an
# English-named product, proving the mapping is data.
VENDOR_VN = doc_mapping(load_source_mapping(str(SHIPPED / "doc-qlvb-vn.yaml"), "DOC"))
VENDOR_EN = doc_mapping(load_source_mapping(str(SHIPPED / "doc-docman-en.yaml"), "DOC"))
MAPPINGS = {m.name: m for m in (VENDOR_VN, VENDOR_EN)}
