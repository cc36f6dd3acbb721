#!/usr/bin/env python3
"""Render the held-out / demo policy corpus from Markdown into the formats trusts publish.

Sources:  tests/data/heldout/src/<org>/<stem>.md   (the text the gold labels quote)
Output:   src/policyaudit/demo/corpus/<org>/<stem>.<pdf|docx|html|md|txt>
          src/policyaudit/demo/corpus/organisations.csv

Needs reportlab and python-docx (dev extras). Run from the repository root:
    .venv/bin/python scripts/build_demo_corpus.py
The output is deterministic apart from DOCX zip timestamps.
"""

from __future__ import annotations

import csv
import html
import re
import shutil
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "tests" / "data" / "heldout" / "src"
OUT = ROOT / "src" / "policyaudit" / "demo" / "corpus"

ORGS = {
    "T01": ("Harrowmere and Lyne Partnership NHS Foundation Trust", "North West"),
    "T02": ("Wexcombe and Tallis Vale NHS Trust", "South West"),
    "T03": ("Penhallow Fenlands Care NHS Trust", "East of England"),
}

# (org, stem) -> output format; "pdf+outline" = PDF with bookmarks for headings.
FORMATS = {
    ("T01", "HLP-CP-041_Self-Harm_Inpatient_Policy_v2-1"): "pdf+outline",
    ("T01", "HLP-CP-017_Therapeutic_Observation_Policy_v3-2"): "docx",
    ("T02", "Clinical-Risk-Assessment-and-Management-Policy"): "pdf",
    ("T02", "searching-patients-and-restricted-items"): "html",
    ("T02", "leave_and_discharge_policy_2021"): "md",
    ("T03", "PFC_Incident_Reporting_and_Management_Policy"): "txt",
    ("T03", "PFC-Ligature-and-Environmental-Risk-Policy"): "pdf",
}


# --------------------------------------------------------------------------- parsing
@dataclass
class Block:
    kind: str  # title | h2 | h3 | para | bullets | numbered | table
    text: str = ""
    items: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def parse_markdown(md: str) -> list[Block]:
    blocks: list[Block] = []
    lines = md.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        if not line.strip():
            i += 1
            continue
        if line.startswith("### "):
            blocks.append(Block("h3", line[4:].strip()))
            i += 1
        elif line.startswith("## "):
            blocks.append(Block("h2", line[3:].strip()))
            i += 1
        elif line.startswith("# "):
            blocks.append(Block("title", line[2:].strip()))
            i += 1
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                    rows.append(cells)
                i += 1
            blocks.append(Block("table", rows=rows))
        elif line.startswith("- "):
            items = []
            while i < len(lines) and lines[i].startswith("- "):
                items.append(lines[i][2:].strip())
                i += 1
            blocks.append(Block("bullets", items=items))
        elif re.match(r"^\d+\. ", line):
            items = []
            while i < len(lines) and re.match(r"^\d+\. ", lines[i]):
                items.append(lines[i].strip())
                i += 1
            blocks.append(Block("numbered", items=items))
        else:
            para = []
            while (
                i < len(lines)
                and lines[i].strip()
                and not lines[i].startswith(("#", "|", "- "))
            ):
                para.append(lines[i].strip())
                i += 1
            blocks.append(Block("para", " ".join(para)))
    return blocks


# --------------------------------------------------------------------------- PDF
def write_pdf(blocks: list[Block], path: Path, trust: str, outline: bool) -> None:
    from reportlab import rl_config
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas as rl_canvas
    from reportlab.platypus import (
        ListFlowable,
        ListItem,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    rl_config.invariant = 1  # reproducible output
    title = next((b.text for b in blocks if b.kind == "title"), path.stem)

    ss = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=ss["BodyText"], fontName="Helvetica",
                          fontSize=10, leading=13.5, spaceAfter=6)
    cell = ParagraphStyle("cell", parent=body, fontSize=8.5, leading=11, spaceAfter=0)
    h_title = ParagraphStyle("t", parent=body, fontName="Helvetica-Bold", fontSize=18,
                             leading=22, spaceAfter=10, keepWithNext=1)
    h2 = ParagraphStyle("h2", parent=body, fontName="Helvetica-Bold", fontSize=13.5,
                        leading=17, spaceBefore=10, spaceAfter=6, keepWithNext=1)
    h3 = ParagraphStyle("h3", parent=body, fontName="Helvetica-Bold", fontSize=11.5,
                        leading=14, spaceBefore=6, spaceAfter=4, keepWithNext=1)

    def esc(s: str) -> str:
        return html.escape(s, quote=False)

    class NumberedCanvas(rl_canvas.Canvas):
        """Two-pass canvas so the footer can say 'Page N of M'."""

        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            self._saved = []

        def showPage(self):
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._saved)
            for state in self._saved:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            w, h = A4
            self.saveState()
            self.setFillColor(colors.HexColor("#003087"))
            self.setFont("Helvetica-Bold", 8)
            self.drawString(20 * mm, h - 10 * mm, trust)
            self.setFont("Helvetica", 8)
            self.drawString(20 * mm, h - 14 * mm, title)
            self.setStrokeColor(colors.HexColor("#003087"))
            self.line(20 * mm, h - 16 * mm, w - 20 * mm, h - 16 * mm)
            self.setFont("Helvetica", 8)
            self.setFillColor(colors.black)
            self.drawCentredString(w / 2, 10 * mm, f"Page {self._pageNumber} of {total}")
            self.restoreState()

    class Doc(SimpleDocTemplate):
        def afterFlowable(self, flowable):
            if not outline or not isinstance(flowable, Paragraph):
                return
            level = {"t": 0, "h2": 0, "h3": 1}.get(flowable.style.name)
            if level is None:
                return
            text = flowable.getPlainText()
            key = f"h{id(flowable)}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(text, key, level=level, closed=False)

    story = []
    for b in blocks:
        if b.kind == "title":
            story.append(Paragraph(esc(b.text), h_title))
        elif b.kind == "h2":
            story.append(Paragraph(esc(b.text), h2))
        elif b.kind == "h3":
            story.append(Paragraph(esc(b.text), h3))
        elif b.kind == "para":
            story.append(Paragraph(esc(b.text), body))
        elif b.kind == "numbered":
            for it in b.items:
                story.append(Paragraph(esc(it), ParagraphStyle("n", parent=body, spaceAfter=1)))
            story.append(Spacer(1, 4))
        elif b.kind == "bullets":
            story.append(ListFlowable(
                [ListItem(Paragraph(esc(it), body), leftIndent=12) for it in b.items],
                bulletType="bullet", start="\u2022", leftIndent=12))
        elif b.kind == "table":
            ncol = max(len(r) for r in b.rows)
            data = [[Paragraph(esc(c), cell) for c in r + [""] * (ncol - len(r))] for r in b.rows]
            avail = A4[0] - 40 * mm
            t = Table(data, colWidths=[avail / ncol] * ncol, repeatRows=1, hAlign="LEFT")
            style = [("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                     ("VALIGN", (0, 0), (-1, -1), "TOP")]
            if any(b.rows[0]):
                style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6f2")))
            t.setStyle(TableStyle(style))
            story += [t, Spacer(1, 8)]

    doc = Doc(str(path), pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm,
              topMargin=24 * mm, bottomMargin=20 * mm, title=title, author=trust,
              subject=title, creator="build_demo_corpus.py")
    doc.build(story, canvasmaker=NumberedCanvas)


# --------------------------------------------------------------------------- DOCX
def write_docx(blocks: list[Block], path: Path, trust: str) -> None:
    import docx
    from docx.shared import Pt

    d = docx.Document()
    d.core_properties.author = trust
    d.core_properties.title = next((b.text for b in blocks if b.kind == "title"), path.stem)
    hdr = d.sections[0].header.paragraphs[0]
    hdr.text = trust
    d.styles["Normal"].font.name = "Arial"
    d.styles["Normal"].font.size = Pt(10.5)
    for b in blocks:
        if b.kind == "title":
            d.add_heading(b.text, level=0)
        elif b.kind == "h2":
            d.add_heading(b.text, level=1)
        elif b.kind == "h3":
            d.add_heading(b.text, level=2)
        elif b.kind == "para":
            d.add_paragraph(b.text)
        elif b.kind == "numbered":
            for it in b.items:
                d.add_paragraph(it)
        elif b.kind == "bullets":
            for it in b.items:
                d.add_paragraph(it, style="List Bullet")
        elif b.kind == "table":
            ncol = max(len(r) for r in b.rows)
            t = d.add_table(rows=len(b.rows), cols=ncol)
            t.style = "Table Grid"
            for ri, r in enumerate(b.rows):
                for ci, c in enumerate(r):
                    t.cell(ri, ci).text = c
                    if ri == 0 and c:
                        for run in t.cell(ri, ci).paragraphs[0].runs:
                            run.bold = True
            d.add_paragraph("")
    d.save(str(path))


# --------------------------------------------------------------------------- HTML
def slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


def write_html(blocks: list[Block], path: Path, trust: str) -> None:
    e = lambda s: html.escape(s, quote=True)  # noqa: E731
    title = next((b.text for b in blocks if b.kind == "title"), path.stem)
    toc = [b.text for b in blocks if b.kind == "h2"]
    body: list[str] = []
    for b in blocks:
        if b.kind == "title":
            body.append(f"<h1>{e(b.text)}</h1>")
        elif b.kind == "h2":
            body.append(f'<h2 id="{slug(b.text)}">{e(b.text)}</h2>')
        elif b.kind == "h3":
            body.append(f'<h3 id="{slug(b.text)}">{e(b.text)}</h3>')
        elif b.kind == "para":
            body.append(f"<p>{e(b.text)}</p>")
        elif b.kind == "numbered":
            body.append("<p>" + "<br>\n".join(e(it) for it in b.items) + "</p>")
        elif b.kind == "bullets":
            body.append("<ul>\n" + "\n".join(f"  <li>{e(it)}</li>" for it in b.items) + "\n</ul>")
        elif b.kind == "table":
            rows = []
            for ri, r in enumerate(b.rows):
                tag = "th" if ri == 0 and any(r) else "td"
                rows.append("  <tr>" + "".join(f"<{tag}>{e(c)}</{tag}>" for c in r) + "</tr>")
            body.append('<table class="policy-table">\n' + "\n".join(rows) + "\n</table>")
    nav_links = "\n".join(f'      <li><a href="#{slug(t)}">{e(t)}</a></li>' for t in toc)
    page = f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>{e(title)} | {e(trust)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body {{ font-family: Arial, sans-serif; max-width: 60em; margin: auto; color: #212b32; }}
  nav {{ background: #f0f4f5; padding: 0.5em 1em; }}
  table.policy-table {{ border-collapse: collapse; }}
  table.policy-table td, table.policy-table th {{ border: 1px solid #aaa; padding: 4px; }}
</style>
<script>
  // Site analytics and cookie banner. Not part of the policy text.
  window.siteConfig = {{
    banner: "This page uses cookies. Self-harm support policies must be read in full.",
    relatedSearch: ["self-harm policy", "safety plan template", "harm minimisation"],
  }};
  document.addEventListener("DOMContentLoaded", function () {{
    var b = document.getElementById("cookie-banner");
    if (b && !localStorage.getItem("cookiesAccepted")) {{ b.hidden = false; }}
  }});
</script>
</head>
<body>
<header>
  <p class="site-name">{e(trust)}</p>
  <nav aria-label="Main menu">
    <ul>
      <li><a href="/">Home</a></li>
      <li><a href="/services">Our services</a></li>
      <li><a href="/policies">Policies and procedures</a></li>
      <li><a href="/help/self-harm">Support for self-harm and crisis</a></li>
      <li><a href="/contact">Contact us</a></li>
    </ul>
  </nav>
</header>
<div id="cookie-banner" hidden>We use cookies to improve this website.</div>
<nav aria-label="On this page">
  <p>On this page</p>
  <ul>
{nav_links}
  </ul>
</nav>
<main>
<article>
{chr(10).join(body)}
</article>
</main>
<footer>
  <p>&copy; {e(trust)}. Printed copies of this document are uncontrolled.</p>
</footer>
<script src="/assets/js/site.min.js"></script>
<script>trackPageView("policy-document");</script>
</body>
</html>
"""
    path.write_text(page, encoding="utf-8")


# --------------------------------------------------------------------------- TXT
def write_txt(blocks: list[Block], path: Path, trust: str) -> None:
    wrap = lambda s, ind="": textwrap.fill(  # noqa: E731
        s, width=78, initial_indent=ind, subsequent_indent=" " * len(ind),
        break_on_hyphens=False, break_long_words=False)
    out: list[str] = []
    for b in blocks:
        if b.kind == "title":
            out += [b.text.upper(), "=" * len(b.text), ""]
        elif b.kind == "h2":
            out += ["", b.text.upper(), "-" * len(b.text), ""]
        elif b.kind == "h3":
            out += [b.text, ""]
        elif b.kind == "para":
            out += [wrap(b.text), ""]
        elif b.kind == "numbered":
            out += [*b.items, ""]
        elif b.kind == "bullets":
            out += [wrap(it, "  * ") for it in b.items] + [""]
        elif b.kind == "table":
            for r in b.rows:
                if any(r):
                    out.append("  " + " | ".join(c for c in r))
            out.append("")
    path.write_text("\n".join(out).rstrip() + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- main
def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for org in ORGS:
        d = OUT / org
        if d.exists():
            shutil.rmtree(d)
        d.mkdir()
    for (org, stem), fmt in FORMATS.items():
        src = SRC / org / f"{stem}.md"
        md = src.read_text(encoding="utf-8")
        blocks = parse_markdown(md)
        trust = ORGS[org][0]
        dest_dir = OUT / org
        if fmt.startswith("pdf"):
            write_pdf(blocks, dest_dir / f"{stem}.pdf", trust, outline=fmt == "pdf+outline")
        elif fmt == "docx":
            write_docx(blocks, dest_dir / f"{stem}.docx", trust)
        elif fmt == "html":
            write_html(blocks, dest_dir / f"{stem}.html", trust)
        elif fmt == "txt":
            write_txt(blocks, dest_dir / f"{stem}.txt", trust)
        elif fmt == "md":
            shutil.copyfile(src, dest_dir / f"{stem}.md")
        else:
            raise ValueError(fmt)
    with open(OUT / "organisations.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["org_id", "name", "region"])
        for org, (name, region) in ORGS.items():
            w.writerow([org, name, region])
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    for p in sorted(OUT.rglob("*")):
        if p.is_file():
            print(f"{p.relative_to(ROOT)}  {p.stat().st_size:,} bytes")
    print(f"total {total:,} bytes")


if __name__ == "__main__":
    main()
