"""Field checks shared by the use cases; each failure names its input field."""

from __future__ import annotations

import re

from models.errors import DomainError, ValidationFailed, validation

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Checker:
    """Collects every problem of an input, so the user fixes them all in one go."""

    def __init__(self):
        self.errors: list[DomainError] = []

    def add(self, message: str, field: str) -> None:
        self.errors.append(validation(message, field))

    def text(self, value: str | None, field: str, label: str, maximum: int, required: bool = False) -> str | None:
        value = value.strip() if isinstance(value, str) else value
        if not value:
            if required:
                self.add(f"{label} es obligatorio.", field)
            return None
        if len(value) > maximum:
            self.add(f"{label} admite a lo más {maximum} caracteres.", field)
        return value

    def email(self, value: str | None, field: str) -> str | None:
        value = self.text(value, field, "El correo electrónico", 200)
        if value and not EMAIL.match(value):
            self.add("El correo electrónico no es válido.", field)
        return value

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)
