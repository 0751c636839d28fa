"""Finding the audio activities that still lack a recording, and the text a voice reads."""

from __future__ import annotations

import shutil
from pathlib import Path

from lti_tool.services.recordings import _plain, missing_recordings
from tests.conftest import TEST_CONTENT


def test_transcripts_are_read_without_markdown() -> None:
    assert _plain("## Hola\n\nSoy **Carmen**. Mira [esto](https://x.example) ![foto](a.png)") == (
        "Hola Soy Carmen. Mira esto"
    )


def test_only_missing_audio_recordings_are_listed(tmp_path: Path) -> None:
    root = tmp_path / "content"
    shutil.copytree(TEST_CONTENT, root)
    assert list(missing_recordings(root)) == []  # the test programme has both files
    (root / "media" / "ls-story.en.ogg").unlink()
    [job] = list(missing_recordings(root))
    assert job.target.name == "ls-story.en.ogg" and job.locale == "en"
    assert job.text == "My name is Carmen and I sell empanadas."
    assert len(list(missing_recordings(root, force=True))) == 2
