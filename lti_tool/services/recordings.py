"""Synthesised first recordings for audio activities, from their transcripts."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

VOICES = {"es": "es-419+f3", "en": "en-us+f3"}


@dataclass(frozen=True)
class Recording:
    target: Path
    locale: str
    text: str


def _plain(markdown: str) -> str:
    """Markdown to the words a voice should read."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", markdown)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[#*_>`]", "", text)
    return re.sub(r"\s+", " ", text).strip()


def missing_recordings(root: Path, force: bool = False) -> Iterator[Recording]:
    for path in sorted(root.glob("courses/*/*/*.md")):
        locale = path.parent.name
        if locale not in VOICES:
            continue
        parts = path.read_text(encoding="utf-8").split("---", 2)
        if len(parts) < 3:
            continue
        front = yaml.safe_load(parts[1]) or {}
        media = front.get("media") if isinstance(front, dict) else None
        if (
            front.get("kind") != "media"
            or not isinstance(media, dict)
            or media.get("type") != "audio"
        ):
            continue
        src = str(media.get("src", ""))
        if not src or src.startswith("https://"):
            continue
        target = (path.parent / src).resolve()
        if target.exists() and not force:
            continue
        yield Recording(target, locale, _plain(parts[2]))


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(name)
    return found


def record(job: Recording) -> None:
    job.target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "speech.wav"
        subprocess.run(  # noqa: S603 - a fixed program found by shutil.which; text on stdin
            [_program("espeak-ng"), "-v", VOICES[job.locale], "-s", "145", "-w", str(wav)],
            input=job.text.encode(),
            check=True,
        )
        subprocess.run(  # noqa: S603
            [
                _program("opusenc"),
                "--quiet",
                "--bitrate",
                "16",
                "--downmix-mono",
                str(wav),
                str(job.target),
            ],
            check=True,
        )
