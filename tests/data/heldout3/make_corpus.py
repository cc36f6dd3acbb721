#!/usr/bin/env python3
"""Build the held-out corpus (heldout3) from the Markdown originals in src/.

Run with the project venv:  .venv/bin/python tests/data/heldout3/make_corpus.py
Writes corpus/<org>/<stem>.<ext> and corpus/organisations.csv. Deterministic apart from
PDF/DOCX creation timestamps. Needs reportlab and python-docx.
"""
from __future__ import annotations

import csv
import html
import re
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
OUT = HERE / "corpus"

ORGS = [
    ("K01", "Ystrad Mynydd University Health Board", "Wales"),
    ("K02", "Eastmoor and Wealdside Healthcare NHS Trust", "South East"),
    ("K03", "Harrowfield and Dene Partnership NHS Foundation Trust", "North East and Yorkshire"),
    ("K04", "Kestrelmoor Community and Mental Health NHS Trust", "Midlands"),
    ("K05", "Fellbeck and Ribblewood NHS Foundation Trust", "North West"),
]

# (org, stem) -> (format, options)
DOCS = {
    ("K01", "self-harm-suicide-prevention-policy"): ("pdf", {"bookmarks": True, "header": "Ystrad Mynydd UHB | Self-Harm and Suicide Prevention Policy | MHLD-CP-041 v3.1"}),
    ("K01", "therapeutic-engagement-observation-procedure"): ("docx", {"header": "Ystrad Mynydd University Health Board - MHLD-CP-044"}),
    ("K02", "clinical-risk-management-policy"): ("pdf", {"bookmarks": False, "header": "Eastmoor and Wealdside Healthcare NHS Trust - CG-017 Clinical Risk Management Policy v6.0"}),
    ("K02", "searching-restricted-items-sop"): ("txt-boxed", {}),
    ("K02", "carers-charter"): ("html", {"site": "Eastmoor and Wealdside Healthcare NHS Trust"}),
    ("K03", "self-injury-self-poisoning-inpatient-guideline"): ("docx", {"header": "Harrowfield and Dene Partnership NHS FT - CG-SH-02 v1.2"}),
    ("K03", "observation-policy"): ("pdf", {"bookmarks": False, "header": "Harrowfield and Dene Partnership NHS FT - NUR-OBS-01 Observation Policy (2016)"}),
    ("K04", "incident-management-framework"): ("md", {}),
    ("K04", "environmental-risk-ligature-procedure"): ("txt-plain", {}),
    ("K05", "practice-note-self-harm-on-the-ward"): ("html", {"site": "Fellbeck and Ribblewood NHS Foundation Trust"}),
    ("K05", "practice-note-harm-minimisation"): ("md", {}),
    ("K05", "practice-note-families-friends-carers"): ("md", {}),
}


# --------------------------------------------------------------------------- parsing
def parse_md(text: str):
    """Return a list of blocks: (kind, payload). kinds: h (level, text), p, ul (items), table (rows)."""
    blocks = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        m = re.match(r"^(#{1,6})\s+(.*)$", line)
        if m:
            blocks.append(("h", (len(m.group(1)), m.group(2).strip())))
            i += 1
            continue
        if line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                    rows.append(cells)
                i += 1
            blocks.append(("table", rows))
            continue
        if re.match(r"^(- |\d+\. )", line):
            items = []
            while i < len(lines) and lines[i].strip():
                cur = lines[i]
                m2 = re.match(r"^(- |\d+\. )(.*)$", cur)
                if m2:
                    items.append(m2.group(2).strip())
                else:  # continuation line of the previous item
                    items[-1] += " " + cur.strip()
                i += 1
            blocks.append(("ul", items))
            continue
        para = []
        while i < len(lines) and lines[i].strip() and not lines[i].startswith(("#", "|", "- ")):
            para.append(lines[i].strip())
            i += 1
        blocks.append(("p", " ".join(para)))
    return blocks


# --------------------------------------------------------------------------- PDF
def write_pdf(blocks, path: Path, header: str, bookmarks: bool):
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        BaseDocTemplate,
        Frame,
        PageTemplate,
        Paragraph,
        Spacer,
        Table,
        TableStyle,
    )

    ss = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=ss["BodyText"], fontName="Helvetica", fontSize=10, leading=13.5, spaceAfter=5)
    bullet = ParagraphStyle("bullet", parent=body, leftIndent=14, bulletIndent=4)
    cell = ParagraphStyle("cell", parent=body, fontSize=9, leading=11.5, spaceAfter=0)
    hstyles = {
        1: ParagraphStyle("h1", parent=ss["Heading1"], fontName="Helvetica-Bold", fontSize=15, leading=19, spaceAfter=8),
        2: ParagraphStyle("h2", parent=ss["Heading2"], fontName="Helvetica-Bold", fontSize=12, leading=15, spaceBefore=8),
        3: ParagraphStyle("h3", parent=ss["Heading3"], fontName="Helvetica-BoldOblique", fontSize=10.5, leading=13),
    }

    class Doc(BaseDocTemplate):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="f")
            self.addPageTemplates([PageTemplate(id="p", frames=[frame], onPage=self._decorate)])
            self._n = 0

        def _decorate(self, canv, doc):
            canv.saveState()
            canv.setFont("Helvetica", 7.5)
            canv.setFillColor(colors.grey)
            canv.drawString(doc.leftMargin, A4[1] - 12 * mm, header)
            canv.line(doc.leftMargin, A4[1] - 13.5 * mm, A4[0] - doc.rightMargin, A4[1] - 13.5 * mm)
            canv.drawString(doc.leftMargin, 10 * mm, "Uncontrolled when printed. Check the intranet for the current version.")
            canv.drawRightString(A4[0] - doc.rightMargin, 10 * mm, f"Page {doc.page}")
            canv.restoreState()

        def afterFlowable(self, flowable):
            if bookmarks and isinstance(flowable, Paragraph) and getattr(flowable, "_bm_level", None):
                self._n += 1
                key = f"bm{self._n}"
                self.canv.bookmarkPage(key)
                self.canv.addOutlineEntry(flowable.getPlainText(), key, level=flowable._bm_level - 1, closed=False)

    def esc(s):
        return html.escape(s, quote=False)

    story = []
    for kind, payload in blocks:
        if kind == "h":
            level, text = payload
            p = Paragraph(esc(text), hstyles[min(level, 3)])
            p._bm_level = min(level, 3)
            story.append(p)
        elif kind == "p":
            story.append(Paragraph(esc(payload), body))
        elif kind == "ul":
            for it in payload:
                story.append(Paragraph(esc(it), bullet, bulletText="\u2022"))
        elif kind == "table":
            data = [[Paragraph(esc(c), cell) for c in row] for row in payload]
            ncol = max(len(r) for r in payload)
            t = Table(data, colWidths=[(A4[0] - 50 * mm) / ncol] * ncol, repeatRows=1)
            t.setStyle(TableStyle([
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6f0")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]))
            story += [t, Spacer(1, 6)]
    doc = Doc(str(path), pagesize=A4, leftMargin=25 * mm, rightMargin=25 * mm, topMargin=22 * mm,
              bottomMargin=20 * mm, allowSplitting=0, title=blocks[0][1][1], author="Policy Office")
    doc.build(story)


# --------------------------------------------------------------------------- DOCX
def write_docx(blocks, path: Path, header: str):
    from docx import Document
    from docx.shared import Pt

    d = Document()
    d.styles["Normal"].font.name = "Arial"
    d.styles["Normal"].font.size = Pt(10.5)
    sec = d.sections[0]
    sec.header.paragraphs[0].text = header
    sec.footer.paragraphs[0].text = "Printed copies are uncontrolled. Check the intranet for the latest version."
    for kind, payload in blocks:
        if kind == "h":
            level, text = payload
            d.add_heading(text, level=0 if level == 1 else min(level - 1, 3))
        elif kind == "p":
            d.add_paragraph(payload)
        elif kind == "ul":
            for it in payload:
                d.add_paragraph(it, style="List Bullet")
        elif kind == "table":
            ncol = max(len(r) for r in payload)
            t = d.add_table(rows=0, cols=ncol)
            t.style = "Table Grid"
            for r, row in enumerate(payload):
                cells = t.add_row().cells
                for c, val in enumerate(row):
                    cells[c].text = val
                    if r == 0:
                        for run in cells[c].paragraphs[0].runs:
                            run.bold = True
            d.add_paragraph("")
    d.core_properties.title = blocks[0][1][1]
    d.save(str(path))


# --------------------------------------------------------------------------- HTML
def write_html(blocks, path: Path, site: str):
    def e(text: str) -> str:
        return html.escape(text, quote=True)

    title = blocks[0][1][1]
    out = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{e(title)} | {e(site)}</title>",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="stylesheet" href="/assets/css/main.min.css">',
        "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}gtag('js',new Date());</script>",
        "</head>",
        "<body>",
        '<div class="cookie-banner" id="cookies"><p>We use cookies to make this website work and to understand how you use it.</p><button>Accept all cookies</button><button>Reject optional cookies</button></div>',
        f'<header class="site-header"><a class="logo" href="/">{e(site)}</a>',
        '<nav class="main-nav" aria-label="Main"><ul><li><a href="/">Home</a></li><li><a href="/services">Our services</a></li>'
        '<li><a href="/patients-and-visitors">Patients and visitors</a></li><li><a href="/about-us/policies">Policies and publications</a></li>'
        '<li><a href="/work-for-us">Work for us</a></li><li><a href="/contact">Contact us</a></li></ul></nav></header>',
        '<nav class="breadcrumb" aria-label="Breadcrumb"><a href="/">Home</a> &gt; <a href="/about-us">About us</a> &gt; <a href="/about-us/policies">Policies</a></nav>',
        '<main id="content"><article class="policy">',
    ]
    for kind, payload in blocks:
        if kind == "h":
            level, text = payload
            out.append(f"<h{level}>{e(text)}</h{level}>")
        elif kind == "p":
            out.append(f"<p>{e(payload)}</p>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{e(it)}</li>" for it in payload) + "</ul>")
        elif kind == "table":
            rows = payload
            out.append("<table class=\"table\"><thead><tr>" + "".join(f"<th>{e(c)}</th>" for c in rows[0]) + "</tr></thead><tbody>")
            for row in rows[1:]:
                out.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>")
            out.append("</tbody></table>")
    out += [
        "</article>",
        '<aside class="related"><h2>Related pages</h2><ul><li><a href="/patients-and-visitors/carers">Carers</a></li>'
        '<li><a href="/get-help-now">Get help now</a></li><li><a href="/about-us/freedom-of-information">Freedom of information</a></li></ul></aside>',
        "</main>",
        f'<footer class="site-footer"><p>&copy; 2024 {e(site)}. All rights reserved.</p>'
        '<ul><li><a href="/accessibility">Accessibility statement</a></li><li><a href="/privacy">Privacy notice</a></li>'
        '<li><a href="/cookies">Cookies</a></li><li><a href="/sitemap">Sitemap</a></li></ul>'
        "<p>If you need urgent help with your mental health, call NHS 111 and select option 2. In an emergency call 999.</p></footer>",
        "<script src=\"/assets/js/site.min.js\"></script>",
        "<script>document.getElementById('cookies').addEventListener('click',function(){this.style.display='none';});</script>",
        "</body>",
        "</html>",
    ]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- TXT
def _wrap(text, indent="", first=None, width=78):
    return textwrap.fill(text, width=width, initial_indent=first if first is not None else indent,
                         subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)


def write_txt(blocks, path: Path, boxed: bool):
    W = 78
    out = []
    for kind, payload in blocks:
        if kind == "h":
            level, text = payload
            if boxed:
                if level == 1:
                    out += ["#" * W, "#" + text.upper().center(W - 2) + "#", "#" * W, ""]
                else:
                    label = text.upper() if level == 2 else text
                    out += ["+" + "=" * (W - 2) + "+", "| " + label.ljust(W - 4) + " |", "+" + "=" * (W - 2) + "+", ""]
            else:
                rule = "=" if level == 1 else "-"
                out += [text, rule * min(len(text), W), ""]
        elif kind == "p":
            out += [_wrap(payload), ""]
        elif kind == "ul":
            for it in payload:
                out.append(_wrap(it, indent="    ", first="  * "))
            out.append("")
        elif kind == "table":
            hdr = payload[0]
            for row in payload[1:]:
                for h, c in zip(hdr, row, strict=False):
                    out.append(_wrap(f"{h}: {c}", indent="      ", first="    "))
                out.append("")
    path.write_text("\n".join(out).rstrip() + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- main
def main():
    OUT.mkdir(exist_ok=True)
    with open(OUT / "organisations.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["org_id", "name", "region"])
        w.writerows(ORGS)
    for (org, stem), (fmt, opt) in DOCS.items():
        src = SRC / org / f"{stem}.md"
        text = src.read_text(encoding="utf-8")
        blocks = parse_md(text)
        d = OUT / org
        d.mkdir(parents=True, exist_ok=True)
        for old in d.glob(stem + ".*"):
            old.unlink()
        if fmt == "pdf":
            write_pdf(blocks, d / f"{stem}.pdf", opt["header"], opt["bookmarks"])
        elif fmt == "docx":
            write_docx(blocks, d / f"{stem}.docx", opt["header"])
        elif fmt == "html":
            write_html(blocks, d / f"{stem}.html", opt["site"])
        elif fmt == "md":
            (d / f"{stem}.md").write_text(text, encoding="utf-8")
        elif fmt == "txt-boxed":
            write_txt(blocks, d / f"{stem}.txt", boxed=True)
        elif fmt == "txt-plain":
            write_txt(blocks, d / f"{stem}.txt", boxed=False)
        print(f"{org}/{stem}: {fmt}")


if __name__ == "__main__":
    main()
