"""Linear algebra on the Swift core: thick-restart Lanczos with deflation (:func:`eigsh`)."""
from ._lanczos import EigshResult, eigsh

__all__ = ["EigshResult", "eigsh"]
