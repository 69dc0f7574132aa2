"""The demo keeps its own production, key and library: it never writes into the user's."""
from __future__ import annotations

import os

from answerprint.core.demo.steps import DEMO_PRODUCTION, demo_library
from answerprint.core.packs import production_public_keys
from answerprint.core.packs.production import load_production
from answerprint.core.paths import SHARED_LIBRARY_ENV, keys_dir, library_root


def test_demo_library_lives_under_the_demo_folder_and_is_released(tmp_path, monkeypatch):
    monkeypatch.setenv("ANSWERPRINT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv(SHARED_LIBRARY_ENV, raising=False)
    dailies = tmp_path / "out" / "dailies"
    dailies.mkdir(parents=True)
    with demo_library(tmp_path / "out", dailies) as (production, key):
        assert library_root() == tmp_path / "out" / "library"
        assert load_production(DEMO_PRODUCTION).approved_media_roots == (str(dailies.resolve()),)
        trusted = production_public_keys(production)
        assert len(trusted) == 1 and next(iter(trusted.values())).public_bytes_raw() == \
            key.public_key().public_bytes_raw()
    assert SHARED_LIBRARY_ENV not in os.environ
    assert not (tmp_path / "home").exists() or not any((tmp_path / "home").rglob("*.pem"))
    assert not keys_dir().exists()
