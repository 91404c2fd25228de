"""Ray actors as the executor: the same search as the serial one, a dead actor survived, and
a cluster that does not answer refused in one line within ``--ray-timeout``.

One local Ray cluster of 2 CPUs serves the whole module (starting one takes ~15 s).
"""

from __future__ import annotations

import shutil
import socket
import sys

import pytest

from evogroup import get_backend, search
from evogroup.core.errors import MissingExtraError
from evogroup.executors.workers import Workers, make_executor
from tests.faults.helpers import TINY, TINY_BUDGET
from tests.helpers import DiesOnceMidway, strip_timing
from tests.test_cli import SEARCH, invoke, load_result
from tests.test_mistakes import check

ray = pytest.importorskip("ray")


@pytest.fixture(scope="session")
def ray_cluster():
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield
    ray.shutdown()


def test_ray_search_equals_the_serial_one(ray_cluster, tmp_path):
    address = ray.get_runtime_context().gcs_address  # the cluster answers the address check
    invoke([*SEARCH, "--out", tmp_path / "serial"])
    out = invoke(
        [
            *SEARCH,
            "--executor",
            "ray",
            "--ray-address",
            address,
            "--workers",
            2,
            "--out",
            tmp_path / "ray",
        ]
    )
    assert strip_timing(load_result(tmp_path / "ray")) == strip_timing(
        load_result(tmp_path / "serial")
    ), out.output


@pytest.mark.slow  # a supernet epoch, then finalists trained in 2 processes and on 2 actors
def test_finalists_train_the_same_on_a_process_pool_and_on_ray_actors(ray_cluster, tmp_path):
    address = ray.get_runtime_context().gcs_address
    search = ["search", *TINY, "--epochs", 1, "--budget", TINY_BUDGET, "--recal-images", 64]
    invoke([*search, "--population", 4, "--iterations", 0, "--out", tmp_path / "pool"])
    shutil.copytree(tmp_path / "pool", tmp_path / "ray")
    stage = ["finalists", "--finalists", 2, "--finalist-epochs", 1, "--workers", 2]
    invoke([*stage, "--out", tmp_path / "pool"])
    invoke([*stage, "--executor", "ray", "--ray-address", address, "--out", tmp_path / "ray"])
    rows = (tmp_path / "pool" / "finalists.csv").read_text()
    assert rows == (tmp_path / "ray" / "finalists.csv").read_text()
    assert [line.split(",")[3] != "" for line in rows.splitlines()[1:]] == [True, True], rows
    results = [strip_timing(load_result(tmp_path / name)) for name in ("pool", "ray")]
    assert results[0] == results[1]


def test_a_killed_actor_is_restarted_and_nothing_is_lost(ray_cluster, tmp_path):
    problem = get_backend("synthetic").problem(0.8e8)
    dying = problem.__class__(
        problem.space,
        DiesOnceMidway(problem.fitness, tmp_path / "died"),
        problem.cost,
        problem.budget,
    )
    settings = {"population": 8, "iterations": 2, "crossovers": 4, "mutations": 4, "seed": 3}
    with make_executor(Workers(2, kind="ray")) as executor:
        survived = search(dying, executor=executor, checkpoint=tmp_path / "ck.json", **settings)
    lost = tuple(map(int, (tmp_path / "died").read_text().split(",")))  # died evaluating it
    assert lost in {record.genome for record in survived.history}  # retried on a new actor
    assert strip_timing(survived) == strip_timing(search(problem, **settings))


def test_ray_options_need_the_ray_executor():
    out = invoke([*SEARCH, "--gpus-per-worker", "1"], exit_code=2)
    assert "--gpus-per-worker needs --executor ray" in out.output


def test_missing_ray_is_an_install_instruction(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if not installed
    with pytest.raises(MissingExtraError, match=r"pip install 'evogroup\[ray\]'"):
        make_executor(Workers(2, kind="ray")).__enter__()
    out = invoke([*SEARCH, "--executor", "ray", "--out", tmp_path / "r"], exit_code=1)
    assert "pip install 'evogroup[ray]'" in out.output
    assert not (tmp_path / "r").exists()  # said before the run starts


@pytest.mark.slow  # a supernet, then the same search serially and on Ray: about 45 s
def test_a_tiny_binmobilenet_search_on_ray_equals_the_serial_one(ray_cluster, tmp_path):
    tiny = ["--backend", "binmobilenet", "--module", "M2", "--width-mult", "0.25"]
    invoke(["train-supernet", *tiny, "--epochs", 1, "--out", tmp_path / "sn"])
    search = [
        "search",
        *tiny,
        "--budget",
        "10M",
        "--supernet",
        tmp_path / "sn" / "supernet.pt",
        "--population",
        4,
        "--iterations",
        1,
        "--crossovers",
        2,
        "--mutations",
        2,
    ]
    invoke([*search, "--out", tmp_path / "serial"])
    invoke([*search, "--executor", "ray", "--workers", 2, "--out", tmp_path / "ray"])
    assert strip_timing(load_result(tmp_path / "ray")) == strip_timing(
        load_result(tmp_path / "serial")
    )


def test_a_malformed_ray_address_is_one_line(tmp_path):
    for address in ("no such host", "127.0.0.1", "http://head:8265/"):
        check(
            [*SEARCH, "--executor", "ray", "--ray-address", address, "--out", tmp_path / "r"],
            2,
            "--ray-address must be host:port",
            repr(address),
        )
    assert not (tmp_path / "r").exists()


def test_an_unreachable_cluster_is_one_line_naming_the_address(tmp_path):
    ray_search = [*SEARCH, "--executor", "ray", "--out", tmp_path / "r"]
    check(
        [*ray_search, "--ray-address", "127.0.0.1:1"],
        1,
        "--ray-address 127.0.0.1:1",
        "no Ray cluster answers",
    )
    with socket.socket() as silent:  # accepts connections, never speaks Ray's protocol
        silent.bind(("0.0.0.0", 0))
        silent.listen()
        address = f"127.0.0.1:{silent.getsockname()[1]}"
        check(
            [*ray_search, "--ray-address", address, "--ray-timeout", "2"],
            1,
            f"--ray-address {address}",
            "within 2 s",
        )
    assert not (tmp_path / "r").exists()


def test_the_ray_timeout_needs_the_ray_executor_and_a_positive_value():
    check([*SEARCH, "--ray-timeout", "5"], 2, "--ray-timeout needs --executor ray")
    check([*SEARCH, "--executor", "ray", "--ray-timeout", "0"], 2, "--ray-timeout")
