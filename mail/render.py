"""Messages as structured content, rendered to plain text and to HTML (escaped) alike."""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import escape


@dataclass
class Content:
    """What a message says; `sections` are (heading, lines) lists, e.g. the digest's."""

    subject: str
    greeting: str
    paragraphs: list[str] = field(default_factory=list)
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    link: tuple[str, str] | None = None  # (label, absolute URL)
    footer: list[str] = field(default_factory=list)


def render_text(content: Content) -> str:
    """Plain text, lines under 80 columns where the words allow."""
    out = [content.greeting, ""]
    for paragraph in content.paragraphs:
        out += [paragraph, ""]
    for heading, lines in content.sections:
        out += [heading, "-" * len(heading)]
        out += [f"  - {line}" for line in lines] or ["  (none)"]
        out.append("")
    if content.link:
        out += [f"{content.link[0]}:", content.link[1], ""]
    if content.footer:
        out += ["-- ", *content.footer]
    return "\n".join(out).rstrip() + "\n"


def render_html(content: Content) -> str:
    """A small HTML alternative: no images, no scripts, no remote resources."""
    parts = [
        '<!doctype html><html><body style="font-family:sans-serif;max-width:40em">',
        f"<p>{escape(content.greeting)}</p>",
    ]
    parts += [f"<p>{escape(p)}</p>" for p in content.paragraphs]
    for heading, lines in content.sections:
        parts.append(f"<h3>{escape(heading)}</h3>")
        items = "".join(f"<li>{escape(line)}</li>" for line in lines) or "<li>—</li>"
        parts.append(f"<ul>{items}</ul>")
    if content.link:
        label, url = content.link
        parts.append(f'<p><a href="{escape(url)}">{escape(label)}</a></p>')
    if content.footer:
        parts.append(
            '<p style="color:#555;font-size:small">'
            + "<br>".join(str(escape(line)) for line in content.footer)
            + "</p>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)
