"""Validation of account forms; messages are gettext ids shown next to each field."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from servicielle.core.i18n import LOCALES, _

MIN_PASSWORD_LENGTH = 12
# The few passwords that satisfy the length rule yet top every leaked-password list.
COMMON_PASSWORDS = frozenset(
    {
        "motdepasse123",
        "azertyuiop12",
        "123456789012",
        "password1234",
        "qwertyuiop12",
        "azertyuiopqs",
        "motdepasse1234",
        "administrateur",
    }
)


def normalise_email(email: str) -> str:
    """The email as stored: trimmed, lower-case."""
    return email.strip().lower()


def email_error(email: str) -> str | None:
    """Why ``email`` is not a usable address, or None."""
    if not email.strip():
        return _("Enter your email address.")
    try:
        validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError:
        return _("Enter a valid email address, such as nom@exemple.fr.")
    return None


def password_error(password: str, *, email: str = "") -> str | None:
    """Why ``password`` is too weak (CNIL guidance: length first), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Use at least %(n)d characters.") % {"n": MIN_PASSWORD_LENGTH}
    if len(password) > 1024:
        return _("Use at most 1024 characters.")
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < 3 and len(password) < 16:
        return _(
            "Mix at least three of: lower case, upper case, digits, symbols "
            "(or use 16 characters or more)."
        )
    local_part = email.split("@", 1)[0].lower()
    if password.lower() in COMMON_PASSWORDS or (
        len(local_part) >= 4 and local_part in password.lower()
    ):
        return _("This password is too easy to guess.")
    return None


def display_name_error(name: str) -> str | None:
    """Why ``name`` cannot be shown, or None."""
    if not name.strip():
        return _("Enter the name other people will see.")
    if len(name.strip()) > 120:
        return _("Use at most 120 characters.")
    return None


def locale_error(locale: str) -> str | None:
    """Why ``locale`` is not offered, or None."""
    return None if locale in LOCALES else _("Choose one of the offered languages.")


def registration_errors(
    *, email: str, password: str, password_again: str, display_name: str
) -> dict[str, str]:
    """Errors of the registration form, by field."""
    errors = {
        "email": email_error(email),
        "display_name": display_name_error(display_name),
        "password": password_error(password, email=email),
    }
    if not errors["password"] and password != password_again:
        errors["password_again"] = _("The two passwords differ.")
    return {field: message for field, message in errors.items() if message}
