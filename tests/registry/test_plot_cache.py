"""Drawn plots are shared by the server processes through ``PLOT_CACHE_FOLDER``."""

from __future__ import annotations

import stat

import pytest

from registry import plot_cache


@pytest.fixture
def app_config(tmp_path) -> dict:
    return {"PLOT_CACHE_FOLDER": str(tmp_path / "plots")}


def refuse() -> bytes:
    raise AssertionError("drawn again")


def test_another_process_reuses_the_drawn_image_and_new_data_is_drawn(app, tmp_path):
    panel = {"year": 2003, "rows": [["KG", 20]]}
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        plot_cache._cache.clear()
        first = plot_cache.cached_png("ministry-regions", panel, lambda: b"png-2003")
        plot_cache._cache.clear()  # as another server process, or after a restart
        assert plot_cache.cached_png("ministry-regions", panel, refuse) == first
        changed = {"year": 2003, "rows": [["KG", 21]]}  # one more client
        assert plot_cache.cached_png("ministry-regions", changed, lambda: b"png-new") == b"png-new"
    with app.test_request_context("/", headers={"Accept-Language": "ru"}):
        plot_cache._cache.clear()
        assert plot_cache.cached_png("ministry-regions", panel, lambda: b"png-ru") == b"png-ru"
    folder = tmp_path / "plots"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = sorted(folder.iterdir())
    assert len(files) == 3 and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)


def test_an_image_drawn_by_older_drawing_code_is_not_served(app, monkeypatch):
    # a deployment that changed a plot (issue 14: legends, labels) kept serving the files
    # the old code had drawn, as the data, and so the key, had not changed
    panel = {"year": 2003, "rows": [["KG", 20]]}
    with app.test_request_context("/", headers={"Accept-Language": "ru"}):
        plot_cache._cache.clear()
        assert (
            plot_cache.cached_png("ministry-regions", panel, lambda: b"old drawing")
            == b"old drawing"
        )
        plot_cache._cache.clear()
        monkeypatch.setattr(plot_cache, "drawing_version", lambda: "changed code")
        assert (
            plot_cache.cached_png("ministry-regions", panel, lambda: b"new drawing")
            == b"new drawing"
        )


def test_only_the_newest_images_are_kept(app, tmp_path, monkeypatch):
    monkeypatch.setattr(plot_cache, "DISK_CACHE_SIZE", 2)
    with app.test_request_context("/"):
        for year in range(4):
            plot_cache.cached_png("ministry-hiv", {"year": year}, lambda year=year: b"%d" % year)
    assert len(list((tmp_path / "plots").glob("*.png"))) == 2


def test_the_instance_folder_by_default_and_none_in_tests(tmp_path):
    from registry.config import load_settings

    secrets = {"SECRET_KEY": "s" * 40, "LINKAGE_KEY": "l" * 40}
    assert load_settings(str(tmp_path), secrets)["PLOT_CACHE_FOLDER"] == str(tmp_path / "plots")
    assert "PLOT_CACHE_FOLDER" not in load_settings(str(tmp_path), {**secrets, "TESTING": True})
