"""Demo clients as staff would type them: names (in memory only), dates of birth, sex.

Names are drawn from small Kyrgyz, Uzbek and Russian pools, mostly in Cyrillic and
sometimes in a Latin passport spelling, only to compute client codes through the same
:mod:`registry.services.client_codes` path as the forms. They are never stored.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

FAMILY_STEMS = (
    "Асан", "Усен", "Токтогул", "Мамат", "Абдылда", "Садык", "Осмон", "Бек", "Жумаба",
    "Исмаил", "Ташы", "Карим", "Юсуп", "Рахим", "Турсун", "Алим", "Эргеш", "Сулайман",
    "Иван", "Петр", "Смирн", "Кузнецо", "Попо", "Соколо", "Шамши", "Өмүрбек", "Назар",
)  # fmt: skip
GIVEN_MALE = (
    "Бакыт", "Азамат", "Нурлан", "Эрлан", "Улан", "Алмаз", "Тимур", "Руслан", "Максат",
    "Бекзат", "Дильшод", "Шерзод", "Фарход", "Алексей", "Сергей", "Дмитрий", "Евгений",
)  # fmt: skip
GIVEN_FEMALE = (
    "Айгүл", "Гүлнара", "Жылдыз", "Нургүл", "Айжан", "Мээрим", "Дилноза", "Гулчехра",
    "Наталья", "Ольга", "Елена", "Мария", "Татьяна",
)  # fmt: skip
LATIN = {
    "Асан": "Asan", "Усен": "Usen", "Мамат": "Mamat", "Садык": "Sadyk", "Осмон": "Osmon",
    "Жумаба": "Zhumaba", "Юсуп": "Yusup", "Рахим": "Rakhim", "Карим": "Karim",
    "Бакыт": "Bakyt", "Азамат": "Azamat", "Нурлан": "Nurlan", "Евгений": "Yevgeniy",
    "Айгүл": "Aigul", "Жылдыз": "Jyldyz", "Наталья": "Natalia", "Елена": "Yelena",
}  # fmt: skip


def family_name(rng: np.random.Generator, sex: str, latin: bool) -> str:
    """A family name: stem + ``ов``/``ев`` (+ ``а`` for women), sometimes in Latin."""
    stem = FAMILY_STEMS[rng.integers(len(FAMILY_STEMS))]
    suffix = "ев" if stem[-1] in "ыи" else "ов"
    if latin and stem in LATIN:
        return LATIN[stem] + ("ov" if suffix == "ов" else "ev") + ("a" if sex == "F" else "")
    return stem + suffix + ("а" if sex == "F" else "")


def given_name(rng: np.random.Generator, sex: str, latin: bool) -> str:
    """A given name for ``sex``, sometimes in its Latin passport spelling."""
    pool = GIVEN_MALE if sex == "M" else GIVEN_FEMALE
    name = pool[rng.integers(len(pool))]
    return LATIN.get(name, name) if latin else name


def birth_date(rng: np.random.Generator, first_admission: date, age: int) -> date:
    """A date of birth giving ``age`` full years on ``first_admission``."""
    latest = date(first_admission.year - age, first_admission.month, 1)
    return latest - timedelta(days=int(rng.integers(0, 365)))
