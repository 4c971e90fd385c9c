"""Helpers shared by the page forms."""

from __future__ import annotations

from django import forms

from yiwang.core.errors import DomainError


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal next to the field it names (or at the top of the form)."""
    for error in exc.errors or []:
        name = error.field.split(".")[-1]
        shown = name in form.fields and not form.fields[name].widget.is_hidden
        form.add_error(name if shown else None, error.message)
    if not exc.errors:
        form.add_error(None, exc.message)
