"""A fault inside the publisher reaches a person as plain words; the traceback goes to a file for a developer."""

from __future__ import annotations

from helpers import ROOT, dps

from dps_publish import cli, pipeline


def test_an_unexpected_fault_is_kept_in_a_file_not_shown(tmp_path, monkeypatch, capsys):
    def broken(project):
        raise RuntimeError("a bug deep inside")

    monkeypatch.setattr(pipeline, "validate", broken)
    code = dps(["validate", "--data", str(ROOT / "data"), "--settings", str(ROOT / "pelicanconf.py"),
                     "--cache", str(tmp_path / "cache"), "--output", str(tmp_path / "output")])
    err = capsys.readouterr().err
    assert code == cli.EXIT_FAILED
    assert "Traceback" not in err and "RuntimeError" not in err
    assert "Something went wrong inside dps-publish itself" in err
    reports = list((tmp_path / "cache" / "faults").glob("fault-*.txt"))
    assert len(reports) == 1 and str(reports[0]) in err
    text = reports[0].read_text(encoding="utf-8")
    assert "Traceback" in text and "RuntimeError: a bug deep inside" in text


def test_stopping_with_ctrl_c_says_nothing_was_published(tmp_path, monkeypatch, capsys):
    def interrupted(project):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "validate", interrupted)
    code = dps(["validate", "--settings", str(ROOT / "pelicanconf.py"), "--cache", str(tmp_path / "c"),
                     "--output", str(tmp_path / "output")])
    assert code == cli.EXIT_STOPPED
    assert "Nothing was published" in capsys.readouterr().err
