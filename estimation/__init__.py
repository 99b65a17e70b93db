"""Epidemiological estimation for hidden populations of people who use drugs.

A pure library (numpy, scipy, pandas, statsmodels, lifelines): it never imports Flask or
the registry, so epidemiologists can use it from a notebook or the command line
(``python -m estimation --help``).
"""

__version__ = "0.1.0"
