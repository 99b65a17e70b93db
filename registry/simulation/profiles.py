"""Country profiles: the published figures the simulator is calibrated on.

Figures for early 2003 come from ../shared/DOMAIN.md §1 (registered users, population,
rapid-assessment estimate of users, HIV among people who inject drugs, the Kyrgyz methadone
pilot). Regional population shares are rounded official mid-2000s figures; the relative
concentration of drug use per region (capitals, trafficking routes and industrial cities
higher) is a modelling assumption, documented in docs/simulation.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Region:
    """A region (oblast or city of republican status) with its population and drug-use weight.

    ``population`` is in thousands (about 2003); ``concentration`` multiplies the national
    prevalence of drug use; ``centre`` is the code of its narcological dispensary.
    """

    code: str
    name: str
    name_ru: str
    population: int
    concentration: float
    centre: str


@dataclass(frozen=True)
class OstSite:
    """An OST pilot site: the centre, the regions it serves and its share of the places."""

    centre: str
    regions: tuple[str, ...]
    share: float


@dataclass(frozen=True)
class CountryProfile:
    """Everything the simulator needs to know about one country.

    ``registered_2003`` is the number of people on the narcological (dispensary) register
    in early 2003 (DOMAIN §1), the calibration target of the simulated register;
    ``users_2003`` the (mid-point) estimate of people who use drugs.
    ``ethnic_mix`` weights the name pools of :mod:`registry.simulation.names`.
    """

    code: str
    name: str
    name_ru: str
    population: int
    registered_2003: int
    users_2003: tuple[int, int]
    hiv_incidence_max: float
    regions: tuple[Region, ...]
    ethnic_mix: dict[str, float]
    ost_start: int | None = None
    ost_places: int = 0
    ost_sites: tuple[OstSite, ...] = field(default_factory=tuple)

    @property
    def users_mid(self) -> float:
        """Mid-point of the published range of users in 2003."""
        return sum(self.users_2003) / 2

    def region(self, code: str) -> Region:
        """The region with ``code``."""
        return next(r for r in self.regions if r.code == code)


KG = CountryProfile(
    code="KG",
    name="Kyrgyz Republic",
    name_ru="Кыргызская Республика",
    population=4_867_481,
    registered_2003=5_600,
    users_2003=(80_000, 100_000),
    hiv_incidence_max=0.012,
    regions=(
        Region("KG-GB", "Bishkek city", "г. Бишкек", 770, 2.4, "RNC"),
        Region("KG-GO", "Osh city", "г. Ош", 230, 2.2, "OSH"),
        Region("KG-C", "Chui", "Чуйская область", 770, 1.5, "RNC"),
        Region("KG-O", "Osh", "Ошская область", 1_050, 0.9, "OSH"),
        Region("KG-J", "Jalal-Abad", "Джалал-Абадская область", 960, 0.7, "KG-J-ND"),
        Region("KG-B", "Batken", "Баткенская область", 400, 0.8, "KG-B-ND"),
        Region("KG-Y", "Issyk-Kul", "Иссык-Кульская область", 420, 0.8, "KG-Y-ND"),
        Region("KG-N", "Naryn", "Нарынская область", 260, 0.3, "KG-N-ND"),
        Region("KG-T", "Talas", "Таласская область", 210, 0.4, "KG-T-ND"),
    ),
    ethnic_mix={"kyrgyz": 0.52, "russian": 0.25, "uzbek": 0.15, "kazakh": 0.04, "tajik": 0.04},
    ost_start=2002,
    ost_places=100,
    ost_sites=(
        OstSite("RNC", ("KG-GB", "KG-C"), 0.6),
        OstSite("OSH", ("KG-GO", "KG-O"), 0.4),
    ),
)

KZ = CountryProfile(
    code="KZ",
    name="Republic of Kazakhstan",
    name_ru="Республика Казахстан",
    population=14_869_021,
    registered_2003=49_736,
    users_2003=(165_000, 186_000),
    hiv_incidence_max=0.010,
    regions=(
        Region("KZ-ALA", "Almaty city", "г. Алматы", 1_150, 1.8, "KZ-ALA-ND"),
        Region("KZ-AST", "Astana city", "г. Астана", 500, 1.3, "KZ-AST-ND"),
        Region("KZ-AKM", "Akmola", "Акмолинская область", 750, 1.0, "KZ-AKM-ND"),
        Region("KZ-AKT", "Aktobe", "Актюбинская область", 670, 0.9, "KZ-AKT-ND"),
        Region("KZ-ALM", "Almaty", "Алматинская область", 1_560, 0.9, "KZ-ALM-ND"),
        Region("KZ-ATY", "Atyrau", "Атырауская область", 450, 0.7, "KZ-ATY-ND"),
        Region("KZ-KAR", "Karaganda", "Карагандинская область", 1_340, 1.7, "KZ-KAR-ND"),
        Region("KZ-KUS", "Kostanay", "Костанайская область", 930, 1.3, "KZ-KUS-ND"),
        Region("KZ-KZY", "Kyzylorda", "Кызылординская область", 600, 0.6, "KZ-KZY-ND"),
        Region("KZ-MAN", "Mangystau", "Мангистауская область", 340, 0.7, "KZ-MAN-ND"),
        Region("KZ-PAV", "Pavlodar", "Павлодарская область", 750, 1.8, "KZ-PAV-ND"),
        Region("KZ-SEV", "North Kazakhstan", "Северо-Казахстанская область", 680, 1.2, "KZ-SEV-ND"),
        Region("KZ-VOS", "East Kazakhstan", "Восточно-Казахстанская обл.", 1_450, 1.5, "KZ-VOS-ND"),
        Region("KZ-YUZ", "South Kazakhstan", "Южно-Казахстанская область", 2_050, 0.6, "KZ-YUZ-ND"),
        Region("KZ-ZAP", "West Kazakhstan", "Западно-Казахстанская область", 600, 0.6, "KZ-ZAP-ND"),
        Region("KZ-ZHA", "Zhambyl", "Жамбылская область", 990, 0.8, "KZ-ZHA-ND"),
    ),
    ethnic_mix={"kazakh": 0.50, "russian": 0.38, "uzbek": 0.06, "kyrgyz": 0.02, "tajik": 0.04},
)  # fmt: skip

TJ = CountryProfile(
    code="TJ",
    name="Republic of Tajikistan",
    name_ru="Республика Таджикистан",
    population=6_131_000,
    registered_2003=8_813,
    users_2003=(45_000, 55_000),
    hiv_incidence_max=0.012,
    regions=(
        Region("TJ-DU", "Dushanbe", "г. Душанбе", 620, 2.5, "TJ-DU-ND"),
        Region("TJ-SU", "Sughd", "Согдийская область", 2_030, 1.0, "TJ-SU-ND"),
        Region("TJ-KT", "Khatlon", "Хатлонская область", 2_330, 0.8, "TJ-KT-ND"),
        Region("TJ-GB", "Gorno-Badakhshan", "ГБАО", 210, 1.5, "TJ-GB-ND"),
        Region("TJ-RA", "Districts of Republican Subordination", "РРП", 1_530, 0.6, "TJ-RA-ND"),
    ),
    ethnic_mix={"tajik": 0.78, "uzbek": 0.15, "russian": 0.05, "kyrgyz": 0.02},
)

UZ = CountryProfile(
    code="UZ",
    name="Republic of Uzbekistan",
    name_ru="Республика Узбекистан",
    population=24_813_109,
    registered_2003=21_360,
    users_2003=(65_000, 91_000),
    hiv_incidence_max=0.015,
    regions=(
        Region("UZ-TK", "Tashkent city", "г. Ташкент", 2_140, 2.5, "UZ-TK-ND"),
        Region("UZ-TO", "Tashkent", "Ташкентская область", 2_470, 1.3, "UZ-TO-ND"),
        Region("UZ-AN", "Andijan", "Андижанская область", 2_300, 0.7, "UZ-AN-ND"),
        Region("UZ-BU", "Bukhara", "Бухарская область", 1_470, 1.0, "UZ-BU-ND"),
        Region("UZ-FA", "Fergana", "Ферганская область", 2_800, 0.9, "UZ-FA-ND"),
        Region("UZ-JI", "Jizzakh", "Джизакская область", 1_040, 0.7, "UZ-JI-ND"),
        Region("UZ-NG", "Namangan", "Наманганская область", 2_000, 0.7, "UZ-NG-ND"),
        Region("UZ-NW", "Navoiy", "Навоийская область", 800, 0.7, "UZ-NW-ND"),
        Region("UZ-QA", "Kashkadarya", "Кашкадарьинская область", 2_350, 0.7, "UZ-QA-ND"),
        Region("UZ-QR", "Karakalpakstan", "Республика Каракалпакстан", 1_550, 0.7, "UZ-QR-ND"),
        Region("UZ-SA", "Samarkand", "Самаркандская область", 2_900, 1.0, "UZ-SA-ND"),
        Region("UZ-SI", "Sirdaryo", "Сырдарьинская область", 680, 0.7, "UZ-SI-ND"),
        Region("UZ-SU", "Surkhandarya", "Сурхандарьинская область", 1_850, 1.5, "UZ-SU-ND"),
        Region("UZ-XO", "Khorezm", "Хорезмская область", 1_400, 0.7, "UZ-XO-ND"),
    ),
    ethnic_mix={"uzbek": 0.78, "russian": 0.08, "tajik": 0.06, "kazakh": 0.05, "kyrgyz": 0.03},
)

PROFILES: dict[str, CountryProfile] = {p.code: p for p in (KG, KZ, TJ, UZ)}

#: Narcological centres named in the issue; the others get generic names per region.
CENTRE_NAMES = {
    "RNC": ("Republican Narcological Center (Bishkek)", "Республиканский центр наркологии"),
    "OSH": ("Osh Oblast Narcological Clinic", "Ошский областной центр наркологии"),
}


def centre_name(code: str, region: Region) -> tuple[str, str]:
    """English and Russian names of the narcological centre ``code`` serving ``region``."""
    if code in CENTRE_NAMES:
        return CENTRE_NAMES[code]
    return (
        f"{region.name} Narcological Dispensary",
        f"Наркологический диспансер ({region.name_ru})",
    )
