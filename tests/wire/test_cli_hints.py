"""Hints work as printed: the command named in `wire init`'s and the demo's closing lines runs as shown,
and `wire init` writes every key of the configuration with its default and a comment."""

import dataclasses
import os
import shlex
import subprocess
import sys
from pathlib import Path

from aggregator.config import Config, load_config
from wire.cli.output import command_name

ROOT = Path(__file__).resolve().parents[2]
VENV_WIRE = Path(sys.executable).parent / "wire"


def test_command_name_is_wire_only_when_the_shell_finds_that_script(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert command_name(str(VENV_WIRE), search_path="/usr/bin:/bin") in (
        os.path.relpath(VENV_WIRE, ROOT),
        str(VENV_WIRE),
    )
    assert command_name(str(VENV_WIRE), search_path=str(VENV_WIRE.parent)) == "wire"
    assert command_name(str(ROOT / "wire" / "__main__.py")).endswith(" -m wire")
    monkeypatch.chdir(tmp_path)
    assert command_name(str(VENV_WIRE), search_path="/usr/bin:/bin") == str(VENV_WIRE)


def test_init_names_a_command_that_runs_outside_the_virtual_environment(tmp_path):
    """`.venv/bin/wire init` with the venv not on the PATH, as after `make demo`: the hint must run."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "WIRE_DB": str(tmp_path / "data" / "wire.db"),
    }
    result = subprocess.run([str(VENV_WIRE), "init"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    hint = next(line for line in result.stderr.splitlines() if line.startswith("next: "))
    command = shlex.split(hint.removeprefix("next: "))
    assert command[0] != "wire"
    again = subprocess.run(
        [*command[: command.index("sources")], "sources", "list", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0, again.stderr


def test_demo_closing_line_names_the_real_command():
    source = (ROOT / "wire" / "demo" / "pipeline.py").read_text(encoding="utf-8")
    assert 'f"see it:   {command_name()} --config' in source
    assert '"see it:   wire ' not in source


def test_init_writes_every_key_with_its_default_and_a_comment(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WIRE_CONFIG": ""}
    env.pop("WIRE_DB", None)
    result = subprocess.run(
        [sys.executable, "-m", "wire", "init"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    written = (tmp_path / "wire.toml").read_text(encoding="utf-8")
    assert load_config(tmp_path / "wire.toml", environ={}) == Config()
    lines = written.splitlines()
    for field in dataclasses.fields(Config):
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{field.name} = "))
        assert lines[index - 1].startswith("# ") and len(lines[index - 1]) > 4, field.name
    assert "aggregator/config.py" not in written
    assert (tmp_path / "data" / "wire.db").is_file()
