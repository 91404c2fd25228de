"""Backend discovery through entry points: listing, lookup hints, broken and duplicate plugins."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from evogroup import BackendError, get_backend, list_backends
from evogroup.backend import registry
from evogroup.backend.synthetic import SyntheticBackend
from evogroup.core import plugins


def clear_caches():
    registry.BACKENDS.entry_points.cache_clear()
    registry.get_backend.cache_clear()


@pytest.fixture(autouse=True)
def fresh_caches():
    clear_caches()
    yield
    clear_caches()


def entry_point(name, value):
    return EntryPoint(name=name, value=value, group=registry.BACKENDS.group)


@pytest.fixture
def installed(monkeypatch):
    """Replace the installed backends with synthetic plus a few broken ones."""
    eps = {
        "synthetic": entry_point("synthetic", "evogroup.backend.synthetic:SyntheticBackend"),
        "missing": entry_point("missing", "evogroup_no_such_module:Backend"),
        "notabackend": entry_point("notabackend", "builtins:dict"),
    }
    monkeypatch.setattr(registry.BACKENDS, "entry_points", lambda: eps)
    return eps


def test_synthetic_is_listed():
    assert "synthetic" in list_backends()
    assert list_backends() == sorted(list_backends())


def test_get_backend_loads_and_caches_the_instance():
    backend = get_backend("synthetic")
    assert isinstance(backend, SyntheticBackend)
    assert get_backend("synthetic") is backend


def test_unknown_name_lists_installed_and_the_nearest():
    with pytest.raises(
        BackendError,
        match=r"no backend named 'synthetc'; installed: .*synthetic.*; did you mean 'synthetic'\?",
    ):
        get_backend("synthetc")


def test_unknown_name_without_a_near_match_has_no_hint(installed):
    with pytest.raises(BackendError, match=r"installed: missing, notabackend, synthetic$"):
        get_backend("zzzz")


def test_backend_error_is_a_lookup_error():
    with pytest.raises(LookupError):
        get_backend("synthetc")


def test_listing_imports_nothing(installed):
    assert list_backends() == ["missing", "notabackend", "synthetic"]


def test_broken_backend_is_reported_and_the_others_still_work(installed):
    with pytest.raises(
        BackendError,
        match=r"backend 'missing' \(evogroup_no_such_module:Backend\) failed to load: ModuleNotFoundError",
    ):
        get_backend("missing")
    assert isinstance(get_backend("synthetic"), SyntheticBackend)


def test_entry_point_that_is_not_a_backend_is_refused(installed):
    with pytest.raises(
        BackendError, match=r"backend 'notabackend' \(builtins:dict\) is not an evogroup.Backend"
    ):
        get_backend("notabackend")


def test_summaries_say_why_a_backend_failed(installed):
    summaries = dict(registry.backend_summaries())
    assert summaries["synthetic"] == SyntheticBackend.summary
    assert summaries["missing"].startswith(
        "(failed to load: No module named 'evogroup_no_such_module'"
    )


def test_two_packages_registering_one_name_warn_and_the_first_wins(monkeypatch):
    first = entry_point("twin", "evogroup.backend.synthetic:SyntheticBackend")
    second = entry_point("twin", "other_package:Backend")
    monkeypatch.setattr(plugins, "entry_points", lambda group: [first, second])
    with pytest.warns(RuntimeWarning, match="two packages register the evogroup backend 'twin'"):
        assert registry.BACKENDS._read() == {"twin": first}
