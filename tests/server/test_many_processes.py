"""Several `jiedan server run` processes on one PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.server.processes import running_servers, throwaway_database

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("processes")]


def test_processes_started_at_once_on_an_empty_database_all_become_ready(tmp_path: Path) -> None:
    with throwaway_database() as url, running_servers(url, tmp_path, 3) as servers:
        for server in servers:
            assert httpx.get(f"{server.base}/healthz").status_code == 200
        epochs = {httpx.get(f"{s.base}/v1/sync/pull").status_code for s in servers}
        assert epochs
