"""Field names as a page shows them: 'phones[2].number' → 'Phone 3, number'."""

from __future__ import annotations

import re

from flask_babel import gettext

from common.i18n import N_

FIELDS = {
    "unit_name": N_("Unit name"),
    "kind": N_("Kind"),
    "address": N_("Address"),
    "email": N_("E-mail"),
    "desk_phone": N_("24/7 desk line"),
    "timezone": N_("Time zone"),
    "office_hours": N_("Office hours"),
    "can_order_preservation": N_("Can order preservation itself"),
    "mla_authority.name": N_("MLA central authority"),
    "mla_authority.phone": N_("MLA authority phone"),
    "mla_authority.email": N_("MLA authority e-mail"),
    "effective_from": N_("Effective from"),
    "new_designation": N_("New designation"),
    "full_name": N_("Full name"),
    "title": N_("Title or function"),
    "active": N_("Active"),
    "phones": N_("Phones"),
    "languages": N_("Languages"),
    "name": N_("Name"),
    "tier": N_("Tier"),
    "members": N_("Members"),
    "start_local": N_("First handoff"),
    "shift_length": N_("Shift length"),
    "restrictions": N_("Active only"),
    "members_effective_at": N_("New members from"),
    "person_id": N_("Person"),
    "start": N_("From"),
    "end": N_("Until"),
    "note": N_("Note"),
    "role": N_("Role"),
    "party": N_("Party"),
    "parties": N_("Parties"),
    "queued": N_("Messages queued"),
    "month": N_("Month"),
    "window": N_("When to call"),
    "password": N_("Password"),
    "body": N_("Form"),
    "confirmation_validity_months": N_("Validity of a confirmation (months)"),
    "confirmation_due_soon_days": N_("Confirmation due soon (days before the end)"),
    "confirmation_grace_days": N_("Grace period (days after the end)"),
}
ROW_FIELDS = {
    "phones": N_("Phone %(n)s"),
    "languages": N_("Language %(n)s"),
    "members": N_("Member %(n)s"),
    "office_hours": N_("Office hours %(n)s"),
    "restrictions": N_("Window %(n)s"),
}
ROW_PARTS = {
    "number": N_("number"),
    "kind": N_("kind"),
    "label": N_("label"),
    "primary": N_("primary"),
    "tag": N_("language"),
    "level": N_("level"),
    "weekdays": N_("days"),
    "from_local": N_("from"),
    "to_local": N_("to"),
}
_ROW = re.compile(r"^(?P<list>[a-z_]+)\[(?P<index>\d+)\](?:\.(?P<part>\w+))?$")


def field_label(name: str) -> str:
    """'phones[2].number' → 'Phone 3, number'; 'email' → 'E-mail'."""
    match = _ROW.match(name)
    if match and match["list"] in ROW_FIELDS:
        label = gettext(ROW_FIELDS[match["list"]], n=int(match["index"]) + 1)
        if match["part"] in ROW_PARTS:
            label += ", " + gettext(ROW_PARTS[match["part"]])
        return label
    return gettext(FIELDS[name]) if name in FIELDS else name
