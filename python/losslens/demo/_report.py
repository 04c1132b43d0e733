"""The report folder: report.html with every figure inline (base64 PNG), the PNGs themselves, tables."""
import base64
import html
from pathlib import Path

from ._figures import save

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
img { max-width: 100%; border: 1px solid #eee; } figure { margin: 1em 0; }
figcaption { font-size: .9em; color: #555; }
table { border-collapse: collapse; margin: 1em 0; font-size: .92em; }
th, td { border: 1px solid #ccc; padding: .3em .6em; text-align: right; } th { background: #f4f4f4; }
td:first-child, th:first-child { text-align: left; } .note { color: #555; font-size: .92em; }
"""


class Report:
    """Collects sections of text, tables and figures; figures are saved as PNGs on the way."""

    def __init__(self, out_dir, title):
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.title = title
        self.parts = []
        self.figures = []

    def section(self, heading):
        """Start a new section."""
        self.parts.append(f"<h2>{html.escape(heading)}</h2>")

    def text(self, paragraph, note=False):
        """A paragraph (plain text, escaped)."""
        css = ' class="note"' if note else ""
        self.parts.append(f"<p{css}>{html.escape(paragraph)}</p>")

    def table(self, header, rows):
        """A table of strings; the first column is left-aligned."""
        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
        self.parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")

    def figure(self, fig, name, caption):
        """Save ``fig`` as ``name``.png and embed it with ``caption``."""
        png = save(fig, self.out_dir / f"{name}.png")
        self.figures.append(f"{name}.png")
        encoded = base64.b64encode(png).decode("ascii")
        self.parts.append(f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{encoded}">'
                          f"<figcaption>{html.escape(caption)}</figcaption></figure>")

    def write(self):
        """Write report.html and return its path."""
        path = self.out_dir / "report.html"
        path.write_text(
            f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(self.title)}</title>"
            f"<style>{_STYLE}</style></head><body><h1>{html.escape(self.title)}</h1>\n"
            + "\n".join(self.parts) + "\n</body></html>\n", encoding="utf-8")
        return path
