"""The words of every message, in English and French (the network's two languages)."""

from __future__ import annotations

from datetime import datetime

LANGUAGES = ("en", "fr")

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "hello": "Hello,",
        "signature": "Art35 — the 24/7 Network directory",
        "why_admin": "You receive this as an administrator of {party}'s entries.",
        "why_secretariat": "You receive this as a member of the network secretariat.",
        "due.subject": "[Art35] {party}: please confirm your 24/7 entries by {until}",
        "due.body": (
            "{party}'s entries in the 24/7 Network directory (contact point, people, numbers, "
            "e-mail addresses, rotas) were last confirmed on {confirmed} by {by}. That "
            "confirmation is valid until {until}. Please review them and confirm that they are "
            "still true."
        ),
        "overdue.subject": "[Art35] {party}: confirmation OVERDUE since {until}",
        "overdue.body": (
            "{party}'s entries were last confirmed on {confirmed} by {by}; that confirmation "
            "ran out on {until}. Other Parties keep seeing the entries, flagged as not "
            "confirmed. Please review and confirm them now."
        ),
        "never.subject": "[Art35] {party}: please confirm your 24/7 entries",
        "never.body": (
            "{party}'s entries in the 24/7 Network directory have never been confirmed. Please "
            "review them and confirm that they are true."
        ),
        "escalate.subject": "[Art35] {party}: confirmation overdue since {until} (escalation)",
        "escalate.body": (
            "{party}'s entries were last confirmed on {confirmed} by {by}; the confirmation ran "
            "out on {until} and the Party's administrators ({admins}) have been reminded. The "
            "secretariat may contact the Party or confirm for it after checking."
        ),
        "no_admins": "The Party has no administrator in Art35: nobody was reminded.",
        "review_link": "Review and confirm",
        "digest.subject": "[Art35] Weekly digest, week {week}",
        "digest.intro": "The state of the 24/7 Network directory on {date}.",
        "digest.stale": "Parties whose confirmation is overdue or expired ({n})",
        "digest.stale_line": "{party}: {state} (valid until {until}, confirmed by {by})",
        "digest.never_line": "{party}: never confirmed",
        "digest.unreachable": "Numbers unreachable twice in a row ({n})",
        "digest.unreachable_line": "{party}: {name}, {number} ({failures} failures in a row, "
        "last {last})",
        "digest.unverified": "E-mail addresses not verified ({n})",
        "digest.unverified_line": "{party}: {count} ({examples})",
        "digest.gaps": "Gaps in tier-1 coverage in the next 14 days ({n})",
        "digest.gap_line": "{party}: tier {tier}, {start} → {end} UTC",
        "digest.link": "Network health",
        "duty.subject": "[Art35] Your duty for {party} starts in {hours} h",
        "duty.body": (
            'Your duty on the rota "{rota}" (tier {tier}) starts on {start} ({zone}) and '
            "lasts until {end}."
        ),
        "duty.why": "You asked for these reminders.",
        "unsubscribe": "Stop these reminders",
        "verify.subject": "[Art35] Please verify your e-mail address",
        "verify.body": (
            "This address ({address}) is listed in the 24/7 Network directory for {party}. "
            "Please open the link below and press the button to confirm that it receives "
            "mail. The link is valid for 7 days and can be used once."
        ),
        "verify.link": "Verify this address",
        "ack.subject": "[Art35] 24/7 e-mail test for {party}: please acknowledge",
        "ack.body": (
            "This is a test of {party}'s 24/7 contact point e-mail address, as part of the "
            'network\'s reachability tests. Please open the link below and press "Received". '
            "The network expects an acknowledgement within 8 hours."
        ),
        "ack.link": "Acknowledge receipt",
        "password.subject": "[Art35] Choose your password",
        "password.body": (
            "An account on Art35, the directory of the 24/7 Network (Budapest Convention, "
            "Article 35), is ready for {email}. Choose your password with the link below: it "
            "works once, for 24 hours."
        ),
        "password.reset_subject": "[Art35] Choose a new password",
        "password.reset_body": (
            "The network secretariat sent you a link to choose a new password for your account "
            "({email}) on Art35, the directory of the 24/7 Network. The link works once, for 24 "
            "hours; until you use it, your current password still works."
        ),
        "password.link": "Choose your password",
        "password.why": "If you did not expect this message, tell the network secretariat.",
    },
    "fr": {
        "hello": "Bonjour,",
        "signature": "Art35 — l'annuaire du réseau 24/7",
        "why_admin": "Vous recevez ce message en tant qu'administrateur des données de {party}.",
        "why_secretariat": "Vous recevez ce message en tant que membre du secrétariat du réseau.",
        "due.subject": "[Art35] {party} : merci de confirmer vos données 24/7 avant le {until}",
        "due.body": (
            "Les données de {party} dans l'annuaire du réseau 24/7 (point de contact, personnes, "
            "numéros, adresses électroniques, permanences) ont été confirmées pour la dernière "
            "fois le {confirmed} par {by}. Cette confirmation est valable jusqu'au {until}. "
            "Merci de les vérifier et de confirmer qu'elles sont toujours exactes."
        ),
        "overdue.subject": "[Art35] {party} : confirmation EN RETARD depuis le {until}",
        "overdue.body": (
            "Les données de {party} ont été confirmées pour la dernière fois le {confirmed} par "
            "{by} ; cette confirmation a expiré le {until}. Les autres Parties continuent de "
            "les voir, signalées comme non confirmées. Merci de les vérifier et de les "
            "confirmer dès maintenant."
        ),
        "never.subject": "[Art35] {party} : merci de confirmer vos données 24/7",
        "never.body": (
            "Les données de {party} dans l'annuaire du réseau 24/7 n'ont jamais été confirmées. "
            "Merci de les vérifier et de confirmer qu'elles sont exactes."
        ),
        "escalate.subject": "[Art35] {party} : confirmation en retard depuis le {until} (escalade)",
        "escalate.body": (
            "Les données de {party} ont été confirmées pour la dernière fois le {confirmed} par "
            "{by} ; la confirmation a expiré le {until} et les administrateurs de la Partie "
            "({admins}) ont été relancés. Le secrétariat peut contacter la Partie ou confirmer "
            "pour elle après vérification."
        ),
        "no_admins": "La Partie n'a pas d'administrateur dans Art35 : personne n'a été relancé.",
        "review_link": "Vérifier et confirmer",
        "digest.subject": "[Art35] Synthèse hebdomadaire, semaine {week}",
        "digest.intro": "L'état de l'annuaire du réseau 24/7 au {date}.",
        "digest.stale": "Parties dont la confirmation est en retard ou expirée ({n})",
        "digest.stale_line": "{party} : {state} (valable jusqu'au {until}, confirmée par {by})",
        "digest.never_line": "{party} : jamais confirmée",
        "digest.unreachable": "Numéros injoignables deux fois de suite ({n})",
        "digest.unreachable_line": "{party} : {name}, {number} ({failures} échecs de suite, "
        "dernier le {last})",
        "digest.unverified": "Adresses électroniques non vérifiées ({n})",
        "digest.unverified_line": "{party} : {count} ({examples})",
        "digest.gaps": "Trous dans la permanence de niveau 1 dans les 14 jours ({n})",
        "digest.gap_line": "{party} : niveau {tier}, {start} → {end} UTC",
        "digest.link": "Santé du réseau",
        "duty.subject": "[Art35] Votre permanence pour {party} commence dans {hours} h",
        "duty.body": (
            "Votre permanence « {rota} » (niveau {tier}) commence le {start} ({zone}) et dure "
            "jusqu'au {end}."
        ),
        "duty.why": "Vous avez demandé ces rappels.",
        "unsubscribe": "Ne plus recevoir ces rappels",
        "verify.subject": "[Art35] Merci de vérifier votre adresse électronique",
        "verify.body": (
            "Cette adresse ({address}) figure dans l'annuaire du réseau 24/7 pour {party}. "
            "Merci d'ouvrir le lien ci-dessous et d'appuyer sur le bouton pour confirmer "
            "qu'elle reçoit le courrier. Le lien est valable 7 jours et ne sert qu'une fois."
        ),
        "verify.link": "Vérifier cette adresse",
        "ack.subject": "[Art35] Test de messagerie 24/7 pour {party} : merci d'accuser réception",
        "ack.body": (
            "Ceci est un test de l'adresse électronique du point de contact 24/7 de {party}, "
            "dans le cadre des tests de joignabilité du réseau. Merci d'ouvrir le lien "
            "ci-dessous et d'appuyer sur « Reçu ». Le réseau attend un accusé de réception "
            "dans les 8 heures."
        ),
        "ack.link": "Accuser réception",
        "password.subject": "[Art35] Choisissez votre mot de passe",
        "password.body": (
            "Un compte sur Art35, l'annuaire du réseau 24/7 (Convention de Budapest, "
            "article 35), est prêt pour {email}. Choisissez votre mot de passe avec le lien "
            "ci-dessous : il ne sert qu'une fois et reste valable 24 heures."
        ),
        "password.reset_subject": "[Art35] Choisissez un nouveau mot de passe",
        "password.reset_body": (
            "Le secrétariat du réseau vous envoie un lien pour choisir un nouveau mot de passe "
            "pour votre compte ({email}) sur Art35, l'annuaire du réseau 24/7. Le lien ne sert "
            "qu'une fois et reste valable 24 heures ; d'ici là, votre mot de passe actuel "
            "continue de fonctionner."
        ),
        "password.link": "Choisir votre mot de passe",
        "password.why": (
            "Si vous ne vous attendiez pas à ce message, prévenez le secrétariat du réseau."
        ),
    },
}

STATE_WORDS = {
    "en": {
        "current": "current",
        "due_soon": "due soon",
        "overdue": "overdue",
        "expired": "expired",
    },
    "fr": {
        "current": "à jour",
        "due_soon": "à renouveler",
        "overdue": "en retard",
        "expired": "expirée",
    },
}


def language_of(tag: str | None) -> str:
    """English or French: the two languages messages are written in."""
    return "fr" if (tag or "").lower().startswith("fr") else "en"


def t(lang: str, key: str, **values: object) -> str:
    return TEXTS[language_of(lang)][key].format(**values)


def day(at: datetime | None, lang: str) -> str:
    """A date as both languages write it in running text (UTC)."""
    if at is None:
        return "—"
    if language_of(lang) == "fr":
        return at.strftime("%d/%m/%Y")
    return at.strftime("%d %b %Y")


def minute(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")
