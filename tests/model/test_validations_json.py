"""Validations declared in the model JSON's ``validations`` array and from Python: LoopBack 3's
codes and messages (recorded from the real app, where the same rules were declared in code)."""

from __future__ import annotations

import re
import textwrap

import pytest
from conftest import write_app
from starlette.testclient import TestClient

from lbpy import BootError, create_app

VAL = {
    "properties": {
        "title": {"type": "string", "required": True},
        "code": "string",
        "size": "string",
        "age": "number",
        "email": "string",
        "tenant": "string",
        "secret": "string",
    },
    "validations": [
        {"type": "length", "property": "title", "min": 3, "max": 10},
        {"type": "format", "property": "code", "with": "^[A-Z]+$", "allowNull": True},
        {"type": "inclusion", "property": "size", "in": ["S", "M"], "allowBlank": True},
        {"type": "exclusion", "property": "title", "in": ["admin"]},
        {"type": "numericality", "property": "age", "int": True, "allowBlank": True},
        {"type": "uniqueness", "property": "email", "scopedTo": ["tenant"]},
        {"type": "absence", "property": "secret"},
        {"type": "presence", "property": "code", "if": "size"},
    ],
}


@pytest.fixture
def api(make_client):
    return make_client({"Val": VAL})


def details(response):
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["name"] == "ValidationError"
    return error["details"]["codes"], error["details"]["messages"], error["message"]


def test_every_rule_fails_with_loopbacks_code_and_message(api):
    codes, messages, message = details(
        api.post("/api/Vals", json={"title": "admin", "code": "abc", "size": "XL", "age": 1.5, "secret": "s"})
    )
    assert codes == {
        "title": ["exclusion"],
        "code": ["format"],
        "size": ["inclusion"],
        "age": ["numericality.int"],
        "secret": ["absence"],
    }
    assert messages == {
        "title": ["is reserved"],
        "code": ["is invalid"],
        "size": ["is not included in the list"],
        "age": ["is not an integer"],
        "secret": ["can't be set"],
    }
    assert message == (
        'The `Val` instance is not valid. Details: `title` is reserved (value: "admin"); `code` is invalid '
        '(value: "abc"); `size` is not included in the list (value: "XL"); `age` is not an integer '
        '(value: 1.5); `secret` can\'t be set (value: "s").'
    )


def test_a_missing_value_is_blank_for_every_rule(api):
    """As in LoopBack: required gives presence, the other rules on a missing value give .blank."""
    codes, messages, _ = details(api.post("/api/Vals", json={}))
    assert codes == {"title": ["presence", "length.blank", "exclusion.blank"], "code": ["format.blank"]}
    assert messages == {"title": ["can't be blank", "is blank", "is blank"], "code": ["is blank"]}


def test_a_null_value_is_null_for_every_rule(api):
    codes, messages, _ = details(api.post("/api/Vals", json={"title": None, "code": "A"}))
    assert codes == {"title": ["presence", "length.null", "exclusion.null"]}
    assert messages["title"] == ["can't be blank", "is null", "is null"]


def test_length_min_and_max(api):
    codes, messages, _ = details(api.post("/api/Vals", json={"title": "ab", "code": "A"}))
    assert (codes, messages) == ({"title": ["length.min"]}, {"title": ["too short"]})
    codes, messages, _ = details(api.post("/api/Vals", json={"title": "abcdefghijklmn", "code": "A"}))
    assert (codes, messages) == ({"title": ["length.max"]}, {"title": ["too long"]})


def test_allow_null_and_allow_blank(api):
    created = api.post("/api/Vals", json={"title": "good", "code": None, "size": ""})
    assert created.status_code == 200, created.text


def test_if_validates_only_when_the_named_property_is_set(api):
    codes, _, _ = details(api.post("/api/Vals", json={"title": "good", "size": "S", "code": None}))
    assert codes == {"code": ["presence"]}


def test_uniqueness_asks_the_datasource(api):
    first = api.post("/api/Vals", json={"title": "good", "code": "A", "email": "a@x", "tenant": "t1"})
    assert first.status_code == 200
    codes, messages, _ = details(
        api.post("/api/Vals", json={"title": "good", "code": "A", "email": "a@x", "tenant": "t1"})
    )
    assert (codes, messages) == ({"email": ["uniqueness"]}, {"email": ["is not unique"]})
    # scopedTo: another tenant may use the same email
    other = api.post("/api/Vals", json={"title": "good", "code": "A", "email": "a@x", "tenant": "t2"})
    assert other.status_code == 200
    # an update of the record itself is no clash; moving another record onto it is
    assert api.patch(f"/api/Vals/{first.json()['id']}", json={"email": "a@x", "title": "abcd"}).status_code == 200
    codes, _, _ = details(api.patch(f"/api/Vals/{other.json()['id']}", json={"tenant": "t1", "email": "a@x"}))
    assert codes == {"email": ["uniqueness"]}
    codes, _, _ = details(
        api.put(f"/api/Vals/{other.json()['id']}", json={"title": "good", "code": "A", "email": "a@x", "tenant": "t1"})
    )
    assert codes == {"email": ["uniqueness"]}


def test_a_batch_with_a_duplicate_creates_nothing(api):
    api.post("/api/Vals", json={"title": "good", "code": "A", "email": "old@x"})
    answer = api.post(
        "/api/Vals",
        json=[
            {"title": "good", "code": "A", "email": "new@x"},
            {"title": "good", "code": "A", "email": "new@x"},
            {"title": "good", "code": "A", "email": "old@x"},
        ],
    )
    assert answer.status_code == 422
    items = answer.json()["error"]["details"]
    assert items[0] is None
    assert items[1]["details"]["codes"] == {"email": ["uniqueness"]}
    assert items[2]["details"]["codes"] == {"email": ["uniqueness"]}
    assert api.get("/api/Vals/count").json() == {"count": 1}


def test_a_partial_update_checks_what_it_changes(api):
    note = api.post("/api/Vals", json={"title": "good", "code": "A"}).json()
    assert api.patch(f"/api/Vals/{note['id']}", json={"age": 3}).status_code == 200
    codes, _, _ = details(api.patch(f"/api/Vals/{note['id']}", json={"title": "x"}))
    assert codes == {"title": ["length.min"]}


def test_custom_messages_and_codes(make_client):
    api = make_client(
        {
            "Thing": {
                "properties": {"name": "string", "pin": "string"},
                "validations": [
                    {"type": "length", "property": "pin", "is": 4, "message": {"is": "must have 4 digits"}},
                    {
                        "type": "format",
                        "property": "name",
                        "with": "/^[a-z]+$/i",
                        "message": "letters only",
                        "allowBlank": True,
                    },
                ],
            }
        }
    )
    codes, messages, _ = details(api.post("/api/Things", json={"pin": "12", "name": "a1"}))
    assert codes == {"pin": ["length.is"], "name": ["format"]}
    assert messages == {"pin": ["must have 4 digits"], "name": ["letters only"]}
    assert api.post("/api/Things", json={"pin": "1234", "name": "ABC"}).status_code == 200  # /i


def test_type_can_be_loopbacks_method_name(make_client):
    api = make_client(
        {
            "Thing": {
                "properties": {"name": "string"},
                "validations": [{"type": "validatesPresenceOf", "property": ["name"]}],
            }
        }
    )
    codes, _, _ = details(api.post("/api/Things", json={}))
    assert codes == {"name": ["presence"]}


def test_validations_are_inherited_with_the_definition(make_client):
    api = make_client(
        {
            "Base": {
                "properties": {"name": "string"},
                "validations": [{"type": "length", "property": "name", "max": 3}],
            },
            "Child": {
                "base": "Base",
                "properties": {"age": "number"},
                "validations": [{"type": "numericality", "property": "age", "int": True}],
            },
        }
    )
    codes, _, _ = details(api.post("/api/Children", json={"name": "abcd", "age": 1.5}))
    assert codes == {"name": ["length.max"], "age": ["numericality.int"]}


# -- from Python ---------------------------------------------------------------------------------------

PYTHON = """
def customize(Member):
    Member.validates_presence_of("name", "email")
    Member.validates_length_of("name", min=2, max=20, message={"min": "is too short"})
    Member.validates_format_of("email", with_=r"^[^@]+@[^@]+$", allow_blank=True)
    Member.validates_inclusion_of("role", in_=["admin", "user"], allow_null=True, allow_blank=True)
    Member.validates_exclusion_of("name", in_=["root"])
    Member.validates_numericality_of("age", int=True, allow_blank=True)
    Member.validates_uniqueness_of("email", ignore_case=True)
    Member.validates_absence_of("password", unless="invited")
"""


@pytest.fixture
def members(tmp_path):
    root = write_app(
        tmp_path / "app",
        {
            "Member": {
                "properties": {
                    "name": "string",
                    "email": "string",
                    "role": "string",
                    "age": "number",
                    "password": "string",
                    "invited": "boolean",
                }
            }
        },
    )
    (root / "common" / "models" / "member.py").write_text(PYTHON)
    with TestClient(create_app(root), raise_server_exceptions=False) as client:
        yield client


def test_the_python_api_declares_the_same_rules(members):
    codes, messages, _ = details(
        members.post("/api/Members", json={"name": "r", "email": "no-at", "role": "boss", "age": 2.5, "password": "x"})
    )
    assert codes == {
        "name": ["length.min"],
        "email": ["format"],
        "role": ["inclusion"],
        "age": ["numericality.int"],
        "password": ["absence"],
    }
    assert messages["name"] == ["is too short"]
    codes, _, _ = details(members.post("/api/Members", json={"name": "root"}))
    assert codes == {"email": ["presence"], "name": ["exclusion"]}


def test_python_uniqueness_ignoring_case_and_unless(members):
    ok = members.post("/api/Members", json={"name": "ann", "email": "Ann@x.org", "password": "s", "invited": True})
    assert ok.status_code == 200, ok.text
    codes, _, _ = details(members.post("/api/Members", json={"name": "bob", "email": "ann@X.org"}))
    assert codes == {"email": ["uniqueness"]}


def test_python_validations_refuse_bad_declarations(tmp_path):
    root = write_app(tmp_path / "app", {"Member": {"strict": True, "properties": {"name": "string"}}})
    (root / "common" / "models" / "member.py").write_text(
        "def customize(Member):\n    Member.validates_length_of('name', size=3)\n"
    )
    with pytest.raises(
        BootError,
        match=r"common/models/member.py:2: customize\(Member\) failed: ValueError: "
        r'length validation of "name" has an unknown option "size"',
    ):
        create_app(root)


# -- mistakes in the JSON are boot errors --------------------------------------------------------------


@pytest.mark.parametrize(
    "rule, message",
    [
        ({"type": "lenght", "property": "name"}, 'unknown validation "lenght"'),
        ({"property": "name"}, 'needs a "type"'),
        ({"type": "presence"}, 'needs a "property"'),
        ({"type": "presence", "property": "nmae"}, '"nmae" is not a property of Thing (properties: name, id)'),
        ({"type": "length", "property": "name"}, 'needs "min", "max" or "is"'),
        ({"type": "length", "property": "name", "min": "3"}, '"min" must be a whole number'),
        ({"type": "format", "property": "name", "with": "(["}, '"with" is not a valid regular expression'),
        ({"type": "inclusion", "property": "name", "in": "abc"}, 'needs "in": a list of values'),
        ({"type": "presence", "property": "name", "max": 3}, 'has an unknown option "max"'),
        ("presence", "must be an object"),
    ],
)
def test_a_bad_validation_is_a_one_line_boot_error(tmp_path, rule, message):
    root = write_app(tmp_path / "app", {"Thing": {"properties": {"name": "string"}, "validations": [rule]}})
    with pytest.raises(BootError) as caught:
        create_app(root)
    text = str(caught.value)
    assert text.startswith("common/models/thing.json: validations[0]")
    assert message in text and "\n" not in text


def test_the_validations_module_documents_the_json_shape():
    from lbpy._model import _validations

    documented = re.findall(r'\{"type": "(\w+)"', _validations.__doc__)
    assert set(documented) == set(_validations.KINDS)


def test_an_empty_validations_array_changes_nothing(make_client):
    """What `lbpy model` and LoopBack's generator write."""
    api = make_client({"Note": {"properties": {"title": "string"}, "validations": []}})
    assert api.post("/api/Notes", json={}).status_code == 200


def test_a_validation_in_a_generated_customisation_reads_like_loopbacks(tmp_path):
    root = write_app(tmp_path / "app", {"Note": {"properties": {"title": "string"}}})
    (root / "common" / "models" / "note.py").write_text(
        textwrap.dedent("""
        def customize(Note):
            Note.validates_length_of("title", max=5)
    """)
    )
    with TestClient(create_app(root), raise_server_exceptions=False) as api:
        assert api.post("/api/Notes", json={"title": "too long"}).status_code == 422
        assert api.post("/api/Notes", json={"title": "short"}).status_code == 200
