"""The environment that keeps every run offline: set before any model library is imported.

Model weights come from installed packages, never a hub; Chroma and Gradio send no
telemetry. Importing :mod:`assistant` applies it (``setdefault``: a caller may still
override a value), so the CLI, the chat, the evals, the benches and the tests all get it
from this one place.

Example:
    >>> import os, assistant
    >>> os.environ["HF_HUB_OFFLINE"]
    '1'
"""

from __future__ import annotations

import os

OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
}


def go_offline() -> None:
    """Sets the offline environment for this process and the processes it starts."""
    for name, value in OFFLINE_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
