"""insource: decide and plan bringing contract-manufactured production in-house.

The Python API for notebooks::

    import insource
    case = insource.load_case("nissan-kei-ev")   # built-in name, folder or .xlsx
    case.products                                 # each table is a DataFrame
"""

from insource.case import Case, load_case, save_case
from insource.errors import InsourceError, Problem, ProblemsError

__all__ = ["Case", "InsourceError", "Problem", "ProblemsError", "load_case", "save_case"]
__version__ = "0.1.0"
