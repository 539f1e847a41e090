"""Every SQLite connection gets the product's pragmas; SQLITE_SYNCHRONOUS picks the sync level."""

import pytest
from sqlalchemy import create_engine, text

# PRAGMA synchronous reads back as a number: 1 NORMAL, 2 FULL, 3 EXTRA.
LEVELS = {"NORMAL": 1, "FULL": 2, "EXTRA": 3}


def _pragmas(path) -> dict:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return {
                name: conn.execute(text(f"PRAGMA {name}")).scalar()
                for name in (
                    "foreign_keys",
                    "journal_mode",
                    "busy_timeout",
                    "synchronous",
                    "cache_size",
                    "mmap_size",
                )
            }
    finally:
        engine.dispose()


def test_defaults_wal_with_normal_sync(tmp_path, monkeypatch):
    import app.extensions  # noqa: F401 - registers the connect listener

    monkeypatch.delenv("SQLITE_SYNCHRONOUS", raising=False)
    monkeypatch.delenv("SQLITE_CACHE_MB", raising=False)
    monkeypatch.delenv("SQLITE_MMAP_MB", raising=False)
    pragmas = _pragmas(tmp_path / "a.sqlite3")
    # 2 GiB asked; SQLite's build caps it (at 2 GiB less 64 KiB in the usual builds).
    assert 1024**3 < pragmas.pop("mmap_size") <= 2 * 1024**3
    assert pragmas == {
        "foreign_keys": 1,
        "journal_mode": "wal",
        "busy_timeout": 15000,
        "synchronous": LEVELS["NORMAL"],
        "cache_size": -64 * 1024,  # negative: KiB
    }


@pytest.mark.parametrize("setting, size", [("256", 256 * 1024**2), ("0", 0)])
def test_memory_map_from_the_environment(tmp_path, monkeypatch, setting, size):
    import app.extensions  # noqa: F401

    monkeypatch.setenv("SQLITE_MMAP_MB", setting)
    assert _pragmas(tmp_path / "m.sqlite3")["mmap_size"] == size


@pytest.mark.parametrize("setting, kib", [("16", 16 * 1024), ("1", 2 * 1024), ("lots", 64 * 1024)])
def test_cache_size_from_the_environment(tmp_path, monkeypatch, setting, kib):
    import app.extensions  # noqa: F401

    monkeypatch.setenv("SQLITE_CACHE_MB", setting)
    assert _pragmas(tmp_path / "c.sqlite3")["cache_size"] == -kib


@pytest.mark.parametrize(
    "setting, level", [("full", "FULL"), ("EXTRA", "EXTRA"), ("off", "NORMAL")]
)
def test_sync_level_from_the_environment(tmp_path, monkeypatch, setting, level):
    # "off" is not offered: durability is never switched off, an unknown value means NORMAL.
    import app.extensions  # noqa: F401

    monkeypatch.setenv("SQLITE_SYNCHRONOUS", setting)
    assert _pragmas(tmp_path / "b.sqlite3")["synchronous"] == LEVELS[level]
