"""The types of the fields a request may send, shared by the REST bodies (`server/api`) and
the push intents (`intents.py`), so an operation sent either way is refused alike:

- `Line` / `Text`: text without control characters (domain/text.py); a `Text` may hold
  newlines and tabs, a `Line` (titles, names, tags) may not.
- `Whole` / `Number` / `Fen`: JSON numbers only — `true` is not 1 and `"15000"` is not 15000.

They live here, not in `server/api`, because services may not import the API layer."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StrictFloat, StrictInt
from pydantic_core import PydanticCustomError

from jiedan_cli.domain.money import MAX_AMOUNT_FEN
from jiedan_cli.domain.text import unsafe_character


def _checked(multiline: bool) -> AfterValidator:
    def check(value: str) -> str:
        unsafe = unsafe_character(value, multiline=multiline)
        if unsafe:
            raise PydanticCustomError("unsafe_text", unsafe)
        return value

    return AfterValidator(check)


Line = Annotated[str, _checked(multiline=False)]
Text = Annotated[str, _checked(multiline=True)]
Whole = StrictInt
Number = StrictFloat
Fen = Annotated[StrictInt, Field(ge=1, le=MAX_AMOUNT_FEN)]
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
