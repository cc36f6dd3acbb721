"""Legacy .doc/.rtf: converted to DOCX by LibreOffice when it is installed, then read as DOCX."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from .model import ExtractedDocument, ExtractionError

CONVERT_TIMEOUT_S = 120


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def extract_legacy(path: Path) -> ExtractedDocument:
    """Convert with ``soffice --headless --convert-to docx`` in a private temp dir, then extract."""
    soffice = soffice_path()
    kind = path.suffix.lower().lstrip(".")
    if soffice is None:
        raise ExtractionError(
            "unsupported format", f"legacy .{kind}: install LibreOffice (soffice) to convert it"
        )
    from .docx import extract_docx

    with tempfile.TemporaryDirectory(prefix="policyaudit-") as tmp:
        profile = Path(tmp, "profile").as_uri()  # own profile: parallel runs do not collide
        cmd = [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "docx",
            "--outdir",
            tmp,
            str(path),
        ]
        try:
            subprocess.run(cmd, capture_output=True, timeout=CONVERT_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ExtractionError("corrupt file", f"{path.name}: conversion timed out") from exc
        converted = Path(tmp, path.stem + ".docx")
        if not converted.exists():
            raise ExtractionError("corrupt file", f"{path.name}: LibreOffice could not convert it")
        doc = extract_docx(converted)
    doc.warnings.append(f"converted from .{kind} with LibreOffice")
    return doc
