"""Deprecated: ``python -m hitl_agent.service`` is ``python -m hitl_agent serve`` (or
``hitl-agent serve``); this entry goes in the next release.

It hands over to the package's entry by module name, not by import: the service does not import
the command line that drives it.
"""

import runpy
import sys
import warnings

if __name__ == "__main__":
    warnings.warn("python -m hitl_agent.service is deprecated: use `hitl-agent serve` or "
                  "`python -m hitl_agent serve`", DeprecationWarning, stacklevel=1)
    sys.argv[1:1] = ["serve"]
    runpy.run_module("hitl_agent", run_name="__main__", alter_sys=True)
