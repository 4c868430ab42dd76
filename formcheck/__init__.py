"""formcheck: evidence about upper-body tension ("running tight") from a phone clip of a run.

In Python or Jupyter::

    import formcheck
    early = formcheck.analyze("early.mp4")          # writes early.formcheck/, shows a summary card
    comparison = formcheck.compare("early.mp4", "late.mp4")
"""

__all__ = ["analyze", "compare"]


def __getattr__(name: str):
    # Imported on first use: the command line starts without loading pandas, scipy and MediaPipe.
    if name == "analyze":
        from formcheck.api import analyze

        return analyze
    if name == "compare":
        from formcheck.api import compare

        return compare
    raise AttributeError(f"module 'formcheck' has no attribute {name!r}")
