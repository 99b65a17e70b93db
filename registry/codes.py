"""Code lists: the vocabulary of the registry (EMCDDA TDI 3.0, WHO SMART OST, local kinds).

Codes are data: analytics and exports are keyed on them, so they never change meaning.
Labels are translatable (``lazy_gettext``) and only for display. ``99`` is "not known"
wherever TDI allows it. See ``../shared/DOMAIN.md`` §3-4 and docs/user-guide.md.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

NOT_KNOWN = "99"

#: Sex "not known" (TDI 3.0: male, female, not known). Sex is stored as one letter, as HL7 v2
#: administrative sex writes it (table 0001: M, F, U "unknown"); in the SLK-581 key of the
#: client code it is the digit 9, "not stated" (see registry.services.client_codes).
SEX_NOT_KNOWN = "U"

SEXES = {"M": _l("Male"), "F": _l("Female"), SEX_NOT_KNOWN: _l("Not known")}

AGE_GROUPS = (
    "<15", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44",
    "45-49", "50-54", "55-59", "60-64", "65+",
)  # fmt: skip

CENTRE_KINDS = {
    "narcological_dispensary": _l("Narcological dispensary"),
    "ost_site": _l("OST site"),
    "rehabilitation_centre": _l("Rehabilitation centre"),
    "prison_unit": _l("Prison health unit"),
    "low_threshold": _l("Low-threshold agency / NGO"),
    "other": _l("Other"),
}

TDI_CENTRE_TYPES = {
    "1": _l("Outpatient"),
    "2": _l("Inpatient"),
    "3": _l("Prison unit"),
    "4": _l("General practitioner"),
    "5": _l("Low-threshold agency"),
    "6": _l("Other"),
    NOT_KNOWN: _l("Not known"),
}

#: The programme of a dispensary registration ("учёт"): not a treatment, so not a TDI
#: treatment entry, but it keeps the person on the register while it is open.
REGISTRATION_PROGRAMME = "dispensary_observation"

PROGRAMMES = {
    "detoxification": _l("Detoxification"),
    "outpatient": _l("Outpatient treatment"),
    "inpatient_rehabilitation": _l("Inpatient rehabilitation"),
    "ost": _l("Opioid substitution treatment"),
    "dispensary_observation": _l("Dispensary observation (registration)"),
    "other": _l("Other"),
}

EVER_TREATED = {"1": _l("Never treated"), "2": _l("Previously treated"), "3": _l("Not known")}

REFERRAL_SOURCES = {
    "1": _l("Court, probation or police"),
    "2": _l("General practitioner"),
    "3": _l("Other drug treatment centre"),
    "4": _l("Other health, medical or social service"),
    "5": _l("Educational service"),
    "6": _l("Self, family or friends"),
    "7": _l("Other"),
    NOT_KNOWN: _l("Not known"),
}

LIVING_WITH = {
    "1": _l("Alone"),
    "2": _l("With family of origin"),
    "3": _l("With partner and/or children"),
    "4": _l("With friends or others"),
    "5": _l("In detention"),
    "6": _l("In an institution or shelter"),
    "7": _l("Other"),
    NOT_KNOWN: _l("Not known"),
}

LIVING_WITH_CHILDREN = {"1": _l("No"), "2": _l("Yes"), NOT_KNOWN: _l("Not known")}

LIVING_WHERE = {
    "1": _l("Stable accommodation"),
    "2": _l("Unstable accommodation or homeless"),
    "3": _l("In detention"),
    "4": _l("Other"),
    NOT_KNOWN: _l("Not known"),
}

EDUCATION = {
    "1": _l("None or incomplete primary"),
    "2": _l("Primary"),
    "3": _l("Secondary"),
    "4": _l("Higher"),
    NOT_KNOWN: _l("Not known"),
}

LABOUR_STATUS = {
    "1": _l("Occasionally employed"),
    "2": _l("Regularly employed"),
    "3": _l("Student"),
    "4": _l("Unemployed"),
    "5": _l("Benefits, pension, house-maker or disabled"),
    "6": _l("Other"),
    NOT_KNOWN: _l("Not known"),
}

PRIMARY_DRUGS = {
    "1.1": _l("Heroin"),
    "1.2": _l("Methadone (misused)"),
    "1.3": _l("Buprenorphine (misused)"),
    "1.4": _l("Fentanyls"),
    "1.5": _l("Other opioids (opium, tramadol)"),
    "2.1": _l("Cocaine powder"),
    "2.2": _l("Crack cocaine"),
    "2.3": _l("Other cocaine"),
    "3.1": _l("Amphetamines"),
    "3.2": _l("Methamphetamine"),
    "3.3": _l("MDMA"),
    "3.4": _l("Synthetic cathinones (ephedrone)"),
    "3.5": _l("Other stimulants"),
    "4.1": _l("Barbiturates"),
    "4.2": _l("Benzodiazepines"),
    "4.3": _l("GHB/GBL"),
    "4.4": _l("Other hypnotics and sedatives (pregabalin)"),
    "5.1": _l("LSD"),
    "5.2": _l("Ketamine"),
    "5.3": _l("Other hallucinogens"),
    "6": _l("Volatile inhalants"),
    "7.1": _l("Cannabis (herbal or resin)"),
    "7.2": _l("Synthetic cannabinoids"),
    "7.3": _l("Other cannabis"),
    "9": _l("Other substances"),
    NOT_KNOWN: _l("Not known"),
}

#: Secondary drugs use the primary list plus alcohol.
SECONDARY_DRUGS = {**PRIMARY_DRUGS, "8": _l("Alcohol")}


#: TDI top-level drug group of a detailed code ("1.1" -> "1").
def drug_group(code: str) -> str:
    """Return the TDI drug group ("1" opioids ... "9" other) of a detailed drug code."""
    return code.split(".", 1)[0]


ROUTES = {
    "1": _l("Inject"),
    "2": _l("Smoke or inhale"),
    "3": _l("Eat or drink"),
    "4": _l("Sniff"),
    "5": _l("Other"),
    NOT_KNOWN: _l("Not known"),
}

FREQUENCIES = {
    "1": _l("Daily"),
    "2": _l("4-6 days a week"),
    "3": _l("2-3 days a week"),
    "4": _l("Once a week or less"),
    "5": _l("Not used in the last 30 days"),
    NOT_KNOWN: _l("Not known"),
}

#: Injecting and needle/syringe sharing share one structure:
#: ``2`` is "ever", for when the time of the last injection (or sharing) is not known.
INJECTING = {
    "1": _l("Never"),
    "2": _l("Ever (when last not known)"),
    "2.1": _l("Ever, not in the last 12 months"),
    "2.2": _l("In the last 12 months, not in the last 30 days"),
    "2.3": _l("In the last 30 days"),
    "3": _l("Declined to answer"),
    NOT_KNOWN: _l("Not known"),
}
NEEDLE_SHARING = INJECTING
#: Who counts as a person who injects drugs for the HIV-among-PWID indicator (docs/tdi.md):
#: an admission with route :data:`INJECTING_ROUTE` (inject) or injecting in the last 12
#: months (:data:`RECENT_INJECTING`). "2" (ever, last time not known) is not recent.
INJECTING_ROUTE = "1"
RECENT_INJECTING = ("2.2", "2.3")

#: HIV and HCV testing: ``2`` is "ever tested", for when the time of the last test is not
#: known.
TESTING_HISTORY = {
    "1": _l("Never tested"),
    "2": _l("Ever tested (when last not known)"),
    "2.1": _l("Tested, not in the last 12 months"),
    "2.2": _l("Tested in the last 12 months"),
    "3": _l("Declined to answer"),
    NOT_KNOWN: _l("Not known"),
}

#: Polydrug use problem (TDI 3.0): problems with more than one substance.
POLYDRUG_USE = {"1": _l("Yes"), "2": _l("No"), NOT_KNOWN: _l("Not known")}

OST_HISTORY = {
    "1": _l("Never"),
    "2": _l("Ever, not currently"),
    "3": _l("Currently"),
    NOT_KNOWN: _l("Not known"),
}

DISCHARGE_REASONS = {
    "completed_drug_free": _l("Completed, drug-free"),
    "completed": _l("Completed"),
    "transferred": _l("Referred on or transferred"),
    "dropped_out": _l("Dropped out"),
    "withdrawn": _l("Treatment withdrawn (breach of rules)"),
    "imprisoned": _l("Imprisoned"),
    "moved_away": _l("Moved away"),
    "died": _l("Died"),
    "other": _l("Other"),
}

OST_MEDICATIONS = {"methadone": _l("Methadone"), "buprenorphine": _l("Buprenorphine")}

#: Minimum adequate maintenance dose in mg (WHO): methadone 60 mg, buprenorphine 8 mg.
ADEQUATE_DOSE_MG = {"methadone": 60, "buprenorphine": 8}

DOSE_KINDS = {
    "observed": _l("Observed"),
    "take_home": _l("Take-home"),
    "missed": _l("Missed"),
    "withheld": _l("Withheld"),
}

DOSE_PHASES = {
    "induction": _l("Induction"),
    "maintenance": _l("Maintenance"),
    "tapering": _l("Tapering"),
}

#: Why a prescribed dose was changed: a code, so that no name can be typed into it (the
#: optional note beside it is short and carries a warning).
DOSE_CHANGE_REASONS = {
    "induction": _l("Induction titration"),
    "withdrawal": _l("Withdrawal symptoms or craving"),
    "side_effects": _l("Side effects or over-sedation"),
    "patient_request": _l("Patient's request"),
    "missed_doses": _l("Missed doses (re-induction after a gap)"),
    "take_home": _l("Change of take-home dosing"),
    "interaction": _l("Interaction with other medicines (e.g. ART, TB treatment)"),
    "planned_tapering": _l("Planned tapering"),
    "clinical_review": _l("Scheduled clinical review"),
    "other": _l("Other"),
}

OST_EXIT_REASONS = {
    "completed": _l("Completed (tapered off)"),
    "transferred": _l("Transferred to another site"),
    "dropped_out": _l("Dropped out"),
    "interrupted": _l("Interrupted (gap over the protocol limit)"),
    "withdrawn": _l("Withdrawn (breach of rules)"),
    "imprisoned": _l("Imprisoned"),
    "moved_away": _l("Moved away"),
    "died": _l("Died"),
    "other": _l("Other"),
}

LAB_TESTS = {"HIV": _l("HIV"), "HCV": _l("Hepatitis C"), "TB": _l("Tuberculosis")}

LAB_RESULTS = {
    "positive": _l("Positive"),
    "negative": _l("Negative"),
    "indeterminate": _l("Indeterminate"),
}

ROLES = {
    "admin": _l("Administrator"),
    "clinic_staff": _l("Clinic staff"),
    "epidemiologist": _l("Epidemiologist"),
    "ministry": _l("Ministry"),
}


#: The kinds of record staff can correct or void (an amendment's ``entity``).
AMENDABLE_RECORDS = {
    "episode": _l("Admission"),
    "discharge": _l("Discharge"),
    "ost_enrolment": _l("OST enrolment"),
    "ost_exit": _l("OST exit"),
    "dosing_event": _l("Dose"),
    "dose_change": _l("Dose change"),
    "lab_test": _l("Test result"),
}

#: Why a record was corrected (a code, so the reason itself can hold no name).
CORRECTION_REASONS = {
    "typing_error": _l("Typing error"),
    "wrong_option": _l("Wrong option chosen"),
    "new_information": _l("Information received later"),
    "lab_correction": _l("Corrected by the laboratory"),
    "other": _l("Other"),
}

#: Why a record was voided (entered in error).
VOID_REASONS = {
    "wrong_client": _l("Entered for the wrong client"),
    "duplicate": _l("Entered twice"),
    "did_not_happen": _l("The event did not take place"),
    "test_entry": _l("Test or training entry"),
    "other": _l("Other"),
}


def age_group(age: int) -> str:
    """Return the TDI five-year age group of an age in whole years."""
    if age < 15:
        return "<15"
    if age >= 65:
        return "65+"
    low = age - age % 5
    return f"{low}-{low + 4}"
