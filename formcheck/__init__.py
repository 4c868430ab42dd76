"""formcheck: evidence about upper-body tension ("running tight") from a phone clip of a run.

Importing formcheck loads no model and touches no file; heavy libraries load when used.
"""
