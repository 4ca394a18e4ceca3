"""Password rules by NIST SP 800-63B §5.1.1 / ASVS 2.1: length and a blocklist, no composition."""

from __future__ import annotations

import gzip
import itertools
from functools import lru_cache
from importlib import resources

MIN_LENGTH = 12
#: Long enough for passphrases (ASVS 2.1.2 asks for at least 64) and bounded before hashing.
MAX_LENGTH = 128
#: Django's list of 20,000 common passwords (Royce Williams' compilation of breach corpora), BSD.
BLOCKLIST_FILE = "common-passwords.txt.gz"
#: Words of this service that make a guessable password (NIST: context-specific words).
CONTEXT_WORDS = ("art35", "budapest", "convention", "cybercrime", "password")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The bundled blocklist, lower-cased (read once, offline)."""
    data = resources.files("directory").joinpath("data", BLOCKLIST_FILE).read_bytes()
    return frozenset(line.strip() for line in gzip.decompress(data).decode().splitlines() if line)


def _repetitive_or_sequential(password: str) -> bool:
    """'aaaaaaaaaaaa', 'abcabcabcabc', '123456789012', 'qwertyuiop…'-like runs."""
    if len(set(password)) <= 3:
        return True
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(password)}
    return steps <= {1, -9} or steps <= {-1, 9}


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """Why this password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"a password has at most {MAX_LENGTH} characters"
    folded = password.casefold()
    if folded in common_passwords() or folded.rstrip("0123456789!.?") in common_passwords():
        return "this password is on a list of common or breached passwords: choose another"
    if _repetitive_or_sequential(folded):
        return "this password is a repetition or a sequence: choose another"
    words = list(CONTEXT_WORDS)
    if email:
        local = email.split("@", 1)[0].casefold()
        if len(local) >= 4:
            words.append(local)
    stripped = folded
    for word in words:
        stripped = stripped.replace(word, "")
    if len(stripped) < 6:
        return "this password is mostly your e-mail or the service's name: choose another"
    return None
