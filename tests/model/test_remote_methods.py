"""Remote methods: declared in the model JSON's ``methods`` or from Python, served with LoopBack
3.28's argument handling, return shapes and errors, and documented in the API documents."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from conftest import write_app
from starlette.testclient import TestClient

from lbpy import BootError, Model, create_app
from lbpy._rest._openapi import openapi_document, swagger_document

NOTE = {"properties": {"title": {"type": "string", "required": True}, "vip": "boolean"}}


def app_with(tmp_path: Path, code: str, models: dict | None = None, **options) -> Path:
    """An app whose Note model has ``code`` as common/models/note.py."""
    root = write_app(tmp_path / "app", models or {"Note": NOTE}, **options)
    (root / "common" / "models" / "note.py").write_text(textwrap.dedent(code))
    return root


def client_for(root: Path) -> TestClient:
    return TestClient(create_app(root), raise_server_exceptions=False)


# -- declared in the model JSON, bound to Python ---------------------------------------------------

GREET = {
    "accepts": [
        {"arg": "msg", "type": "string", "required": True, "http": {"source": "query"}},
        {"arg": "n", "type": "number"},
    ],
    "returns": {"arg": "greeting", "type": "string"},
    "http": {"verb": "get"},
}


def test_a_json_method_calls_the_function_customize_sets_on_the_model(tmp_path):
    root = app_with(
        tmp_path,
        """
        def customize(Note):
            async def greet(msg, n=None):
                return f"hi {msg} {n!r}"
            Note.greet = greet
    """,
        {"Note": {**NOTE, "methods": {"greet": GREET}}},
    )
    with client_for(root) as api:
        answer = api.get("/api/Notes/greet", params={"msg": "you", "n": "3"})
        assert answer.status_code == 200
        assert answer.json() == {"greeting": "hi you 3"}  # n arrived as a number


def test_a_json_method_uses_a_module_function_of_its_name(tmp_path):
    """Without customize(), a top-level function is bound: static ones receive the model class,
    instance ones the instance; a camelCase JSON name finds its snake_case function."""
    methods = {
        "countVips": {"returns": {"arg": "count", "type": "number"}, "http": {"verb": "get", "path": "/vips"}},
        "prototype.shout": {"returns": {"arg": "shouted", "type": "string"}, "http": {"verb": "get"}},
    }
    root = app_with(
        tmp_path,
        """
        async def count_vips(Note):
            return await Note.count({"vip": True})

        def shout(note):
            return note.title.upper() + "!"
    """,
        {"Note": {**NOTE, "methods": methods}},
    )
    with client_for(root) as api:
        api.post("/api/Notes", json=[{"title": "a", "vip": True}, {"title": "b", "vip": False}])
        assert api.get("/api/Notes/vips").json() == {"count": 1}
        assert api.get("/api/Notes/2/shout").json() == {"shouted": "B!"}


def test_a_json_method_without_a_function_is_a_boot_error_naming_the_file(tmp_path):
    root = write_app(tmp_path / "app", {"Note": {**NOTE, "methods": {"greet": GREET}}})
    with pytest.raises(BootError) as caught:
        create_app(root)
    message = str(caught.value)
    assert message.startswith("common/models/note.json: methods.greet has no Python function")
    assert "common/models/note.py" in message and "\n" not in message


def test_a_json_method_with_bad_metadata_is_a_boot_error(tmp_path):
    root = app_with(
        tmp_path,
        "def customize(Note):\n    Note.greet = lambda: 1\n",
        {"Note": {**NOTE, "methods": {"greet": {"http": {"verb": "fetch"}}}}},
    )
    with pytest.raises(BootError, match=r'methods.greet: "http.verb" "fetch" is not an HTTP verb'):
        create_app(root)


def test_an_empty_methods_array_boots_as_older_loopback_generators_wrote_it(tmp_path):
    root = write_app(tmp_path / "app", {"Note": {**NOTE, "methods": []}})
    with client_for(root) as client:
        assert client.get("/api/Notes").json() == []


def test_a_methods_array_with_entries_is_a_boot_error_naming_the_fix(tmp_path):
    root = write_app(tmp_path / "app", {"Note": {**NOTE, "methods": [{"http": {"verb": "get"}}]}})
    with pytest.raises(BootError, match=r"methods: .*must be an object of method name -> definition"):
        create_app(root)


def test_a_remote_method_cannot_replace_a_model_method(tmp_path):
    root = app_with(
        tmp_path, "def customize(Note):\n    pass\n", {"Note": {**NOTE, "methods": {"find": {"http": {"verb": "get"}}}}}
    )
    with pytest.raises(BootError, match=r'methods\.find: a remote method named "find" would replace'):
        create_app(root)


# -- declared from Python ------------------------------------------------------------------------------

METHODS = """
    from lbpy import ConflictError

    def customize(Note):
        @Note.remote_method("greet", accepts=[{"arg": "msg", "type": "string", "required": True},
                                              {"arg": "n", "type": "number"}],
                            returns={"arg": "greeting", "type": "string"}, http={"verb": "get"})
        async def greet(msg, n=None):
            return f"hi {msg} {n} {type(n).__name__}"

        @Note.remote_method("rooted", returns={"arg": "x", "type": "object", "root": True},
                            http={"verb": "get", "status": 201})
        def rooted():
            return {"a": 1}

        @Note.remote_method("multi", returns=[{"arg": "one", "type": "number"}, {"arg": "two", "type": "string"}],
                            http={"verb": "get"})
        async def multi():
            return 1, "two"

        @Note.remote_method("named", returns=[{"arg": "one", "type": "number"}, {"arg": "two", "type": "string"}],
                            http={"verb": "get"})
        async def named():
            return {"two": "2", "one": 1}

        @Note.remote_method("nothing")
        async def nothing():
            return None

        @Note.remote_method("boom", http={"verb": "get"})
        async def boom():
            raise ConflictError("nope", code="TAKEN")

        @Note.remote_method("crash", http={"verb": "get"})
        async def crash():
            raise RuntimeError("crash detail")

        @Note.remote_method("withbody", accepts=[{"arg": "data", "type": "object", "http": {"source": "body"}},
                                                 {"arg": "flag", "type": "boolean"}, {"arg": "d", "type": "date"}],
                            returns={"arg": "r", "type": "object", "root": True})
        async def withbody(data=None, flag=None, d=None):
            return {"data": data, "flag": flag, "d": d}

        @Note.remote_method("arr", accepts={"arg": "ids", "type": ["number"]},
                            returns={"arg": "ids", "type": ["number"]}, http={"verb": "get"})
        async def arr(ids=None):
            return ids

        @Note.remote_method("prototype.shout", accepts={"arg": "times", "type": "number"},
                            returns={"arg": "shouted", "type": "string"}, http={"verb": "get", "path": "/shout"})
        def shout(self, times=None):
            return self.title.upper() + "!" * int(times or 1)

        @Note.remote_method("who", accepts={"arg": "req", "type": "object", "http": {"source": "req"}},
                            returns={"arg": "agent", "type": "string"}, http={"verb": "get"})
        async def who(req):
            return req.headers.get("x-agent")
"""


@pytest.fixture
def api(tmp_path):
    with client_for(app_with(tmp_path, METHODS)) as client:
        client.post("/api/Notes", json={"title": "a", "vip": True})
        yield client


def test_arguments_are_read_and_coerced_like_loopback(api):
    assert api.get("/api/Notes/greet?msg=hi&n=3").json() == {"greeting": "hi hi 3 int"}


def test_a_missing_required_argument_is_loopbacks_400(api):
    for url in ("/api/Notes/greet?n=3", "/api/Notes/greet?msg=&n=1"):
        answer = api.get(url)
        assert answer.status_code == 400
        assert answer.json() == {"error": {"statusCode": 400, "name": "Error", "message": "msg is a required argument"}}


def test_an_argument_of_the_wrong_type_is_a_400_naming_it(api):
    answer = api.get("/api/Notes/greet?msg=hi&n=abc")
    assert answer.status_code == 400
    assert "`n`" in answer.json()["error"]["message"]
    answer = api.post("/api/Notes/withbody?d=notadate")
    assert answer.status_code == 400 and "`d`" in answer.json()["error"]["message"]


def test_return_shapes_root_single_and_several(api):
    rooted = api.get("/api/Notes/rooted")
    assert (rooted.status_code, rooted.json()) == (201, {"a": 1})  # http.status
    assert api.get("/api/Notes/multi").json() == {"one": 1, "two": "two"}
    assert api.get("/api/Notes/named").json() == {"one": 1, "two": "2"}


def test_a_method_without_returns_answers_204(api):
    answer = api.post("/api/Notes/nothing")
    assert (answer.status_code, answer.content) == (204, b"")


def test_errors_keep_their_status_and_others_are_500(api, caplog):
    boom = api.get("/api/Notes/boom")
    assert boom.status_code == 409
    assert boom.json() == {"error": {"statusCode": 409, "name": "Error", "message": "nope", "code": "TAKEN"}}
    crash = api.get("/api/Notes/crash")
    assert crash.status_code == 500
    assert crash.json() == {"error": {"statusCode": 500, "message": "Internal Server Error"}}
    assert "crash detail" in caplog.text  # the detail goes to the log, not to the client


def test_body_boolean_and_date_arguments(api):
    answer = api.post("/api/Notes/withbody?flag=true&d=2020-01-01", json={"x": 1})
    assert answer.json() == {"data": {"x": 1}, "flag": True, "d": "2020-01-01T00:00:00.000Z"}


def test_array_arguments_from_repeated_values_or_json(api):
    assert api.get("/api/Notes/arr?ids=1&ids=2").json() == {"ids": [1, 2]}
    assert api.get("/api/Notes/arr", params={"ids": "[1,2]"}).json() == {"ids": [1, 2]}
    assert api.get("/api/Notes/arr?ids=x").status_code == 400


def test_instance_methods_find_their_instance_by_id(api):
    assert api.get("/api/Notes/1/shout?times=2").json() == {"shouted": "A!!"}
    missing = api.get("/api/Notes/99/shout")
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "could not find a model with id 99"


def test_a_request_argument_receives_the_request(api):
    assert api.get("/api/Notes/who", headers={"x-agent": "tests"}).json() == {"agent": "tests"}


def test_remote_methods_are_documented(tmp_path):
    app = create_app(app_with(tmp_path, METHODS))
    swagger = swagger_document(app)
    greet = swagger["paths"]["/Notes/greet"]["get"]
    assert greet["operationId"] == "Note.greet"
    assert [(p["name"], p["in"], p["required"]) for p in greet["parameters"]] == [
        ("msg", "query", True),
        ("n", "query", False),
    ]
    assert swagger["paths"]["/Notes/{id}/shout"]["get"]["operationId"] == "Note.prototype.shout"
    assert "201" in swagger["paths"]["/Notes/rooted"]["get"]["responses"]
    openapi = openapi_document(app)
    assert openapi["paths"]["/Notes/greet"]["get"]["operationId"] == "Note.greet"
    with TestClient(app) as api:
        served = api.get("/explorer/swagger.json").json()
        assert "/Notes/greet" in served["paths"]


def test_remote_method_is_usable_without_a_decorator(tmp_path):
    """LoopBack's own style: the function is set on the model, then declared."""
    root = app_with(
        tmp_path,
        """
        def customize(Note):
            async def ping():
                return "pong"
            Note.ping = ping
            Note.remote_method("ping", returns={"arg": "answer", "type": "string"}, http={"verb": "get"})
    """,
    )
    with client_for(root) as api:
        assert api.get("/api/Notes/ping").json() == {"answer": "pong"}


def test_a_base_model_gets_only_its_methods(tmp_path):
    root = write_app(
        tmp_path / "app",
        {"Message": {"base": "Model", "properties": {}}},
        model_config={"Message": {"dataSource": None, "public": True}},
    )
    (root / "common" / "models" / "message.py").write_text(
        textwrap.dedent("""
        def customize(Message):
            @Message.remote_method("greet", accepts={"arg": "msg", "type": "string", "http": {"source": "query"}},
                                   returns={"arg": "greeting", "type": "string"}, http={"verb": "get"})
            async def greet(msg=None):
                return f"Sender says {msg or 'hello'} to receiver"
    """)
    )
    app = create_app(root)
    with client_for(root) as api:
        assert api.get("/api/Messages/greet?msg=hi").json() == {"greeting": "Sender says hi to receiver"}
        assert api.get("/api/Messages").status_code == 404
    assert set(swagger_document(app)["paths"]) == {"/Messages/greet"}


# -- what is exposed -------------------------------------------------------------------------------


def test_disable_remote_method_by_name(tmp_path):
    root = app_with(
        tmp_path,
        """
        def customize(Note):
            Note.disable_remote_method_by_name("create")
            Note.disable_remote_method_by_name("upsert")  # LoopBack's alias of patchOrCreate
            Note.disable_remote_method_by_name("prototype.patchAttributes")
            Note.disable_remote_method_by_name("ping")
            @Note.remote_method("ping", http={"verb": "get"}, returns={"arg": "ok", "type": "boolean"})
            async def ping():
                return True
    """,
    )
    app = create_app(root)
    with client_for(root) as api:
        # the paths are still served with other verbs: 405 (LoopBack answered 404)
        assert api.post("/api/Notes", json={"title": "x"}).status_code == 405
        assert api.patch("/api/Notes", json={"title": "x"}).status_code == 405
        assert api.patch("/api/Notes/1", json={"title": "x"}).status_code == 405
        assert api.get("/api/Notes/ping").status_code == 404
        assert api.get("/api/Notes").status_code == 200
    ids = {op["operationId"] for item in swagger_document(app)["paths"].values() for op in item.values()}
    assert not {"Note.create", "Note.patchOrCreate", "Note.prototype.patchAttributes", "Note.ping"} & ids
    assert "Note.find" in ids


@pytest.mark.parametrize("where", ["model", "model-config"])
def test_shared_methods_allow_list(tmp_path, where):
    shared = {"remoting": {"sharedMethods": {"*": False, "find": True, "greet": True}}}
    models = {"Note": {**NOTE, "options": shared} if where == "model" else NOTE}
    model_config = (
        {"Note": {"dataSource": "db", "public": True, "options": shared}} if where == "model-config" else None
    )
    root = app_with(
        tmp_path,
        """
        def customize(Note):
            @Note.remote_method("greet", http={"verb": "get"}, returns={"arg": "ok", "type": "boolean"})
            async def greet():
                return True
            @Note.remote_method("hidden", http={"verb": "get"})
            async def hidden():
                return None
    """,
        models,
        model_config=model_config,
    )
    with client_for(root) as api:
        assert api.get("/api/Notes").status_code == 200
        assert api.get("/api/Notes/greet").json() == {"ok": True}
        assert api.get("/api/Notes/hidden").status_code == 404
        assert api.post("/api/Notes", json={"title": "x"}).status_code == 405  # GET /Notes is served
        assert api.get("/api/Notes/count").status_code == 404


# -- remote hooks ----------------------------------------------------------------------------------

HOOKS = (
    METHODS
    + """
    SEEN = []

    def customize_hooks(Note):
        @Note.before_remote("*")
        def every_static(ctx):
            SEEN.append(("before *", ctx.method.name, sorted(ctx.args), ctx.instance is not None))
            if ctx.args.get("msg") == "stop":
                from lbpy import ForbiddenError
                raise ForbiddenError("stopped by hook")
            if ctx.args.get("msg") == "fill":
                ctx.args["msg"] = "filled"

        @Note.before_remote("prototype.*")
        async def every_instance(ctx):
            SEEN.append(("before prototype.*", ctx.method.name, ctx.instance.title))

        @Note.after_remote("greet")
        def swap(ctx):
            SEEN.append(("after greet", ctx.result))
            if ctx.args.get("msg") == "swap":
                ctx.result = "swapped"

        @Note.after_remote("find")
        async def count_found(ctx):
            SEEN.append(("after find", len(ctx.result), ctx.req.url.path, ctx.method_string))

        @Note.after_remote_error("*")
        def failed(ctx):
            SEEN.append(("error", ctx.method.name, str(ctx.error)))
            if ctx.method.name == "crash":
                from lbpy import ServiceUnavailableError
                raise ServiceUnavailableError("try later")

    _customize = customize
    def customize(Note):
        _customize(Note)
        customize_hooks(Note)
"""
)


@pytest.fixture
def hooked(tmp_path):
    root = app_with(tmp_path, HOOKS)
    with client_for(root) as client:
        import sys

        module = sys.modules["lbpy_app.models.note"]
        client.post("/api/Notes", json={"title": "a"})
        module.SEEN.clear()
        yield client, module.SEEN


def test_before_hooks_see_the_arguments_and_may_change_them(hooked):
    api, seen = hooked
    assert api.get("/api/Notes/greet?msg=fill&n=1").json() == {"greeting": "hi filled 1 int"}
    assert seen[0] == ("before *", "greet", ["msg", "n"], False)


def test_a_before_hook_can_supply_a_required_argument(hooked):
    """LoopBack checks required arguments after the before hooks."""
    api, _ = hooked
    answer = api.get("/api/Notes/greet?msg=fill")
    assert answer.status_code == 200
    assert answer.json() == {"greeting": "hi filled None NoneType"}


def test_a_before_hook_that_raises_stops_the_call(hooked):
    api, seen = hooked
    answer = api.get("/api/Notes/greet?msg=stop")
    assert answer.status_code == 403
    assert answer.json()["error"]["message"] == "stopped by hook"
    assert ("error", "greet", "stopped by hook") in seen
    assert not any(entry[0] == "after greet" for entry in seen)


def test_after_hooks_can_replace_the_result(hooked):
    api, seen = hooked
    assert api.get("/api/Notes/greet?msg=swap").json() == {"greeting": "swapped"}
    assert ("after greet", "hi swap None NoneType") in seen


def test_hooks_apply_to_builtin_methods(hooked):
    api, seen = hooked
    api.get("/api/Notes")
    assert ("after find", 1, "/api/Notes", "Note.find") in seen
    assert ("before *", "find", ["filter", "options"], False) in seen


def test_star_matches_static_methods_and_prototype_star_instance_ones(hooked):
    api, seen = hooked
    api.get("/api/Notes/1/shout")
    assert seen == [("before prototype.*", "shout", "a")]
    seen.clear()
    api.patch("/api/Notes/1", json={"title": "b"})
    assert seen == [("before prototype.*", "patchAttributes", "a")]


def test_after_error_hooks_see_the_error_and_may_replace_it(hooked):
    api, seen = hooked
    answer = api.get("/api/Notes/crash")
    assert answer.status_code == 503
    assert answer.json()["error"]["message"] == "try later"
    assert ("error", "crash", "crash detail") in seen
    missing = api.get("/api/Notes/greet")
    assert missing.status_code == 400
    assert ("error", "greet", "msg is a required argument") in seen


def test_hook_patterns():
    from lbpy._model._remote_methods import pattern

    assert pattern("*").fullmatch("greet") and not pattern("*").fullmatch("prototype.shout")
    assert pattern("prototype.*").fullmatch("prototype.shout") and not pattern("prototype.*").fullmatch("greet")
    assert pattern("**").fullmatch("prototype.shout")
    assert pattern("find*").fullmatch("findOne") and not pattern("find*").fullmatch("count")


def test_remote_hooks_registered_from_a_boot_script(tmp_path):
    root = app_with(tmp_path, "def customize(Note):\n    pass\n")
    (root / "server" / "boot").mkdir()
    (root / "server" / "boot" / "audit.py").write_text(
        textwrap.dedent("""
        def boot(app):
            Note = app.models["Note"]
            @Note.after_remote("create")
            def stamp(ctx):
                ctx.result = {**ctx.result.to_json(), "audited": True}
    """)
    )
    with client_for(root) as api:
        assert api.post("/api/Notes", json={"title": "x"}).json()["audited"] is True


def test_invalid_hooks_are_refused():
    class Probe(Model):
        __slots__ = ()

    with pytest.raises(TypeError):
        Probe.before_remote("*", "not a function")
    with pytest.raises(ValueError):
        Probe.after_remote("", lambda ctx: None)


def test_a_json_methods_entry_keeps_loopbacks_shape(tmp_path):
    """The methods section as loopback-workspace writes it (http as a list, prototype. keys)."""
    methods = {
        "prototype.shout": {
            "accepts": [],
            "returns": [{"arg": "s", "type": "string", "root": False, "description": ""}],
            "description": "",
            "http": [{"path": "/shout", "verb": "get"}],
        },
        "bare": {"accepts": [], "returns": [], "description": "", "http": []},
    }
    root = app_with(
        tmp_path,
        """
        def shout(note):
            return note.title + "!"
        async def bare(Note):
            return None
    """,
        {"Note": {**NOTE, "methods": methods}},
    )
    with client_for(root) as api:
        api.post("/api/Notes", json={"title": "a"})
        assert api.get("/api/Notes/1/shout").json() == {"s": "a!"}
        assert api.post("/api/Notes/bare").status_code == 204  # no http: POST /<name>
    assert json.loads((root / "common" / "models" / "note.json").read_text())["methods"] == methods


def test_the_context_types_are_public():
    import lbpy

    for name in ("Model", "Context", "RemoteContext", "ChangeStream"):
        assert name in lbpy.__all__ and getattr(lbpy, name) is not None


def test_accept_and_returns_objects_are_taken_as_they_are(tmp_path):
    from lbpy._model._remote_definition import Accept, Returns

    app = create_app(write_app(tmp_path / "app", {"Note": NOTE}))
    Note = app.model("Note")

    @Note.remote_method(
        "echo",
        accepts=[Accept("text", "string", required=True)],
        returns=[Returns("text", "string")],
        http={"verb": "get"},
    )
    async def echo(text):
        return text

    with TestClient(app) as api:
        assert api.get("/api/Notes/echo?text=hi").json() == {"text": "hi"}


def test_a_model_left_out_of_model_config_needs_no_functions(tmp_path):
    root = write_app(tmp_path / "app", {"Note": NOTE})
    (root / "common" / "models" / "draft.json").write_text(
        json.dumps({"name": "Draft", "properties": {}, "methods": {"greet": GREET}})
    )
    assert "Draft" in create_app(root).models


def test_the_request_can_be_read_again_by_a_method_and_its_hooks(tmp_path):
    """The body lbpy parsed for an argument is still there for code that reads the request."""
    root = app_with(
        tmp_path,
        """
        def customize(Note):
            @Note.remote_method("raw", accepts=[{"arg": "data", "type": "object", "http": {"source": "body"}},
                                                {"arg": "req", "type": "object", "http": {"source": "req"}}],
                                returns={"arg": "body", "type": "object", "root": True})
            async def raw(data, req):
                return {"parsed": data, "again": await req.json()}

            @Note.before_remote("raw")
            async def peek(ctx):
                ctx.args["data"] = {**ctx.args["data"], "peeked": (await ctx.req.json())["x"]}
    """,
    )
    with client_for(root) as api:
        answer = api.post("/api/Notes/raw", json={"x": 1})
        assert answer.json() == {"parsed": {"x": 1, "peeked": 1}, "again": {"x": 1}}
