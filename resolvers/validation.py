"""Field checks shared by the use cases; each failure names its input field."""

from __future__ import annotations

import re

from models.passwords import password_problem
from models.errors import DomainError, ValidationFailed, required_message, too_long_message, validation

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
                self.add(required_message(label), field)
            return None
        if len(value) > maximum:
            self.add(too_long_message(label, maximum), field)
        return value

    def required_text(self, value: str | None, field: str, label: str, maximum: int) -> str:
        """`text(..., required=True)` for a value read once the input passed (raise_if_any):
        missing, it is "" here, the problem recorded."""
        return self.text(value, field, label, maximum, required=True) or ""

    def email(self, value: str | None, field: str) -> str | None:
        value = self.text(value, field, "El correo electrónico", 200)
        if value and not EMAIL.match(value):
            self.add("El correo electrónico no es válido.", field)
        return value

    def new_password(self, password: str | None, username: str, field: str = "password") -> None:
        """The one password policy: createUser, updateUser, changePassword and create-admin."""
        if problem := password_problem(password, username):  # one message: the first thing to fix
            self.add(problem, field)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)
