"""A bad value is told in plain words (`detail`, a push's `reason`), not in pydantic's wording
of its checks; the problem's `errors` keep pydantic's own message for programs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator

from jiedan_cli.server.services.fields import UUID_PATTERN
from jiedan_cli.server.services.plain_errors import plain, where
from tests.server.conftest import Server


class Sample(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Annotated[str, Field(min_length=8)] = "long enough"
    name: Annotated[str, Field(min_length=1, max_length=5)] = "Ann"
    order_id: Annotated[str, Field(pattern=UUID_PATTERN)] = "01a25079-88e1-723c-a8c9-2a19719639c9"
    code: Annotated[str, Field(pattern=r"^[A-Z]{6}$")] = "ABCDEF"
    days: Annotated[StrictInt, Field(ge=1, le=90)] = 3
    tags: Annotated[list[str], Field(max_length=2)] = []
    color: str = "red"
    role: Literal["freelancer", "client"] = "client"

    @field_validator("color")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in {"red", "blue"}:
            raise ValueError("red or blue")
        return value


def first_error(**fields: Any) -> Any:
    with pytest.raises(ValidationError) as caught:
        Sample(**fields)
    return caught.value.errors()[0]


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"password": "short"}, "at least 8 characters"),
        ({"name": ""}, "cannot be empty"),
        ({"name": "Annabel"}, "at most 5 characters"),
        ({"order_id": "zzzzzzzz"}, "an id (a UUID) is needed"),
        ({"code": "abc"}, "not in the expected form"),
        ({"days": 0}, "must be at least 1"),
        ({"days": 91}, "must be at most 90"),
        ({"days": "3"}, "a whole number is needed"),
        ({"tags": ["a", "b", "c"]}, "at most 2 items"),
        ({"color": "green"}, "red or blue"),
        ({"surprise": 1}, "not a field of this request"),
        ({"role": "admin"}, "Input should be 'freelancer' or 'client'"),  # pydantic's own words
    ],
)
def test_each_kind_of_bad_value_in_plain_words(fields: dict[str, Any], said: str) -> None:
    assert plain(first_error(**fields)) == said


def test_the_field_is_named_by_its_dotted_path() -> None:
    class Outer(BaseModel):
        files: list[Sample]

    with pytest.raises(ValidationError) as caught:
        Outer(files=[{}, {"days": 0}])
    (error,) = caught.value.errors()
    assert where(error) == "files.1.days"
    assert where(error, skip=1) == "1.days"


def test_a_request_is_told_in_plain_words_and_programs_keep_pydantics(server: Server) -> None:
    body = {"email": "ann@example.com", "name": "Ann", "password": "short", "role": "both"}
    answer = server.client.post("/v1/auth/register", json=body)
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["detail"] == "password: at least 8 characters"
    (error,) = problem["errors"]
    assert error["loc"] == ["body", "password"] and "8 characters" in error["msg"]
