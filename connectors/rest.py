"""Settings every REST connector shares (URL, token, timeouts, retry budget) and the wire-to-canonical
field mapping that turns a renamed or missing response field into a SchemaDriftError naming it."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

import dagster as dg
from pydantic import PrivateAttr

from connectors.base import SchemaDriftError
from connectors.http import PullStats, RetryingClient, RetryPolicy
from connectors.records import COMMON, FIELDS, BadValueError, RecordReader, _checked, readers


class RestSettings(dg.ConfigurableResource):
    base_url: str  # e.g. https://dvc.example.gov.vn (no trailing /api/v1)
    token: str  # Bearer token; pass dg.EnvVar("DTI_..._TOKEN") so it never sits in code
    page_size: int = 500
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_retries: int = 6
    max_total_wait_s: float = 120.0
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    jitter_seed: int | None = None  # set in tests for a reproducible backoff sequence
    max_response_s: float = 120.0  # one whole response, however slowly its bytes arrive
    max_body_bytes: int = 64 * 1024 * 1024  # one response once decompressed
    max_pull_s: float = 7200.0  # one entity's whole pull: a source that pages for ever stops here
    max_pages: int = 100_000  # a hard bound on any pagination loop
    max_empty_pages: int = 5  # consecutive empty pages tolerated mid-stream
    stall_retries: int = 2  # re-asks of a page that made no progress before giving up on it
    # Ask for gzip bodies. None: yes, except from this machine itself (127.0.0.0/8, ::1, localhost),
    # where compressing and decompressing every page costs both ends CPU and saves no network.
    gzip: bool | None = None

    _last_stats: PullStats | None = PrivateAttr(default=None)

    @property
    def last_stats(self) -> PullStats | None:
        """What the most recent pull went through (requests, retries, duplicates, warnings)."""
        return self._last_stats

    def expected_count(self) -> int | None:
        return self._last_stats.expected if self._last_stats is not None else None

    def _client(self, system: str) -> RetryingClient:
        policy = RetryPolicy(self.connect_timeout, self.read_timeout, self.max_retries, self.max_total_wait_s,
                             self.backoff_base_s, self.backoff_max_s, self.jitter_seed, self.max_response_s,
                             self.max_body_bytes)
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if not (self.gzip if self.gzip is not None else not _loopback(self.base_url)):
            headers["Accept-Encoding"] = "identity"
        client = RetryingClient(system, policy, headers)
        self._last_stats = client.stats
        return client

    def _url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


def _loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _from_wire_checked(system: str, entity: str, item: Mapping, fields: Mapping[str, str],
                       values: Mapping[str, Mapping[str, str]] | None = None, booleans: tuple | None = None) -> dict:
    """The field-by-field path: renames, then checks; drift names the wire field."""
    if not isinstance(item, Mapping):
        raise SchemaDriftError(system, entity, "<bản ghi/record>", f"không phải đối tượng JSON / not an object: "
                                                                   f"{str(item)[:80]}")
    row = {}
    record_id = item.get(fields["source_id"], "?")
    for name, wire in fields.items():
        if wire not in item:
            unknown = sorted(set(item) - set(fields.values()))
            extra = f"; trường lạ / unexpected fields: {', '.join(unknown)}" if unknown else ""
            raise SchemaDriftError(system, entity, wire, f"(trường chuẩn / canonical '{name}') ở bản ghi "
                                                         f"{record_id}{extra}")
        value = item[wire]
        if values and name in values and value is not None:
            if not isinstance(value, str | int) or isinstance(value, bool) or value not in values[name]:
                raise BadValueError(system, entity, wire, record_id, value,
                                    f"một mã đã biết / a known code (unknown value): one of {sorted(values[name])}")
            value = values[name][value]
        row[name] = value
    return _checked(system, entity, row, readers(booleans))


def wire_reader(system: str, entity: str, fields: Mapping[str, str],
                values: Mapping[str, Mapping[str, str]] | None = None,
                booleans: tuple | None = None) -> Callable[[Mapping], dict]:
    """A compiled from_wire for one entity: build it once per pull, call it per response item.
    `booleans`: the (true, false) spellings the source uses, when they are not true/false/1/0/có/không."""

    def checked(item):
        return _from_wire_checked(system, entity, item, fields, values, booleans)

    if set(fields) != set(COMMON) | set(FIELDS[entity]):
        return checked  # a mapping that does not name every canonical field: the checked path says which
    used = {name: codes for name, codes in (values or {}).items() if name in fields}
    return RecordReader(system, entity, names=fields, values=used, checked=checked, booleans=booleans)


def from_wire(system: str, entity: str, item: Mapping, fields: Mapping[str, str],
              values: Mapping[str, Mapping[str, str]] | None = None) -> dict:
    """Rename a response item's fields to canonical names and check it; drift names the wire field."""
    return wire_reader(system, entity, fields, values)(item)
