"""How commands print: tables for people, plain lines for scripts, and write errors as one line."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import IO

from aggregator.db import parse_iso
from aggregator.exceptions import WireError


def table(rows: list[dict], columns: list[tuple[str, str]], title: str | None = None) -> None:
    """Print rows as a table; `columns` pairs each key with its header."""
    from rich.console import Console
    from rich.table import Table

    grid = Table(title=title, show_lines=False)
    for _, header in columns:
        grid.add_column(header, overflow="fold")
    for row in rows:
        grid.add_row(*["" if row.get(key) is None else str(row.get(key)) for key, _ in columns])
    Console().print(grid)


def relative(moment: str | None, now: datetime) -> str:
    """'12 min ago', 'in 3 h': short enough for a table on a phone-sized terminal."""
    if not moment:
        return "never"
    when = parse_iso(moment)
    if when is None:
        return "never"
    seconds = (when - now).total_seconds()
    size = abs(seconds)
    amount = (
        f"{size:.0f} s"
        if size < 90
        else f"{size / 60:.0f} min"
        if size < 5400
        else f"{size / 3600:.0f} h"
        if size < 129600
        else f"{size / 86400:.0f} d"
    )
    return f"in {amount}" if seconds > 0 else f"{amount} ago"


def silence_stdout() -> None:
    """Point stdout at /dev/null so that Python's last flush at exit cannot fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (tests capture stdout)
        pass


def write_lines(lines: Iterable[str], target: str) -> None:
    """Write `lines` to the file `target` ('-': stdout); a full disk or a closed pipe is one WireError."""
    name = "<stdout>" if target == "-" else target
    stream: IO[str] | None = None
    try:
        stream = sys.stdout if target == "-" else open(target, "w", encoding="utf-8", newline="")
        for line in lines:
            stream.write(line)
        stream.flush()
    except OSError as error:
        if target == "-":
            silence_stdout()
        elif stream is not None:
            _close_quietly(stream)
        raise WireError(f"cannot write {name}: {error.strerror or error}") from None
    if target != "-" and stream is not None:
        stream.close()


def _close_quietly(stream: IO[str]) -> None:
    """Close a file whose buffer could not be written, dropping the buffer instead of raising again."""
    try:
        stream.close()
    except OSError:
        pass


def command_name(argv0: str | None = None, search_path: str | None = None) -> str:
    """How to run `wire` again from the current directory, as the user can type it.

    `wire` when that is what the shell would find; otherwise the script that runs now,
    relative to the current directory when it is below it (`.venv/bin/wire`), or
    `python -m wire` with the interpreter that runs now.
    """
    argv0 = sys.argv[0] if argv0 is None else argv0
    script = Path(argv0)
    if not argv0 or script.name in ("__main__.py", "-c", "-m"):
        return f"{_typeable(Path(sys.executable))} -m wire"
    found = shutil.which("wire", path=search_path)
    if found and Path(found).resolve() == script.resolve():
        return "wire"
    return _typeable(script)


def _typeable(path: Path) -> str:
    absolute = path.absolute()
    try:
        inside = absolute.relative_to(Path.cwd())
    except ValueError:
        return str(absolute)
    return str(inside) if len(inside.parts) > 1 else f"./{inside}"
