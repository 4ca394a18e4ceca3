"""Places other packages fill in on the pages, so `web` never needs to know them.

Calendars and reachability register here from `web.register` (`web/calendar_pages.py`,
`web/reachability_pages.py`):

- `PARTY_SECTIONS`: extra sections on the Party page (e.g. "Subscribe" buttons that create an
  iCal subscription, the reachability history). Each is called as `section(party, user)` and
  returns HTML (a `markupsafe.Markup`, usually from `render_template`) or None to show nothing.
- `PERSON_ACTIONS`: small controls next to a person on the Party page (e.g. a "Test call"
  button): `action(person, user)` returns HTML or None.
- `SECRETARIAT_LINKS`: entries of the secretariat menu (e.g. campaigns): (endpoint, label)
  where label is a lazy_gettext string so it follows the viewer's language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup

PARTY_SECTIONS: list[Callable[[Any, Any], Markup | str | None]] = []
PERSON_ACTIONS: list[Callable[[Any, Any], Markup | str | None]] = []
SECRETARIAT_LINKS: list[tuple[str, Any]] = []


def render_all(hooks: list[Callable[..., Markup | str | None]], *args: Any) -> list[Markup]:
    """Call each hook; keep what they rendered (already escaped by their templates)."""
    out = []
    for hook in hooks:
        html = hook(*args)
        if html:
            out.append(Markup(html))  # noqa: S704 -- hooks return template output
    return out
