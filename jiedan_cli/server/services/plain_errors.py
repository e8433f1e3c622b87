"""What a bad value is told, in words a person typing it reads: "at least 8 characters", "an
id (a UUID) is needed" — not pydantic's wording of its own checks ("String should have at
least 8 characters", "String should match pattern '^[0-9a-fA-F]{8}-…$'"), which reached
`jiedan auth register` and `sync status` as it was. A 422's `detail` and a pushed
operation's `reason` say this; the 422's `errors` list keeps pydantic's own messages, for
programs that read them."""

from __future__ import annotations

from typing import Any

from pydantic_core import ErrorDetails

from jiedan_cli.server.services.fields import UUID_PATTERN

# By pydantic's error type; {name} is filled from the error's context.
_PHRASES = {
    "missing": "required",
    "extra_forbidden": "not a field of this request",
    "string_too_long": "at most {max_length} characters",
    "too_short": "at least {min_length} items",
    "too_long": "at most {max_length} items",
    "greater_than": "must be more than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
    "int_parsing": "a whole number is needed",
    "int_type": "a whole number is needed",
    "int_from_float": "a whole number is needed",
    "float_parsing": "a number is needed",
    "float_type": "a number is needed",
    "bool_parsing": "true or false is needed",
    "bool_type": "true or false is needed",
    "string_type": "text is needed",
    "dict_type": "an object is needed",
    "list_type": "a list is needed",
    "model_type": "an object is needed",
    "model_attributes_type": "an object is needed",
}
# Custom validators' messages (ValueError, assert) come prefixed by pydantic.
_PREFIXES = ("Value error, ", "Assertion failed, ")


def plain(error: ErrorDetails) -> str:
    """What is wrong with the value, without naming its field (`where` does)."""
    kind = error["type"]
    context: dict[str, Any] = dict(error.get("ctx") or {})
    if kind == "string_too_short":
        least = context.get("min_length", 1)
        return "cannot be empty" if least == 1 else f"at least {least} characters"
    if kind == "string_pattern_mismatch":
        if context.get("pattern") == UUID_PATTERN:
            return "an id (a UUID) is needed"
        return "not in the expected form"
    phrase = _PHRASES.get(kind)
    if phrase is not None:
        try:
            return phrase.format(**context)
        except (KeyError, IndexError):
            pass
    message = str(error.get("msg", "")) or "invalid"
    for prefix in _PREFIXES:
        message = message.removeprefix(prefix)
    return message


def where(error: ErrorDetails, *, skip: int = 0) -> str:
    """The field as a dotted path (`files.0.size`), leaving out the first `skip` parts (a
    request's "body")."""
    return ".".join(str(part) for part in error.get("loc", ())[skip:])
