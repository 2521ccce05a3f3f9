"""HTTP simulators of the DVC and SEC systems of record, serving a generated province over loopback.

DVC speaks a national-portal style REST/JSON API (Vietnamese field names, cursor paging, Bearer
token, gzip); SEC a SOC-console style API (page/size paging) plus a CSV export. Both can misbehave
on purpose through a fault profile (simulators.faults) so the real clients can be tested. This
module starts and stops the servers; the APIs themselves are in simulators.api.
"""

from __future__ import annotations

import socket
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

from simulators import faults as F
from simulators.api.dvc import DvcHandler
from simulators.api.sec import SecHandler
from simulators.api.served import ServedSystem
from simulators.api.wire import DVC_VALUES, MAX_LIMIT, decode_cursor, encode_cursor

# MAX_LIMIT, DVC_VALUES and the cursor functions are imported from here by callers.
__all__ = ["DEFAULT_TOKEN", "DVC_VALUES", "MAX_LIMIT", "SimulatorServer", "decode_cursor", "encode_cursor"]

DEFAULT_TOKEN = "dti-sim-token"
SYSTEMS = (("DVC", "dvc.db", DvcHandler), ("SEC", "sec.db", SecHandler))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SimulatorServer:
    """Serve a generated province's DVC and SEC over HTTP on 127.0.0.1, with an optional fault profile.

        with SimulatorServer(root, faults="flaky", seed=7) as server:
            DossierApi(base_url=server.dvc_url, token=server.token, ...)

    `doc_url` is the SQLAlchemy URL of the province's document database (SQLite) for DocumentDb.
    """

    def __init__(
        self,
        root: str | Path,
        *,
        faults: str | F.FaultProfile | None = "none",
        seed: int = 0,
        token: str = DEFAULT_TOKEN,
        port_dvc: int = 0,
        port_sec: int = 0,
        retry_after: int = 1,
        slow_seconds: float = 1.5,
    ):
        self.root = Path(root)
        for name in ("dvc.db", "sec.db"):
            if not (self.root / name).is_file():
                raise FileNotFoundError(
                    f"không thấy {self.root / name} — chạy `dti simulate generate` trước / "
                    f"missing; run `dti simulate generate` first"
                )
        self.profile = F.get_profile(faults)
        self.injector = F.FaultInjector(self.profile, seed)
        self.token = token
        self._ports = {"DVC": port_dvc, "SEC": port_sec}
        self._retry_after = retry_after
        self._slow = slow_seconds
        self._stop = threading.Event()
        self._servers: dict[str, ThreadingHTTPServer] = {}
        self._threads: list[threading.Thread] = []
        self.served: dict[str, ServedSystem] = {}
        self.urls: dict[str, str] = {}

    @property
    def dvc_url(self) -> str:
        return self.urls["DVC"]

    @property
    def sec_url(self) -> str:
        return self.urls["SEC"]

    @property
    def doc_url(self) -> str:
        return f"sqlite:///{(self.root / 'doc.db').resolve()}"

    def start(self) -> SimulatorServer:
        for system, db, handler in SYSTEMS:
            if system in self.profile.refuse:
                # A port that nothing listens on: connections are refused, as when the host is down.
                self.urls[system] = f"http://127.0.0.1:{_free_port()}"
                continue
            served = ServedSystem(
                system, self.root / db, self.injector, self.token, self._retry_after, self._slow, self._stop
            )
            cls = type(f"{system}Handler", (handler,), {"served": served})
            server = ThreadingHTTPServer(("127.0.0.1", self._ports[system]), cls)
            server.daemon_threads = True
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"dti-sim-{system}",
                daemon=True,
            )
            thread.start()
            self.served[system] = served
            self._servers[system] = server
            self._threads.append(thread)
            self.urls[system] = f"http://127.0.0.1:{server.server_address[1]}"
        return self

    def stop(self) -> None:
        self._stop.set()
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def stats(self, system: str) -> dict[str, int]:
        served = self.served.get(system)
        return dict(served.stats) if served else {}
