"""Writing .xlsx files byte-for-byte reproducibly: openpyxl stamps the current time into the
document properties and the zip entries, so both are pinned here."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def save_deterministic(workbook, path: Path, when: dt.datetime) -> Path:
    """Save `workbook` to `path` with `when` as its creation time and fixed zip timestamps."""
    naive = when.replace(tzinfo=None, microsecond=0)
    workbook.properties.created = naive
    workbook.properties.modified = naive
    workbook.properties.lastModifiedBy = None
    workbook.properties.creator = "dti"
    buffer = io.BytesIO()
    workbook.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            # docProps/core.xml carries openpyxl's own "modified now" stamp even after the above
            if info.filename == "docProps/core.xml":
                data = _pin_core(data, naive)
            dst.writestr(fixed, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())
    return path


def _pin_core(data: bytes, when: dt.datetime) -> bytes:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + stamp + rb"\g<2>", data)
