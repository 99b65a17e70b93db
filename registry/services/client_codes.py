"""Pseudonymous client codes: normalised SLK-581 letters, then a keyed HMAC-SHA256.

Public interface::

    ClientIdentifiers(family_name: str, given_name: str, birth_date: date, sex: "M" | "F" | "U")
    normalise_name(text: str, *, fold_doubles=True) -> str   # "Ассанов" -> "ASANOV"
    legacy_normalise_name(text: str) -> str           # code version 1: doubles kept
    slk581(ids: ClientIdentifiers, *, normalise=normalise_name) -> str   # "SANZA140319851"
    client_code(ids: ClientIdentifiers, key: str) -> str   # 64 hex chars, stored in Client.code
    client_codes(ids: ClientIdentifiers, key: str) -> tuple[str, ...]  # current, then legacy
    code_from_slk(slk: str, key: str) -> str               # the same, from the SLK
    keyed_hasher(key: str) -> Callable[[bytes], bytes]     # HMAC-SHA256 digests, fast
    slk_letters(name: str, positions) -> str               # the letters of a normalised name
    FAMILY_POSITIONS, GIVEN_POSITIONS                      # (2, 3, 5), (2, 3)

The identifiers live only in memory: nothing here logs, stores or prints them, and
``repr(ClientIdentifiers(...))`` shows no value.

Normalisation (one fixed table, applied the same way to Cyrillic and Latin input)
--------------------------------------------------------------------------------
1. Upper-case; Cyrillic letters are transliterated with :data:`CYRILLIC_TO_LATIN`
   (Russian plus the Kyrgyz, Kazakh, Uzbek, Tajik, Tatar and Ukrainian letters);
   Latin letters with diacritics used by Turkmen/Uzbek/Turkish spellings are mapped
   (Ş -> SH, Ç -> CH, Ž -> ZH, Ä -> A, Ö -> O, Ü -> U ...); everything that is not a
   letter (spaces, hyphens, apostrophes, digits) is dropped.
2. The Latin result is folded by :data:`LATIN_FOLDS`, in order and repeatedly until
   nothing changes, so that the usual passport spellings of one Cyrillic name give the
   same letters:

   ========================  ======================================================
   fold                      makes equal
   ========================  ======================================================
   SHCH, SCH -> SH           Щ: Shchukin / Schukin / Шукин
   TCH -> CH                 French Ч: Tchoulpan / Chulpan
   DZH, ZH, DJ -> J          Ж, ДЖ, Ҷ: Japarov / Zhaparov / Жапаров;
                             Djumabekov / Dzhumabekov / Jumabekov / Джумабеков
   KH, X -> H                Х, Ҳ, Һ: Khasanov / Hasanov / Xasanov (Uzbek) / Хасанов
   GH -> G, Q -> K           Ғ, Қ: Ghafurov / Gafurov; Qodirov / Kodirov
   W -> V                    Wladimir / Vladimir
   TS, TZ -> C               Ц: Tsoi / Tzoi / Цой
   YE -> E, YO -> E          Е, Ё: Yelena / Elena / Елена; Aliyev / Aliev / Алиев;
                             Semyonov / Semenov / Семёнов
   NG -> N                   Ң: Tyngchtyk / Tynchtyk / Тыңчтык
   Y -> I, runs of I -> I    Й, Ы, И: Yusupov / Iusupov / Юсупов; Evgeny / Evgenii /
                             Yevgeniy / Евгений; Mariya / Maria / Мария
   ========================  ======================================================

3. Code version 2 (issue 13): a run of one letter becomes one letter, after the folds,
   so a doubled letter typed or left out gives the same letters: Ассанов / Асанов,
   Алла / Ала, Muhammad / Mukhammad / Мухаммад. (Collapsing a run puts no new pair of
   letters side by side, so no fold applies afterwards: one pass is enough.)

Code versions and the migration path (docs/client-codes.md)
-----------------------------------------------------------
Version 1 (:func:`legacy_normalise_name`) kept doubled letters. Codes are never
recomputed (the registry keeps no names), so a client coded under version 1 keeps that
code. The two versions give the same letters for every name without a doubled letter;
for a name with one, :func:`client_codes` gives both codes and a lookup tries the
version-1 code first (the exact match of how the client was first typed), then the
current one. New clients are coded with the current version.

Limits (documented, deliberate): the folds merge some distinct names (Ц/ТС, Й/И/Ы,
НГ/Ң), which only makes the SLK letters slightly less specific -- the code also holds the
full date of birth and sex. Spellings that change the number of letters in other ways
still differ: English "Alexander" (X -> H) vs "Aleksandr"; German "J" for Й
("Jusupov"); Uzbek Latin "Oʻ" for Ў (we map Ў -> U, the Russian-document spelling);
ICAO-2013 "IE" for Ъ. Typos and such spellings produce a new code; potential
duplicates are for review, never merged silently (DOMAIN §5).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

#: Cyrillic letter (upper case) -> Latin spelling before folding. Ь and Ъ are dropped.
CYRILLIC_TO_LATIN: dict[str, str] = {
    # Russian
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Д": "D", "Е": "E", "Ё": "E", "Ж": "ZH",
    "З": "Z", "И": "I", "Й": "Y", "К": "K", "Л": "L", "М": "M", "Н": "N", "О": "O",
    "П": "P", "Р": "R", "С": "S", "Т": "T", "У": "U", "Ф": "F", "Х": "KH", "Ц": "TS",
    "Ч": "CH", "Ш": "SH", "Щ": "SHCH", "Ъ": "", "Ы": "Y", "Ь": "", "Э": "E", "Ю": "YU",
    "Я": "YA",
    # Kyrgyz and Kazakh
    "Ө": "O", "Ү": "U", "Ң": "NG", "Ә": "A", "Ғ": "GH", "Қ": "Q", "Ұ": "U", "Һ": "H",
    "І": "I",
    # Uzbek and Tajik
    "Ў": "U", "Ҳ": "H", "Ҷ": "J", "Ӣ": "I", "Ӯ": "U",
    # Tatar, Bashkir, Ukrainian, Belarusian
    "Җ": "ZH", "Ҙ": "Z", "Ҡ": "Q", "Ҫ": "S", "Ґ": "G", "Є": "YE", "Ї": "YI",
}  # fmt: skip

#: Latin letters whose diacritic changes the sound (Turkmen, Uzbek, Turkish, Czech).
LATIN_SPECIALS: dict[str, str] = {
    "Ş": "SH", "Š": "SH", "Ç": "CH", "Č": "CH", "Ž": "ZH", "Ý": "Y", "Ň": "NG", "ẞ": "SS",
    "Æ": "AE", "Ø": "O", "Ł": "L",
}  # fmt: skip

#: Ordered folds of the Latin spelling (see the module docstring for what each merges).
LATIN_FOLDS: tuple[tuple[str, str], ...] = (
    ("SHCH", "SH"),
    ("SCH", "SH"),
    ("TCH", "CH"),
    ("DZH", "J"),
    ("ZH", "J"),
    ("DJ", "J"),
    ("KH", "H"),
    ("X", "H"),
    ("GH", "G"),
    ("Q", "K"),
    ("W", "V"),
    ("TS", "C"),
    ("TZ", "C"),
    ("YE", "E"),
    ("YO", "E"),
    ("NG", "N"),
    ("Y", "I"),
)

_NOT_LATIN_LETTER = re.compile(r"[^A-Z]")
#: str.translate table of CYRILLIC_TO_LATIN and LATIN_SPECIALS (uploads code 10^5 names).
_TRANSLITERATION = {
    ord(char): latin for char, latin in {**CYRILLIC_TO_LATIN, **LATIN_SPECIALS}.items()
}
_RUN_OF_I = re.compile(r"I+")
_RUN_OF_A_LETTER = re.compile(r"([A-Z])\1+")
#: Some fold's input (or a run of I): a name without one is left as it is by the folds.
_FOLDABLE = re.compile("|".join([*(source for source, _ in LATIN_FOLDS), "II"]))

#: SLK-581 fillers: a position past the end of a name, and a name that is missing.
SHORT_FILLER, MISSING_FILLER = "2", "9"
#: SLK-581 sex digit (AIHW "sex code"): 1 male, 2 female, 9 not stated. A sex not known
#: ("U", :data:`registry.codes.SEX_NOT_KNOWN`) enters the key as 9, so codes of men and
#: women are those computed before "not known" existed.
SEX_DIGITS = {"M": "1", "F": "2", "U": "9"}


@dataclass(frozen=True, slots=True)
class ClientIdentifiers:
    """What staff type to identify a person; kept in memory only, never stored.

    ``sex`` is ``"M"``, ``"F"`` or ``"U"`` (not known). The ``repr`` hides every value so
    the identifiers cannot leak into logs, tracebacks or error pages.
    """

    family_name: str = field(repr=False)
    given_name: str = field(repr=False)
    birth_date: date = field(repr=False)
    sex: str = field(repr=False)

    def __repr__(self) -> str:
        return "ClientIdentifiers(<redacted>)"

    __str__ = __repr__


def _transliterate(char: str) -> str:
    """Latin spelling of one upper-case character (empty for non-letters)."""
    if "A" <= char <= "Z":  # the common case, and NFKD leaves these as they are
        return char
    if char in CYRILLIC_TO_LATIN:
        return CYRILLIC_TO_LATIN[char]
    if char in LATIN_SPECIALS:
        return LATIN_SPECIALS[char]
    # Strip remaining diacritics: Ä -> A, Ö -> O, Ü -> U, Ğ -> G, Ñ -> N ...
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if "A" <= c <= "Z")


def normalise_name(text: str, *, fold_doubles: bool = True) -> str:
    """Return the folded Latin letters of a name (see the module docstring).

    ``fold_doubles=False`` is code version 1 (:func:`legacy_normalise_name`).

    >>> normalise_name("  Асанов ") == normalise_name("Asanov") == "ASANOV"
    True
    >>> normalise_name("Жапаров") == normalise_name("Japarov") == normalise_name("Zhaparov")
    True
    >>> normalise_name("Ассанов") == "ASANOV" and legacy_normalise_name("Ассанов") == "ASSANOV"
    True
    """
    upper = unicodedata.normalize("NFC", text or "").strip().upper()
    # _transliterate char by char, with the two tables applied in one pass first (fast);
    # what is left outside ASCII loses its diacritics in the second pass
    latin = upper.translate(_TRANSLITERATION)
    if not latin.isascii():
        latin = "".join(_transliterate(char) for char in latin)
    latin = _NOT_LATIN_LETTER.sub("", latin)
    # Fold until nothing changes (one fold can create another's input: "KX" -> "KH" -> "H"),
    # so that normalising a normalised name changes nothing. Every fold shortens the text
    # or removes one of X, Q, W, Y, which no fold produces, so this ends.
    previous = None if _FOLDABLE.search(latin) else latin
    while latin != previous:
        previous = latin
        for source, target in LATIN_FOLDS:
            latin = latin.replace(source, target)
        latin = _RUN_OF_I.sub("I", latin)
    return _RUN_OF_A_LETTER.sub(r"\1", latin) if fold_doubles else latin


def legacy_normalise_name(text: str) -> str:
    """The letters of code version 1, which kept doubled letters (existing clients' codes)."""
    return normalise_name(text, fold_doubles=False)


#: 1-based positions of the SLK-581 letters in the normalised family and given names.
FAMILY_POSITIONS, GIVEN_POSITIONS = (2, 3, 5), (2, 3)


def slk_letters(name: str, positions: tuple[int, ...]) -> str:
    """SLK letters of the normalised ``name`` at 1-based ``positions``, with the fillers."""
    if not name:
        return MISSING_FILLER * len(positions)
    return "".join(name[p - 1] if p <= len(name) else SHORT_FILLER for p in positions)


def slk581(ids: ClientIdentifiers, *, normalise: Callable[[str], str] = normalise_name) -> str:
    """The statistical linkage key: 3 + 2 letters, date of birth DDMMYYYY, sex 1/2/9.

    Letters 2, 3 and 5 of the normalised family name and 2 and 3 of the given name;
    ``2`` fills a position past the end of a short name, ``9`` every position of a
    missing name. Never store or log the result: it is not a pseudonym on its own.
    ``normalise`` is :func:`normalise_name` (an upload passes a memo of it, per file).
    """
    if ids.sex not in SEX_DIGITS:
        raise ValueError("sex must be 'M', 'F' or 'U'")
    family = slk_letters(normalise(ids.family_name), FAMILY_POSITIONS)
    given = slk_letters(normalise(ids.given_name), GIVEN_POSITIONS)
    return f"{family}{given}{ids.birth_date:%d%m%Y}{SEX_DIGITS[ids.sex]}"


def client_code(ids: ClientIdentifiers, key: str) -> str:
    """Hex HMAC-SHA256 of :func:`slk581` keyed with ``key`` (the ``LINKAGE_KEY``).

    The key stays outside the database, so the low-entropy SLK cannot be recovered
    by enumerating names and dates against the stored codes.
    """
    return code_from_slk(slk581(ids), key)


def client_codes(ids: ClientIdentifiers, key: str) -> tuple[str, ...]:
    """The codes a person may be registered under: the current one, then the version-1
    code if it differs (only names with a doubled letter); see the module docstring."""
    current = client_code(ids, key)
    legacy = code_from_slk(slk581(ids, normalise=legacy_normalise_name), key)
    return (current,) if legacy == current else (current, legacy)


def code_from_slk(slk: str, key: str) -> str:
    """The client code of an SLK-581 key (what :func:`client_code` computes from it)."""
    if not key:
        raise ValueError("a linkage key is required")
    return hmac.new(key.encode(), slk.encode(), hashlib.sha256).hexdigest()


_INNER_PAD = bytes(byte ^ 0x36 for byte in range(256))
_OUTER_PAD = bytes(byte ^ 0x5C for byte in range(256))


def keyed_hasher(key: str) -> Callable[[bytes], bytes]:
    """``digest(message)``: the HMAC-SHA256 of ``message`` keyed with ``key`` (RFC 2104).

    The same bytes as ``hmac.digest(key, message, "sha256")`` at less than half the cost:
    the two padded-key blocks are hashed once here, and each call copies their state. An
    upload hashes hundreds of thousands of short messages (codes, blocking keys, the
    one-letter variants searched against the registry), where the key setup dominated.
    """
    if not key:
        raise ValueError("a linkage key is required")
    secret = key.encode()
    if len(secret) > hashlib.sha256().block_size:
        secret = hashlib.sha256(secret).digest()
    secret = secret.ljust(hashlib.sha256().block_size, b"\0")
    inner = hashlib.sha256(secret.translate(_INNER_PAD))
    outer = hashlib.sha256(secret.translate(_OUTER_PAD))

    def digest(message: bytes) -> bytes:
        hashed = inner.copy()
        hashed.update(message)
        result = outer.copy()
        result.update(hashed.digest())
        return result.digest()

    return digest
