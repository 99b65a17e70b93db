"""A seeded simulator of a country's hidden population of people who use drugs.

It draws the population (:mod:`.population`), its contacts with each data source
(:mod:`.contacts`, :mod:`.ost`), the identifiers staff would type (:mod:`.names`,
:mod:`.identities`), and writes registry records through the forms' validation
(:mod:`.writer`), external lists as CSV files of client codes and the truth as JSON
(:mod:`.outputs`). See docs/simulation.md.
"""
