"""The one password policy: createUser, updateUser, changePassword and `mcs create-admin`.

At least PASSWORD_MIN characters; not the username nor containing it; not one character
repeated; not a common password, nor a common password or word with digits or signs around it
(our Spanish list, and the most used of zxcvbn's); and zxcvbn's estimate of at least about 10^8
guesses. A long passphrase passes even when one of its words is common ("contraseña-segura")."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from models.users import PASSWORD_MIN

COMMON_FILE = Path(__file__).with_name("common_passwords_es.txt")
ZXCVBN_TOP = 10_000  # the most used of zxcvbn's 30,000 leaked passwords (mostly English)
ZXCVBN_MAX = 72  # zxcvbn's limit (its work grows with the length); what follows only adds strength
MIN_SCORE = 3  # zxcvbn's 0..4: 3 is about 10^8 guesses or more
MIN_USERNAME_INSIDE = 4  # a shorter username ("ana") may sit inside any word ("mañana"): only equality counts

SIGNS = str.maketrans({"@": "a", "$": "s"})
LEET = str.maketrans("013457", "oieast")
EDGES = re.compile(r"^[0-9]+|[0-9]+$")

TOO_SHORT = f"La contraseña debe tener al menos {PASSWORD_MIN} caracteres."
ONLY_SPACES = "La contraseña no puede ser solo espacios."
ONE_CHARACTER = "La contraseña no puede ser un mismo carácter repetido."
HAS_USERNAME = "La contraseña no debe ser ni contener el nombre de usuario."
COMMON = "La contraseña está entre las más usadas; elija otra."
COMMON_STEM = "La contraseña es una contraseña o palabra muy común con números o signos añadidos; elija otra."
WEAK = (
    "La contraseña es fácil de adivinar (secuencias, repeticiones, fechas o palabras comunes); "
    "pruebe con una frase de varias palabras."
)


def fold(text: str) -> str:
    """Lower case, no accents (ñ → n), "@" and "$" read as letters, only letters and digits left."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(SIGNS))
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """Loaded once: our list and zxcvbn's most used passwords, folded."""
    ours = (line.strip() for line in COMMON_FILE.read_text(encoding="utf-8").splitlines())
    words = [w for w in ours if w and not w.startswith("#")] + FREQUENCY_LISTS["passwords"][:ZXCVBN_TOP]
    return frozenset(f for f in map(fold, words) if len(f) >= 3)


def password_problem(password: str | None, username: str) -> str | None:
    """What is wrong with a new password, in Spanish, or None."""
    password = password or ""
    if password and not password.strip():
        return ONLY_SPACES
    if len(set(password)) == 1:
        return ONE_CHARACTER
    name, folded = fold(username or ""), fold(password)
    if name and (folded == name or (len(name) >= MIN_USERNAME_INSIDE and name in folded)):
        return HAS_USERNAME
    if len(password) < PASSWORD_MIN:
        return TOO_SHORT
    common = common_passwords()
    if folded in common or folded.translate(LEET) in common:
        return COMMON
    stem = EDGES.sub("", folded)
    if stem in common or stem.translate(LEET) in common:
        return COMMON_STEM
    hints = [username, *re.split(r"[._-]+", username or "")] if username else []
    if zxcvbn(password[:ZXCVBN_MAX], user_inputs=[h for h in hints if h])["score"] < MIN_SCORE:
        return WEAK
    return None
