"""Name pools (Cyrillic, as clinic staff type them) and the typing errors staff make.

Pools are common Kyrgyz, Russian, Uzbek, Kazakh and Tajik given and family names. Family
names are stored in the male form; :func:`family_name` derives the female form
(Асанов -> Асанова). Nothing here is ever written to the database: the writer turns typed
names into client codes through :func:`registry.services.client_codes.client_code`.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from registry.services.client_codes import normalise_name

_POOLS: dict[str, dict[str, str]] = {
    "kyrgyz": {
        "family": "Асанов Бакиев Жапаров Алымбеков Токтогулов Абдыкадыров Джумабеков Мамытов "
        "Осмонов Сыдыков Турдубаев Касымов Эсенгулов Омуралиев Шамшиев Бообеков Кадыров "
        "Акматов Жээнбеков Байтемиров Султанов Исаков Керимбеков Абдрахманов Орозбаев "
        "Мырзакматов Садыров Тыныбеков Кудайбергенов Чолпонбаев",
        "male": "Бакыт Азамат Нурлан Марат Эрлан Тынчтык Улан Кубанычбек Алмаз Бекжан Данияр "
        "Жыргалбек Адилет Айбек Бактыбек Мирлан Нурбек Талант Темир Эмиль Руслан Элдияр "
        "Замирбек Медер",
        "female": "Айгуль Жылдыз Назира Гульнара Чолпон Айнура Бактыгуль Мээрим Асель Динара "
        "Жамиля Салтанат Айпери Нургуль Зарина Бурул Калыйман Умут",
    },
    "russian": {
        "family": "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков "
        "Федоров Морозов Волков Алексеев Лебедев Семенов Егоров Павлов Козлов Степанов "
        "Николаев Орлов Андреев Макаров Никитин Захаров Зайцев Соловьев Борисов Яковлев "
        "Григорьев Романов Воробьев Щербаков Ткаченко Шевченко Бондаренко Юдин",
        "male": "Александр Сергей Дмитрий Андрей Алексей Максим Евгений Иван Михаил Артем "
        "Владимир Николай Олег Денис Игорь Виктор Юрий Павел Роман Константин Вячеслав "
        "Анатолий Геннадий Станислав",
        "female": "Елена Ольга Наталья Татьяна Ирина Светлана Анна Мария Юлия Екатерина "
        "Людмила Галина Оксана Марина Валентина Виктория Алёна Ксения",
    },
    "uzbek": {
        "family": "Юсупов Каримов Рахимов Усманов Алиев Хасанов Турсунов Абдуллаев Мирзаев "
        "Исмаилов Ахмедов Юлдашев Назаров Эргашев Хамидов Тошматов Султонов Раджабов "
        "Холматов Норматов Сафаров Бахромов Маматкулов Файзуллаев Шарипов Жураев",
        "male": "Шухрат Бахтиёр Рустам Фарход Улугбек Дилшод Жасур Санжар Тимур Акмал "
        "Отабек Шерзод Бекзод Азиз Равшан Ильхом Музаффар Хуршид Анвар Нодир",
        "female": "Гулноза Дилноза Мохира Нигора Шахноза Феруза Зулфия Малика Севара Умида "
        "Нилуфар Гулчехра Мадина Барно",
    },
    "kazakh": {
        "family": "Нурланов Сагинтаев Жумабаев Ахметов Касымов Сейтказиев Оспанов Ержанов "
        "Кенжебаев Абенов Есенов Бекмуханов Тулегенов Мусин Серикбаев Байжанов Жаксыбеков "
        "Смагулов Искаков Омаров",
        "male": "Нурсултан Ерлан Асхат Бауыржан Ержан Канат Серик Даурен Арман Жандос "
        "Ерболат Тимур Мейрам Айдос Болат Дархан",
        "female": "Айгерим Жанар Динара Гульмира Сауле Асель Макпал Айжан Салтанат Жанна "
        "Меруерт Камила",
    },
    "tajik": {
        "family": "Рахмонов Саидов Назаров Шарипов Давлатов Холов Курбонов Мирзоев Сафаров "
        "Каримов Ализода Рахимзода Назарзода Бобоев Одинаев Давлатзода Джураев Файзов "
        "Иброхимов Хакимов",
        "male": "Фаррух Далер Сухроб Фируз Бахром Джамшед Шахзод Исмоил Манучехр Парвиз "
        "Рустам Зафар Комрон Умед Сино Навруз",
        "female": "Мехрангез Нилуфар Зарина Фарангис Мадина Шахноза Гулру Нигина Таманно "
        "Мунира Дилафруз Сабрина",
    },
}

ETHNICITIES = tuple(_POOLS)
POOLS: dict[str, dict[str, tuple[str, ...]]] = {
    group: {kind: tuple(words.split()) for kind, words in pool.items()}
    for group, pool in _POOLS.items()
}


def female_family_name(name: str) -> str:
    """Female form of a male family name: -ов/-ев/-ин take -а; -зода and -ко are invariable."""
    if name.endswith(("ов", "ев", "ин")):
        return name + "а"
    return name


@cache
def latin_spelling(name: str) -> str:
    """A Latin spelling staff might type for a Cyrillic name (same letters after folding)."""
    return normalise_name(name).title()


def family_names() -> list[str]:
    """Every family name of the pools in every form and spelling (for leak tests)."""
    names: set[str] = set()
    for pool in POOLS.values():
        for name in pool["family"]:
            for form in (name, female_family_name(name)):
                names.update((form, latin_spelling(form)))
    return sorted(names)


_CYRILLIC = "абвгдежзийклмнопрстуфхцчшыэюя"
_LATIN = "abcdefghijklmnopqrstuvwxyz"


def typo(rng: np.random.Generator, text: str) -> str:
    """``text`` with one typing error: a wrong, missing, doubled or swapped letter."""
    if len(text) < 3:
        return text + text[-1:]
    alphabet = _LATIN if text[-1].lower() in _LATIN else _CYRILLIC
    position = int(rng.integers(1, len(text)))  # the first (capital) letter is rarely wrong
    kind = int(rng.integers(4))
    if kind == 0:
        return text[:position] + alphabet[int(rng.integers(len(alphabet)))] + text[position + 1 :]
    if kind == 1:
        return text[:position] + text[position + 1 :]
    if kind == 2:
        return text[:position] + text[position] + text[position:]
    if position == len(text) - 1:
        position -= 1
    return text[:position] + text[position + 1] + text[position] + text[position + 2 :]
