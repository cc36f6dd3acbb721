"""Build the heldout2 corpus from the sources in src/.

Run with the project venv (needs reportlab and python-docx):
    /work/main/.venv/bin/python make_corpus.py
"""

import csv
import html
import re
import shutil
from pathlib import Path

from docx import Document
from docx.shared import Pt
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
OUT = HERE / "corpus"

TARGETS = {
    "H01/self-harm-policy.md": "pdf",
    "H01/engagement-and-observation-policy.md": "md",
    "H02/dsh-inpatient-policy.md": "docx",
    "H02/clinical-risk-assessment-and-observation-procedure.txt": "txt",
    "H03/therapeutic-engagement-and-observation-policy.md": "html",
    "H03/risk-assessment-and-staying-safe-plans.md": "md",
    "H03/restrictive-practice-and-searching-policy.md": "pdf",
    "H03/carers-family-and-friends-guide.txt": "txt",
    "H04/supportive-observation-and-post-incident-sop.md": "pdf",
    "H04/ligature-and-environmental-safety-procedure.md": "md",
}

ORGS = [
    ("H01", "Fernhollow and Wrayside NHS Foundation Trust", "North West"),
    ("H02", "Kestrel Moor Partnership NHS Trust", "Yorkshire and the Humber"),
    ("H03", "Ashgrove Vale Mental Health NHS Trust", "South West"),
    ("H04", "Corrick Dale Health and Care NHS Trust", "East Midlands"),
]


def parse(md_text):
    """Return blocks: ('h', level, text) | ('p', text) | ('li', text) | ('table', rows)."""
    blocks, table = [], []
    for line in md_text.splitlines() + [""]:
        s = line.strip()
        if s.startswith("|"):
            cells = [c.strip() for c in s.strip("|").split("|")]
            if all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
                continue
            table.append(cells)
            continue
        if table:
            blocks.append(("table", table))
            table = []
        if not s:
            continue
        m = re.match(r"(#+)\s+(.*)", s)
        if m:
            blocks.append(("h", len(m.group(1)), m.group(2)))
        elif s.startswith("- "):
            blocks.append(("li", s[2:]))
        else:
            blocks.append(("p", s))
    return blocks


def to_pdf(blocks, dest, title):
    ss = getSampleStyleSheet()
    body = ParagraphStyle(
        "body", parent=ss["BodyText"], fontName="Helvetica", fontSize=10, leading=13
    )
    cell = ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5)
    hs = {1: ss["Title"], 2: ss["Heading2"], 3: ss["Heading3"]}
    story = []
    for b in blocks:
        if b[0] == "h":
            story.append(Paragraph(html.escape(b[2]), hs.get(b[1], ss["Heading3"])))
        elif b[0] == "p":
            story.append(Paragraph(html.escape(b[1]), body))
            story.append(Spacer(1, 3))
        elif b[0] == "li":
            story.append(Paragraph(html.escape(b[1]), body, bulletText="\u2022"))
        elif b[0] == "table":
            ncol = max(len(r) for r in b[1])
            rows = [
                [Paragraph(html.escape(c), cell) for c in r + [""] * (ncol - len(r))] for r in b[1]
            ]
            t = Table(rows, colWidths=[170 * mm / ncol] * ncol, repeatRows=1)
            t.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6f0")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            story.append(t)
            story.append(Spacer(1, 6))

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.drawString(20 * mm, 10 * mm, f"{title} - uncontrolled when printed")
        canvas.drawRightString(190 * mm, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        str(dest),
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=title,
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)


def to_docx(blocks, dest, title):
    d = Document()
    d.styles["Normal"].font.name = "Arial"
    d.styles["Normal"].font.size = Pt(11)
    d.core_properties.title = title
    for b in blocks:
        if b[0] == "h":
            d.add_heading(b[2], level=min(b[1], 3) if b[1] > 1 else 0)
        elif b[0] == "p":
            d.add_paragraph(b[1])
        elif b[0] == "li":
            d.add_paragraph(b[1], style="List Bullet")
        elif b[0] == "table":
            ncol = max(len(r) for r in b[1])
            t = d.add_table(rows=len(b[1]), cols=ncol)
            t.style = "Table Grid"
            for i, r in enumerate(b[1]):
                for j, c in enumerate(r):
                    t.cell(i, j).text = c
    d.save(str(dest))


def to_html(blocks, dest, title, org):
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{html.escape(title)} | {html.escape(org)}</title>",
        "<style>body{font-family:Arial,sans-serif;max-width:60em;margin:auto;}"
        "table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px}</style>",
        "</head>",
        "<body>",
        '<header><p><a href="/">Home</a> &gt; <a href="/about-us/policies">Our policies</a> &gt; '
        f"{html.escape(title)}</p></header>",
        "<main>",
    ]
    in_list = False
    for b in blocks:
        if b[0] != "li" and in_list:
            out.append("</ul>")
            in_list = False
        if b[0] == "h":
            out.append(f"<h{b[1]}>{html.escape(b[2])}</h{b[1]}>")
        elif b[0] == "p":
            out.append(f"<p>{html.escape(b[1])}</p>")
        elif b[0] == "li":
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{html.escape(b[1])}</li>")
        elif b[0] == "table":
            out.append("<table>")
            for i, r in enumerate(b[1]):
                tag = "th" if i == 0 else "td"
                out.append(
                    "<tr>" + "".join(f"<{tag}>{html.escape(c)}</{tag}>" for c in r) + "</tr>"
                )
            out.append("</table>")
    if in_list:
        out.append("</ul>")
    out += [
        "</main>",
        f"<footer><p>&copy; {html.escape(org)}. This page was printed from the Trust website and "
        "may not be the current version. Contact us: policy.office@example.nhs.uk</p></footer>",
        "</body>",
        "</html>",
    ]
    dest.write_text("\n".join(out) + "\n", encoding="utf-8")


def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    names = dict((o, n) for o, n, _ in ORGS)
    for rel, fmt in TARGETS.items():
        src = SRC / rel
        org = rel.split("/")[0]
        stem = Path(rel).stem
        dest = OUT / org / f"{stem}.{fmt}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        text = src.read_text(encoding="utf-8")
        title = next((b[2] for b in parse(text) if b[0] == "h" and "Trust" not in b[2]), stem)
        if fmt in ("md", "txt"):
            shutil.copyfile(src, dest)
        elif fmt == "pdf":
            to_pdf(parse(text), dest, title)
        elif fmt == "docx":
            to_docx(parse(text), dest, title)
        elif fmt == "html":
            to_html(parse(text), dest, title, names[org])
        print("wrote", dest.relative_to(HERE))
    with open(OUT / "organisations.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["org_id", "name", "region"])
        w.writerows(ORGS)


if __name__ == "__main__":
    main()
