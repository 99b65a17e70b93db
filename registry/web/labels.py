"""Labels and hints of every form field, in one place (templates and error summaries)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS = {
    # client identifiers (never stored)
    "family_name": _l("Family name"),
    "given_name": _l("Given name"),
    "birth_date": _l("Date of birth"),
    "sex": _l("Sex"),
    "region_code": _l("Region of residence"),
    "near_match": _l("Existing client or new person"),
    # admission (TDI 3.0)
    "programme": _l("Programme"),
    "admission_date": _l("Date of admission"),
    "age_at_admission": _l("Age at admission"),
    "ever_treated": _l("Ever treated for drug use before"),
    "referral_source": _l("Source of referral"),
    "living_with": _l("Living with"),
    "living_with_children": _l("Living with children"),
    "living_where": _l("Accommodation"),
    "education": _l("Highest education completed"),
    "labour_status": _l("Labour status"),
    "primary_drug": _l("Primary drug"),
    "route": _l("Usual route of the primary drug"),
    "frequency": _l("Frequency of use (last 30 days)"),
    "age_first_use": _l("Age at first use of the primary drug"),
    "secondary_drugs": _l("Other drugs used (secondary)"),
    "polydrug_use": _l("Polydrug use problem"),
    "injecting": _l("Injecting"),
    "age_first_injection": _l("Age at first injection"),
    "needle_sharing": _l("Needle or syringe sharing"),
    "hiv_testing": _l("HIV testing"),
    "hcv_testing": _l("Hepatitis C testing"),
    "ost_history": _l("Opioid substitution treatment before"),
    "ost_first_year": _l("Year of first OST"),
    # discharge
    "discharge_date": _l("Date of discharge"),
    "discharge_reason": _l("Reason for discharge"),
    # OST
    "medication": _l("Medication"),
    "enrolment_date": _l("Date of enrolment"),
    "induction_dose_mg": _l("Induction dose, mg"),
    "first_maintenance_date": _l("First maintenance dose on"),
    "episode_id": _l("Treatment episode"),
    "dose_date": _l("Date of the dose"),
    "dose_mg": _l("Dose, mg"),
    "kind": _l("Dose given as"),
    "take_home_days": _l("Take-home days"),
    "reinduction_reason": _l("Re-induction: reason"),
    "effective_date": _l("Effective from"),
    "phase": _l("Phase"),
    "reason": _l("Reason for the change"),
    "note": _l("Note"),
    "exit_date": _l("Date of exit"),
    "exit_reason": _l("Reason for exit"),
    # laboratory
    "test": _l("Test"),
    "sample_date": _l("Date of the sample"),
    "result": _l("Result"),
    # corrections and voids
    "amendment_reason": _l("Reason"),
    "amendment_note": _l("Note on the reason"),
    # client list filters
    "code": _l("Client code begins with"),
    "hiv": _l("HIV status"),
    "admitted_from": _l("Admitted from"),
    "admitted_to": _l("Admitted until"),
    "page": _l("Page"),
}

HINTS = {
    "family_name": _l("As in the passport, in Cyrillic or Latin letters."),
    "birth_date": _l("Used only to compute the client code; only the year is kept."),
    "age_first_use": _l("In whole years."),
    "age_first_injection": _l("Leave empty if the client never injected."),
    "ost_first_year": _l("Leave empty if the client was never on OST."),
    "take_home_days": _l("For take-home doses: how many days the dose covers."),
    "dose_mg": _l("At least 0.5 mg, with at most one decimal (for example 62.5)."),
    "induction_dose_mg": _l("At least 0.5 mg, with at most one decimal (for example 62.5)."),
    "secondary_drugs": _l("Tick every other drug used in the last 30 days, alcohol included."),
    "polydrug_use": _l("Does the client have problems with more than one substance?"),
}

#: The identifying fields: used once to compute the client code, never shown again.
IDENTIFIER_FIELDS = frozenset({"family_name", "given_name", "birth_date"})

#: The recorded admission in the order of the form: (episode column, its code list, or
#: ``None`` for a number); the client page and the printout list every item with it.
ADMISSION_ITEMS = (
    ("programme", "PROGRAMMES"),
    ("ever_treated", "EVER_TREATED"),
    ("referral_source", "REFERRAL_SOURCES"),
    ("living_with", "LIVING_WITH"),
    ("living_with_children", "LIVING_WITH_CHILDREN"),
    ("living_where", "LIVING_WHERE"),
    ("education", "EDUCATION"),
    ("labour_status", "LABOUR_STATUS"),
    ("primary_drug", "PRIMARY_DRUGS"),
    ("route", "ROUTES"),
    ("frequency", "FREQUENCIES"),
    ("age_first_use", None),
    ("secondary_drugs", "SECONDARY_DRUGS"),
    ("polydrug_use", "POLYDRUG_USE"),
    ("injecting", "INJECTING"),
    ("age_first_injection", None),
    ("needle_sharing", "NEEDLE_SHARING"),
    ("hiv_testing", "TESTING_HISTORY"),
    ("hcv_testing", "TESTING_HISTORY"),
    ("ost_history", "OST_HISTORY"),
    ("ost_first_year", None),
)
