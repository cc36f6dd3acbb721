"""`--executor dask`: extraction and judging on a Dask cluster give the local run's results."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from policyaudit.cli.main import app

distributed = pytest.importorskip(
    "dask.distributed", reason="dask[distributed] is not installed (the optional 'dask' extra)"
)

runner = CliRunner()


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as local:
        yield local


def _audit(out: Path, *options: str) -> str:
    result = runner.invoke(app, ["audit", "--out", str(out), "--no-progress", *options])
    assert result.exit_code == 0, result.output
    return (out / "judgements.csv").read_text(encoding="utf-8")


def test_dask_run_gives_the_local_results(cluster, tmp_path: Path) -> None:
    local = _audit(tmp_path / "local", "--executor", "local")
    dask = _audit(tmp_path / "dask", "--executor", "dask", "--scheduler", cluster.scheduler_address)
    assert dask == local
    org_csv = [(tmp_path / d / "organisations.csv").read_text() for d in ("local", "dask")]
    assert org_csv[0] == org_csv[1]


def test_dask_without_scheduler_is_one_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["audit", "--out", str(tmp_path), "--executor", "dask"])
    assert result.exit_code == 2
    assert "--scheduler" in result.output and "Traceback" not in result.output
