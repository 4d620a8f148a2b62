"""Imports every module that defines models, so ``Base.metadata`` is complete.

Alembic's env.py and the test fixtures import this one module; a new models module adds
itself here.
"""

from __future__ import annotations

from extension.store import (
    invoice_models,
    link_models,
    models,
    quickbooks_models,
    settings_models,
)

__all__ = ["models", "quickbooks_models", "settings_models", "link_models", "invoice_models"]
