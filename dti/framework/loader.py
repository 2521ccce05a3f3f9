"""Load framework files and turn validation failures into errors a DTI officer can act on."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from pathlib import Path

import yaml
from pydantic import ValidationError

from dti.framework.model import Framework
from dti.framework.validate import check_consistency, sorted_problems
from dti.settings import get_settings
from dti.text import code_key, nfc


class FrameworkError(ValueError):
    """A framework file is wrong. `problems` lists (path inside the file, value, expected).

    `lines` maps a path to its line in the YAML file when the file was read from disk.
    """

    def __init__(self, file: str, problems: list[tuple[str, object, str]], lines: dict[str, int] | None = None):
        self.file = file
        self.problems = sorted_problems(problems)
        self.lines = lines or {}
        head = [f"Bộ chỉ số không hợp lệ / invalid framework: {file} ({len(self.problems)} lỗi / problems)"]
        super().__init__("\n".join(head + [f"  {line}" for line in self.messages()]))

    def messages(self) -> list[str]:
        """One line per problem: path (line), value, expectation."""
        out = []
        for path, value, expected in self.problems:
            where = path
            line = self._line_of(path)
            if line is not None:
                where += f" (dòng / line {line})"
            out.append(f"{where}: giá trị / value {show_value(value)} — {expected}")
        return out


    def _line_of(self, path: str) -> int | None:
        """The line of `path`, or of its nearest ancestor present in the file (for missing fields)."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            if cut <= 0:
                return None
            path = path[:cut]
        return None


def show_value(value: object) -> str:
    """How a YAML value reads to a person: text quoted, numbers plain, a missing value named."""
    if value is None:
        return "(trống / missing)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


_PYDANTIC_MESSAGES = {
    "missing": "thiếu trường bắt buộc / required field is missing",
    "extra_forbidden": "trường không được phép (sai chính tả?) / unknown field (misspelt?)",
    "decimal_parsing": "cần một số, ví dụ 20 hoặc 0.8 / expected a number such as 20 or 0.8",
    "decimal_type": "cần một số, ví dụ 20 hoặc 0.8 / expected a number such as 20 or 0.8",
    "int_parsing": "cần một số nguyên / expected a whole number",
    "int_type": "cần một số nguyên / expected a whole number",
    "int_from_float": "cần một số nguyên / expected a whole number",
    "string_type": "cần một chuỗi ký tự / expected text",
    "list_type": "cần một danh sách / expected a list",
    "dict_type": "cần một bảng (khoá: giá trị) / expected a mapping (key: value)",
    "model_type": "cần một bảng (khoá: giá trị) / expected a mapping (key: value)",
    "model_attributes_type": "cần một bảng (khoá: giá trị) / expected a mapping (key: value)",
    "date_parsing": "cần ngày dạng YYYY-MM-DD / expected a date YYYY-MM-DD",
    "date_from_datetime_parsing": "cần ngày dạng YYYY-MM-DD / expected a date YYYY-MM-DD",
    "date_type": "cần ngày dạng YYYY-MM-DD / expected a date YYYY-MM-DD",
    "bool_parsing": "cần true hoặc false / expected true or false",
}


def _pydantic_message(err: dict) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "string_type" and err["loc"] and err["loc"][-1] in ("code", "version", "id"):
        # Unquoted, YAML reads 4.10 as the number 4.1 and 1.0 as 1: the code would silently change.
        return ("mã phải là chuỗi ký tự trong dấu nháy, ví dụ '4.10' (không có nháy, YAML đọc 4.10 thành số 4.1) "
                "/ must be quoted text such as '4.10' (unquoted, YAML reads 4.10 as the number 4.1)")
    if kind in _PYDANTIC_MESSAGES:
        return _PYDANTIC_MESSAGES[kind]
    if kind == "greater_than_equal":
        return f"phải ≥ {ctx.get('ge')} / must be ≥ {ctx.get('ge')}"
    if kind == "greater_than":
        return f"phải > {ctx.get('gt')} / must be > {ctx.get('gt')}"
    if kind == "less_than_equal":
        return f"phải ≤ {ctx.get('le')} / must be ≤ {ctx.get('le')}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "")
        return f"phải là một trong: {expected.replace(' or ', ' hoặc ')} / must be one of: {expected}"
    if kind == "too_short":
        return f"cần ít nhất {ctx.get('min_length')} mục / needs at least {ctx.get('min_length')} item(s)"
    return f"không hợp lệ / invalid: {err['msg']}"


def _loc_to_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(gốc / root)"


def _lookup(data, loc):
    cur = data
    for part in loc:
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


def _jsonable(value):
    if isinstance(value, (dt.date, Decimal)):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def parse_framework(data: dict, file: str = "<memory>", lines: dict[str, int] | None = None) -> Framework:
    """Validate a framework dict; raise FrameworkError naming every problem found."""
    if not isinstance(data, dict):
        raise FrameworkError(file, [("(gốc / root)", type(data).__name__,
                                     "cần một bảng YAML (khoá: giá trị) / expected a YAML mapping")], lines)
    try:
        fw = Framework.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            # Pydantic names the union branch (e.g. `decimal`) in the location; the file has no such key.
            loc = tuple(p for p in loc if p not in ("decimal", "str", "int", "list", "dict") or p in _keys_at(data, loc))
            value = _lookup(data, loc) if err["type"] != "missing" else None
            problems.append((_loc_to_path(loc), _jsonable(value), _pydantic_message(err)))
        raise FrameworkError(file, problems, lines) from None
    problems = check_consistency(fw, data)
    if problems:
        raise FrameworkError(file, problems, lines)
    return fw


def _keys_at(data, loc) -> set:
    keys: set = set()
    cur = data
    for part in loc:
        if isinstance(cur, dict):
            keys |= set(cur)
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            break
    return keys


# libyaml's parser when PyYAML was built with it (the wheels are): the same documents, ≈10× faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(text: str, loader_class=_LOADER):
    """(data, root node): the document parsed once, its node tree kept for the line map. A document
    libyaml refuses is parsed again by PyYAML's own parser, whose error messages are the ones shown (and
    tested): they name the problem in the same words whichever parser PyYAML was built with."""
    loader = loader_class(text)
    try:
        root = loader.get_single_node()
        return (loader.construct_document(root) if root is not None else None), root
    except yaml.YAMLError:
        if loader_class is yaml.SafeLoader:
            raise
    finally:
        loader.dispose()
    return _parse(text, yaml.SafeLoader)


def _line_map(root) -> dict[str, int]:
    """Path inside the document → 1-based line, so errors can point at the line to fix."""
    out: dict[str, int] = {}

    def walk(node, path: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = f"{path}.{key.value}" if path else str(key.value)
                out[child] = key.start_mark.line + 1
                walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, value in enumerate(node.value):
                child = f"{path}[{i}]"
                out[child] = value.start_mark.line + 1
                walk(value, child)

    if root is not None:
        walk(root, "")
    return out


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_file(path: str | Path) -> Framework:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FrameworkError(str(path), [("(tệp / file)", None, "không tìm thấy tệp / file not found")]) from None
    except UnicodeDecodeError as exc:
        raise FrameworkError(str(path), [("(tệp / file)", None,
                                          f"tệp phải mã hoá UTF-8 (byte lỗi ở vị trí {exc.start}) "
                                          f"/ the file must be UTF-8 (bad byte at offset {exc.start})")]) from None
    text = nfc(text.lstrip("\ufeff"))
    try:
        data, root = _parse(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"dòng / line {mark.line + 1}, cột / column {mark.column + 1}" if mark else "(tệp / file)"
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        detail = f"{context}: {problem}" if context else problem
        source_lines = text.splitlines()
        shown = source_lines[mark.line].strip() if mark and mark.line < len(source_lines) else None
        raise FrameworkError(str(path), [(where, shown, f"YAML sai cú pháp (kiểm tra thụt lề, dấu nháy, ngoặc) "
                                                        f"/ YAML syntax error (check indentation, quotes, brackets): "
                                                        f"{detail}")]) from None
    return parse_framework(data, str(path), _line_map(root))


class Frameworks(dict):
    """Frameworks by id, each id giving its newest version; every version stays reachable: by
    `frameworks["id@version"]`, in `versions[id]` (oldest first) and through `pick(id, year)`, the version a
    period of that year is assessed on. Versions of one id coexist (a decision replacing another)."""

    def __init__(self, versions: list[Framework] = ()):
        self.versions: dict[str, list[Framework]] = {}
        for fw in sorted(versions, key=lambda f: (f.id, f.valid_from, code_key(f.version))):
            self.versions.setdefault(fw.id, []).append(fw)
        super().__init__({fw_id: every[-1] for fw_id, every in self.versions.items()})

    def __missing__(self, key: str) -> Framework:
        fw_id, _, version = str(key).partition("@")
        for fw in self.versions.get(fw_id, []):
            if version and fw.version == version:
                return fw
        raise KeyError(key)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key) -> bool:
        return self.get(key) is not None

    def pick(self, fw_id: str | None, year: int | None = None) -> Framework | None:
        """The version of `fw_id` a period of `year` is assessed on (see pick_version)."""
        if not fw_id:
            return None
        if "@" in fw_id:
            return self.get(fw_id)
        return pick_version(self.versions.get(fw_id, []), year)

    def all_versions(self) -> list[Framework]:
        return [fw for fw_id in sorted(self.versions) for fw in self.versions[fw_id]]


def valid_in(fw: Framework, year: int) -> bool:
    return fw.valid_from.year <= year and (fw.valid_to is None or fw.valid_to.year >= year)


def pick_version(versions: list[Framework], year: int | None) -> Framework | None:
    """Among the versions of one framework, the one in force for a period of `year`: valid that year, the
    latest to take effect (a decision replacing another the same year wins); without a year, the newest."""
    ordered = sorted(versions, key=lambda f: (f.valid_from, code_key(f.version)))
    if year is None:
        return ordered[-1] if ordered else None
    valid = [fw for fw in ordered if valid_in(fw, year)]
    return valid[-1] if valid else None


def load_versions(directory: Path | None = None) -> list[Framework]:
    """Every framework file in DTI_FRAMEWORKS_DIR (default: frameworks/), each version of each id."""
    directory = directory or get_settings().frameworks_dir
    seen: dict[tuple[str, str], Path] = {}
    out: list[Framework] = []
    for path in sorted(directory.glob("*.yaml")):
        fw = load_file(path)
        if (fw.id, fw.version) in seen:
            raise FrameworkError(str(path), [("version", fw.version,
                                              f"phiên bản {fw.id}@{fw.version} bị trùng, đã có ở "
                                              f"{seen[(fw.id, fw.version)].name} / duplicate version "
                                              f"{fw.id}@{fw.version}, also in {seen[(fw.id, fw.version)].name}")])
        seen[(fw.id, fw.version)] = path
        out.append(fw)
    return out


def load_all(directory: Path | None = None) -> Frameworks:
    """Every shipped framework by id (the newest version of each; the others in `.versions`)."""
    return Frameworks(load_versions(directory))


def load_framework(framework_id: str, directory: Path | None = None) -> Framework:
    frameworks = load_all(directory)
    if framework_id not in frameworks:
        known = ", ".join(sorted(frameworks))
        raise KeyError(f"Không có bộ chỉ số '{framework_id}' / unknown framework; có / known: {known}")
    return frameworks[framework_id]


def total_max(fw: Framework, unit_type: str | None = None) -> Decimal:
    leaves = fw.leaves()
    if unit_type is not None:
        leaves = [leaf for leaf in leaves if fw.applies(leaf, unit_type)]
    return sum((leaf.max_points for leaf in leaves), Decimal("0"))


def framework_for_type(frameworks: dict[str, Framework], unit_type: str, year: int | None = None) -> Framework | None:
    """The framework (first by id) whose unit types include `unit_type`, in the version valid in `year`
    when given."""
    versions = getattr(frameworks, "versions", None)
    for fw_id in sorted(frameworks):
        if "@" in fw_id:
            continue
        if versions is not None:
            fw = pick_version(versions[fw_id], year)
        else:
            fw = frameworks[fw_id]
            fw = fw if year is None or valid_in(fw, year) else None
        if fw is not None and any(ut.type == unit_type for ut in fw.unit_types):
            return fw
    return None


def pick(frameworks: dict[str, Framework], fw_id: str | None, year: int | None = None) -> Framework | None:
    """`frameworks.pick` for a Frameworks set; a plain dict (tests, one version per id) gives its entry."""
    if not fw_id:
        return None
    if isinstance(frameworks, Frameworks):
        return frameworks.pick(fw_id, year)
    return frameworks.get(fw_id)
