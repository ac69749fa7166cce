"""The MCP server's folder and the names it accepts: an agent cannot reach the user's files.

The server works in one folder: ``--root DIR``, or a folder of its own under the user's
data folder (``$XDG_DATA_HOME/musicpipe/mcp``, else ``~/.local/share/musicpipe/mcp``),
never the folder the client started it in (often the home folder). Every file a tool or
a pipeline names, read or written, must be a relative path inside that folder whose parts
start with no dot (no ``.bashrc``, no ``..``), with no control characters, at most
``MAX_NAME`` characters, ending in one of the extensions musicpipe writes (``WRITES``;
reads also take a SoundFont or a mood pack); symlinks that lead outside, or to a dot
name, are refused as well.
"""

from __future__ import annotations

import os
import unicodedata

MAX_NAME = 200
"""The longest file name accepted, folders included (characters)."""
MAX_PART = 100
"""The longest single part of a name (one folder or the file)."""

MIME = {".mid": "audio/midi", ".midi": "audio/midi", ".wav": "audio/wav",
        ".flac": "audio/flac", ".ogg": "audio/ogg", ".mp3": "audio/mpeg",
        ".jsonl": "application/jsonl", ".json": "application/json",
        ".svg": "image/svg+xml", ".txt": "text/plain",
        ".musicxml": "application/vnd.recordare.musicxml+xml",
        ".xml": "application/vnd.recordare.musicxml+xml",
        ".mxl": "application/vnd.recordare.musicxml"}
WRITES = tuple(MIME)
"""The extensions a written file may have: what musicpipe writes."""
READS = WRITES + (".sf2", ".sf3", ".toml")
"""A file read may also be a SoundFont (--soundfont), a mood pack (--pack) or a score plan."""
AUDIO = (".wav", ".flac", ".ogg", ".mp3")

# Every option of a stage that names a file or folder: read, write, or dir (a folder the
# stage writes files into). tests/test_mcp.py checks that no file option is missing here.
FILE_OPTIONS = {
    ("seq", "--file"): "read", ("concat", "FILE..."): "read", ("merge", "FILE..."): "read",
    ("from-midi", "FILE"): "read", ("to-wav", "--midi"): "read",
    ("to-wav", "--soundfont"): "read", ("mood", "--soundfont"): "read",
    ("mood", "--pack"): "read", ("analyze", "--wav"): "read", ("analyze", "--compare"): "read",
    ("score", "PLAN"): "read", ("score", "--pack"): "read", ("to-musicxml", "--out"): "write",
    ("viz", "--svg"): "write", ("to-midi", "--out"): "write", ("to-wav", "--out"): "write",
    ("to-wav", "--mid"): "write", ("mood", "--out"): "write", ("analyze", "--json"): "write",
    ("to-midi", "--split"): "dir", ("to-wav", "--stems"): "dir", ("mood", "--stems"): "dir",
    ("score", "--out"): "write", ("score", "--stems"): "dir", ("score", "--soundfont"): "read",
}

STDIO = {("concat", "FILE..."), ("merge", "FILE..."), ("from-midi", "FILE"), ("seq", "--file"),
         ("to-midi", "--out"), ("to-wav", "--out"), ("analyze", "--json"), ("score", "PLAN"),
         ("to-musicxml", "--out")}
"""The options that read ``-`` as stdin or write it as stdout; for any other, ``-`` would be
a file of that name, and is refused like any name without musicpipe's extensions."""


class Refused(ValueError):
    """A name the server will not use; ``str(e)`` is the one line the agent sees."""


def default_root() -> str:
    """The server's own folder under the user's data folder (XDG base directories)."""
    data = os.environ.get("XDG_DATA_HOME", "")
    if not os.path.isabs(data):  # the spec: a relative value is to be ignored
        data = os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(data, "musicpipe", "mcp")


def _shown(name: str) -> str:
    """A name as it may appear in a one-line message: escaped, at most 60 characters."""
    text = name.encode("unicode_escape").decode("ascii")
    return text if len(text) <= 60 else text[:57] + "..."


class Folder:
    """The one folder the server's files live in, and the checks every name goes through."""

    def __init__(self, root: str):
        os.makedirs(root, mode=0o700, exist_ok=True)
        self.root = os.path.realpath(root)

    def check(self, name: str, kind: str, what: str) -> str:
        """The full path of ``name`` for ``kind`` (read, write or dir); Refused otherwise."""
        self._check_text(name, what)
        ext = os.path.splitext(name)[1].lower()
        allowed = {"read": READS, "write": WRITES}.get(kind)
        if allowed is not None and ext not in allowed:
            raise Refused(f"{what} {_shown(name)}: give a file ending in "
                          f"{' '.join(allowed)}")
        full = os.path.realpath(os.path.join(self.root, name))
        inside = os.path.relpath(full, self.root)
        if full == self.root or inside.startswith(os.pardir + os.sep) or inside == os.pardir:
            raise Refused(f"{what} {_shown(name)}: outside the server's folder {self.root}")
        if any(part.startswith(".") for part in inside.split(os.sep)):
            raise Refused(f"{what} {_shown(name)}: leads to a dot name; "
                          "the server never touches dot-files")
        if kind != "read" and not os.path.isdir(os.path.dirname(full)):
            folder = os.path.dirname(name) or "."
            raise Refused(f"{what} {_shown(name)}: there is no folder {_shown(folder)} in the "
                          f"server's folder {self.root}; name an existing one")
        return full

    def _check_text(self, name: str, what: str) -> None:
        if not isinstance(name, str) or not name:
            raise Refused(f"{what}: give a file name")
        if len(name) > MAX_NAME:
            raise Refused(f"{what} {_shown(name)}: longer than {MAX_NAME} characters")
        if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") for c in name):
            raise Refused(f"{what} {_shown(name)}: control characters are not allowed")
        if os.path.isabs(name) or name.startswith("~"):
            raise Refused(f"{what} {_shown(name)}: give a path relative to the server's "
                          f"folder {self.root}")
        for part in name.split("/"):
            if part.startswith("."):
                raise Refused(f"{what} {_shown(name)}: no part of a name may start with a dot "
                              "(no dot-files, no ..)")
            if len(part) > MAX_PART:
                raise Refused(f"{what} {_shown(name)}: a part longer than {MAX_PART} "
                              "characters")
            if "\\" in part:
                raise Refused(f"{what} {_shown(name)}: use / between folders")

    def fresh(self, stem: str, ext: str) -> str:
        """Claim a new empty file ``stem.ext`` (or ``stem-2.ext`` ...) that did not exist:
        a name the server picks itself never replaces a file."""
        for n in range(1, 10000):
            name = f"{stem}{'' if n == 1 else f'-{n}'}{ext}"
            full = self.check(name, "write", "file")
            try:
                os.close(os.open(full, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
                return full
            except FileExistsError:
                continue
        raise Refused(f"file {stem}{ext}: 9999 files of that name exist already")

    def relative(self, full: str) -> str:
        return os.path.relpath(full, self.root)

    def pipeline_check(self, stage: str, option: str, value: str) -> None:
        """``pipeline.run``'s check_file: every file option goes through ``check``."""
        kind = FILE_OPTIONS.get((stage, option))
        if value == "-" and (stage, option) in STDIO:
            return
        if kind is None:  # an option added since: refuse rather than let it through
            raise Refused(f"{stage} {option}: not available through the MCP server")
        self.check(value, kind, f"{stage} {option}")
