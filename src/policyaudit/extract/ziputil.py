"""Safety checks for zip-based formats (DOCX, ODT) before any member is decompressed."""

from __future__ import annotations

import zipfile
from pathlib import Path

from .model import ExtractionError

MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 200  # zeros compress ~1000:1; real XML stays well under 100:1


def open_checked_zip(
    path: Path,
    label: str,
    max_uncompressed: int = MAX_UNCOMPRESSED,
    max_ratio: float = MAX_RATIO,
) -> zipfile.ZipFile:
    """Open ``path`` as a zip, refusing non-zips and zip bombs from the central directory alone."""
    if not zipfile.is_zipfile(path):
        raise ExtractionError(f"not a valid {label} (zip)", path.name)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ExtractionError(f"not a valid {label} (zip)", f"{path.name}: {exc}") from exc
    infos = archive.infolist()
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    if total > max_uncompressed:
        archive.close()
        raise ExtractionError("too large", f"{path.name}: {total} bytes uncompressed")
    if packed and total > 1_000_000 and total / packed > max_ratio:
        archive.close()
        raise ExtractionError("too large", f"{path.name}: compression ratio {total / packed:.0f}")
    return archive


def read_member(archive: zipfile.ZipFile, name: str, path: Path, label: str) -> bytes:
    try:
        return archive.read(name)
    except KeyError as exc:
        raise ExtractionError(f"not a valid {label} (zip)", f"{path.name}: no {name}") from exc
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ExtractionError("corrupt file", f"{path.name}: {exc}") from exc
