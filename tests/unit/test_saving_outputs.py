"""Saving outputs on the client's machine: never overwrite, never leave the chosen folder."""

from __future__ import annotations

from pathlib import Path

from client.files import save_new


def test_an_existing_file_is_kept_and_the_new_one_numbered(tmp_path: Path) -> None:
    (tmp_path / "fox_00001_.png").write_bytes(b"mine")
    assert save_new(tmp_path, "fox_00001_.png", b"new") == tmp_path / "fox_00001_-1.png"
    assert save_new(tmp_path, "fox_00001_.png", b"newer") == tmp_path / "fox_00001_-2.png"
    assert (tmp_path / "fox_00001_.png").read_bytes() == b"mine"


def test_a_file_name_with_folders_in_it_stays_in_the_save_folder(tmp_path: Path) -> None:
    folder = tmp_path / "saves"
    folder.mkdir()
    assert save_new(folder, "../../evil.png", b"x") == folder / "evil.png"
    assert not (tmp_path / "evil.png").exists()
