"""Write a synthetic corpus of N organisations by recombining the dev corpus's Markdown sources.

Usage: python benchmarks/make_corpus.py N OUT [--seed S] [--workers W]

Each organisation gets a made-up trust name and 3 to 6 documents (PDF, DOCX or HTML) of 8 to 25
pages. A document starts from one dev-corpus document and borrows sections from others (any
trust), shuffles its middle sections, renames the trust, renumbers sections and paragraphs and
re-codes its reference. Some PDFs carry bookmarks, all carry a running header and footer, so
extraction does the work it does on real trust websites. N = 50 gives about 250 documents and
4,000 pages. The output is a pure function of (N, seed): PDFs are written in reportlab's
invariant mode and DOCX archives with fixed timestamps, so file hashes repeat too.
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import os
import random
import re
import sys
import zipfile
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEV_SRC = REPO.parent / "shared" / "corpus-dev" / "src"
WORDS_PER_PAGE = 430  # body words per rendered A4 page, measured on the generated PDFs
FORMATS = (("pdf", 0.6), ("docx", 0.25), ("html", 0.15))

_PLACES_A = [
    "Ash",
    "Brook",
    "Calder",
    "Dun",
    "Elm",
    "Fern",
    "Glen",
    "Hart",
    "Ivy",
    "Kel",
    "Lyn",
    "Marsh",
    "Nor",
    "Oak",
    "Pen",
    "Quar",
    "Rook",
    "Sal",
    "Thorn",
    "Ure",
    "Vale",
    "Wick",
    "Yar",
    "Bram",
    "Cress",
    "Dal",
    "Esk",
    "Fold",
    "Gill",
    "Holm",
]
_PLACES_B = [
    "ford",
    "field",
    "mere",
    "dale",
    "wood",
    "ton",
    "by",
    "ham",
    "combe",
    "leigh",
    "wick",
    "bridge",
    "moor",
    "stead",
    "well",
]
_KINDS = (
    "NHS Foundation Trust",
    "NHS Trust",
    "Partnership NHS Foundation Trust",
    "Mental Health NHS Trust",
    "Health and Care NHS Trust",
)
_REGIONS = (
    "North East and Yorkshire",
    "North West",
    "Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
)


@dataclass(frozen=True)
class Source:
    """One dev-corpus document split into its preamble facts and its level-2 sections."""

    trust: str
    title: str
    ref: str
    sections: tuple[str, ...]  # each begins with its '## ' heading line


@dataclass(frozen=True)
class DocSpec:
    """Everything one worker needs to render one document: picklable and self-contained."""

    dest: str
    fmt: str
    trust: str
    title: str
    ref: str
    markdown: str
    bookmarks: bool


def load_sources(root: Path = DEV_SRC) -> list[Source]:
    """Parse the dev corpus's Markdown; a clear error where the corpus is not checked out."""
    files = sorted(root.glob("*/*.md"))
    if not files:
        raise SystemExit(f"make_corpus: no dev corpus sources under {root} (expected */*.md)")
    return [parse_source(p.read_text(encoding="utf-8")) for p in files]


def parse_source(text: str) -> Source:
    header = re.match(r"<!--(.*?)-->", text, re.S)
    fields = (
        dict(
            (k.strip(), v.strip())
            for k, v in (part.split(":", 1) for part in header.group(1).split(";") if ":" in part)
        )
        if header
        else {}
    )
    chunks = re.split(r"(?m)^(?=## )", text)
    sections = tuple(c.strip() for c in chunks[1:] if c.strip())
    return Source(
        fields.get("trust", ""), fields.get("title", "Policy"), fields.get("ref", ""), sections
    )


def trust_name(rng: random.Random) -> str:
    """A plausible, made-up trust name ("Calderford and Oakmere NHS Foundation Trust")."""
    first = rng.choice(_PLACES_A) + rng.choice(_PLACES_B)
    if rng.random() < 0.5:
        first += " and " + rng.choice(_PLACES_A) + rng.choice(_PLACES_B)
    return f"{first} {rng.choice(_KINDS)}"


def initials(name: str) -> str:
    return "".join(w[0] for w in name.split() if w[0].isupper() and w not in ("NHS",))[:4]


_NUMBERED = re.compile(r"^(#{2,4}\s+)?(\d{1,2})((?:\.\d{1,2})*\.?)(?=\s)", re.M)


def renumber(section: str, number: int) -> str:
    """Give a section a new top-level number, in its heading, sub-headings and paragraphs."""
    lines = section.splitlines()
    m = _NUMBERED.match(lines[0][3:]) if lines else None
    old = m.group(2) if m else None

    def swap(match: re.Match[str]) -> str:
        if match.group(2) != old:
            return match.group(0)
        return f"{match.group(1) or ''}{number}{match.group(3)}"

    return _NUMBERED.sub(swap, section) if old else section


def _is_fixed(section: str) -> bool:
    """Front and back matter stay in place: document control, contents, references."""
    head = section.splitlines()[0].lower()
    return any(k in head for k in ("document", "contents", "version", "reference", "appendi"))


def compose(rng: random.Random, sources: list[Source], base: Source, pages: int) -> list[str]:
    """Sections of one synthetic document: the base's, padded from others, middle shuffled."""
    front = [s for s in base.sections[:3] if _is_fixed(s)]
    back = [s for s in base.sections if _is_fixed(s) and s not in front]
    middle = [s for s in base.sections if s not in front and s not in back]
    target = pages * WORDS_PER_PAGE
    words = sum(len(s.split()) for s in base.sections)
    while words < target:
        donor = rng.choice(sources)
        borrowed = [s for s in donor.sections if not _is_fixed(s)]
        if not borrowed:
            continue
        pick = rng.choice(borrowed)
        middle.append(pick.replace(donor.trust, base.trust) if donor.trust else pick)
        words += len(pick.split())
    while middle and words > target * 1.15 and len(middle) > 3:
        words -= len(middle.pop(rng.randrange(len(middle))).split())
    rng.shuffle(middle)
    numbered = [renumber(s, i + 1) for i, s in enumerate(middle)]
    return front + numbered + back


def document_spec(
    rng: random.Random, sources: list[Source], trust: str, code: str, dest: Path, index: int
) -> DocSpec:
    base = rng.choice(sources)
    fmt = rng.choices([f for f, _ in FORMATS], [w for _, w in FORMATS])[0]
    sections = compose(rng, sources, base, rng.randint(8, 25))
    ref = f"{code}-{rng.choice(['CP', 'POL', 'CLIN', 'OP'])}-{rng.randint(1, 199):03d}"
    body = "\n\n".join(sections)
    if base.trust:
        body = body.replace(base.trust, trust)
    if base.ref:
        body = body.replace(base.ref, ref)
    markdown = f"# {trust}\n\n# {base.title}\n\nPolicy reference {ref}\n\n{body}\n"
    stem = re.sub(r"[^a-z0-9]+", "-", base.title.lower()).strip("-")[:60]
    return DocSpec(
        str(dest / f"{index + 1:02d}-{stem}.{fmt}"),
        fmt,
        trust,
        base.title,
        ref,
        markdown,
        bookmarks=rng.random() < 0.5,
    )


def plan(n: int, out: Path, seed: int, sources: list[Source]) -> tuple[list, list[DocSpec]]:
    """Organisations and document specs for a corpus: all randomness happens here."""
    rng = random.Random(seed)
    orgs, specs, names = [], [], set()
    for i in range(n):
        name = trust_name(rng)
        while name in names:
            name = trust_name(rng)
        names.add(name)
        org_id = f"T{i + 1:04d}"
        orgs.append((org_id, name, rng.choice(_REGIONS)))
        for d in range(rng.randint(3, 6)):
            specs.append(document_spec(rng, sources, name, initials(name), out / org_id, d))
    return orgs, specs


# ---------------------------------------------------------------------------------------------
# Rendering (runs in worker processes)


def blocks_of(markdown: str) -> list[tuple]:
    """('h', level, text) | ('p', text) | ('li', text) | ('table', rows) | ('quote', text)."""
    blocks: list[tuple] = []
    table: list[list[str]] = []
    for line in markdown.splitlines() + [""]:
        s = line.strip()
        if s.startswith("|"):
            cells = [c.strip() for c in s.strip("|").split("|")]
            if not all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
                table.append(cells)
            continue
        if table:
            blocks.append(("table", table))
            table = []
        if not s or s.startswith("<!--"):
            continue
        if m := re.match(r"(#+)\s+(.*)", s):
            blocks.append(("h", len(m.group(1)), m.group(2)))
        elif s.startswith(("- ", "* ")):
            blocks.append(("li", s[2:]))
        else:
            blocks.append(("p", s.lstrip("> ")))
    return blocks


def _inline(text: str) -> str:
    """Markdown bold/italic to reportlab's mini-HTML, everything else escaped."""
    text = html.escape(text.replace("**", "\x01").replace("*", ""))
    parts = text.split("\x01")
    return "".join(f"<b>{p}</b>" if i % 2 else p for i, p in enumerate(parts))


def _plain(text: str) -> str:
    return text.replace("**", "").replace("*", "")


def render_pdf(spec: DocSpec) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    ss = getSampleStyleSheet()
    body = ParagraphStyle("b", parent=ss["BodyText"], fontName="Helvetica", fontSize=10, leading=13)
    cell = ParagraphStyle("c", parent=body, fontSize=8.5, leading=10.5)
    heads = {1: ss["Title"], 2: ss["Heading2"], 3: ss["Heading3"], 4: ss["Heading4"]}

    class Heading(Paragraph):
        level = 0

    story: list = []
    for b in blocks_of(spec.markdown):
        if b[0] == "h":
            p = Heading(_inline(b[2]), heads.get(b[1], ss["Heading4"]))
            p.level = b[1]
            story.append(p)
        elif b[0] in ("p", "li"):
            bullet = "\u2022" if b[0] == "li" else None
            story += [Paragraph(_inline(b[1]), body, bulletText=bullet), Spacer(1, 3)]
        elif b[0] == "table":
            ncol = max(len(r) for r in b[1])
            rows = [[Paragraph(_inline(c), cell) for c in r + [""] * (ncol - len(r))] for r in b[1]]
            t = Table(rows, colWidths=[170 * mm / ncol] * ncol, repeatRows=1)
            t.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            story += [t, Spacer(1, 6)]

    def furniture(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.drawString(20 * mm, 287 * mm, f"{spec.trust} | {spec.ref}")
        canvas.drawString(20 * mm, 10 * mm, f"{spec.title} - uncontrolled when printed")
        canvas.drawRightString(190 * mm, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    class Doc(SimpleDocTemplate):
        def afterFlowable(self, flowable) -> None:
            level = getattr(flowable, "level", 0)
            if spec.bookmarks and level >= 2:
                key = f"h{id(flowable)}"
                self.canv.bookmarkPage(key)
                self.canv.addOutlineEntry(_plain(flowable.getPlainText()), key, level=level - 2)

    doc = Doc(
        spec.dest,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=spec.title,
        invariant=1,
    )
    doc.build(story, onFirstPage=furniture, onLaterPages=furniture)


def render_docx(spec: DocSpec) -> None:
    from docx import Document
    from docx.shared import Pt

    d = Document()
    d.styles["Normal"].font.name = "Arial"
    d.styles["Normal"].font.size = Pt(11)
    d.core_properties.title = spec.title
    d.sections[0].header.paragraphs[0].text = f"{spec.trust} | {spec.ref}"
    d.sections[0].footer.paragraphs[0].text = f"{spec.title} - uncontrolled when printed"
    for b in blocks_of(spec.markdown):
        if b[0] == "h":
            d.add_heading(_plain(b[2]), level=min(b[1] - 1, 3) if b[1] > 1 else 0)
        elif b[0] == "p":
            d.add_paragraph(_plain(b[1]))
        elif b[0] == "li":
            d.add_paragraph(_plain(b[1]), style="List Bullet")
        elif b[0] == "table":
            ncol = max(len(r) for r in b[1])
            t = d.add_table(rows=len(b[1]), cols=ncol)
            t.style = "Table Grid"
            for i, r in enumerate(b[1]):
                for j, c in enumerate(r):
                    t.cell(i, j).text = _plain(c)
    buf = io.BytesIO()
    d.save(buf)
    Path(spec.dest).write_bytes(fixed_zip(buf.getvalue()))


def fixed_zip(data: bytes) -> bytes:
    """The same archive with fixed member timestamps, so equal content gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def render_html(spec: DocSpec) -> None:
    out = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(spec.title)} | {html.escape(spec.trust)}</title></head><body>",
        '<header><p><a href="/">Home</a> &gt; <a href="/policies">Our policies</a></p></header>',
        "<main>",
    ]
    in_list = False
    for b in blocks_of(spec.markdown):
        if b[0] != "li" and in_list:
            out.append("</ul>")
            in_list = False
        if b[0] == "h":
            out.append(f"<h{b[1]}>{html.escape(_plain(b[2]))}</h{b[1]}>")
        elif b[0] == "p":
            out.append(f"<p>{_inline(b[1])}</p>")
        elif b[0] == "li":
            out.append("<ul>" if not in_list else "")
            in_list = True
            out.append(f"<li>{_inline(b[1])}</li>")
        elif b[0] == "table":
            rows = "".join(
                "<tr>" + "".join(f"<td>{html.escape(_plain(c))}</td>" for c in r) + "</tr>"
                for r in b[1]
            )
            out.append(f"<table>{rows}</table>")
    if in_list:
        out.append("</ul>")
    out.append(f"</main><footer><p>&copy; {html.escape(spec.trust)}</p></footer></body></html>")
    Path(spec.dest).write_text("\n".join(out) + "\n", encoding="utf-8")


RENDERERS = {"pdf": render_pdf, "docx": render_docx, "html": render_html}


def render(spec: DocSpec) -> str:
    RENDERERS[spec.fmt](spec)
    return spec.dest


# ---------------------------------------------------------------------------------------------


def make_corpus(n: int, out: Path, seed: int = 0, workers: int | None = None) -> int:
    """Write the corpus into ``out`` (created); returns the number of documents."""
    orgs, specs = plan(n, out, seed, load_sources())
    for org_id, _, _ in orgs:
        (out / org_id).mkdir(parents=True, exist_ok=True)
    with (out / "organisations.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["org_id", "name", "region"])
        writer.writerows(orgs)
    workers = workers or os.cpu_count() or 1
    # the longest (PDF) documents first, so the pool does not end on one straggler
    ordered = sorted(specs, key=lambda s: (s.fmt != "pdf", -len(s.markdown)))
    if workers <= 1:
        for spec in ordered:
            render(spec)
    else:
        with Pool(workers) as pool:
            for _ in pool.imap_unordered(render, ordered, chunksize=2):
                pass
    return len(specs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, help="number of organisations")
    ap.add_argument("out", type=Path, help="output corpus folder")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args(argv)
    count = make_corpus(args.n, args.out, args.seed, args.workers)
    print(f"wrote {args.n} organisations, {count} documents to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
