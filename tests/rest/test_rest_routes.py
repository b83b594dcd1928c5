"""Every PersistedModel route, with the statuses and bodies LoopBack 3.28 answers."""

from __future__ import annotations

import pytest

NOTE = {"properties": {"title": {"type": "string", "required": True}, "content": "string"}}
PRODUCT = {"forceId": False, "properties": {"name": "string"}}


@pytest.fixture
def api(make_client):
    return make_client({"Note": NOTE, "Product": PRODUCT})


def seed(api, *titles):
    return [api.post("/api/Notes", json={"title": t, "content": f"c-{t}"}).json() for t in titles]


def test_create_answers_200_with_the_id_last(api):
    response = api.post("/api/Notes", json={"title": "first", "content": "c1"})
    assert response.status_code == 200
    assert response.json() == {"title": "first", "content": "c1", "id": 1}
    assert list(response.json()) == ["title", "content", "id"]


def test_create_with_an_array_creates_each(api):
    response = api.post("/api/Notes", json=[{"title": "a"}, {"title": "b", "content": "x"}])
    assert response.status_code == 200
    assert response.json() == [{"title": "a", "id": 1}, {"title": "b", "content": "x", "id": 2}]


def test_a_batch_with_one_invalid_item_creates_nothing(api):
    response = api.post("/api/Notes", json=[{"title": "ok"}, {"content": "no title"}])
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["details"][0] is None
    assert error["details"][1]["details"]["codes"] == {"title": ["presence"]}
    assert api.get("/api/Notes").json() == []


def test_find_returns_every_record_in_id_order(api):
    seed(api, "b", "a")
    assert [n["title"] for n in api.get("/api/Notes").json()] == ["b", "a"]


def test_find_by_id_and_unknown_id(api):
    seed(api, "one")
    assert api.get("/api/Notes/1").json() == {"title": "one", "content": "c-one", "id": 1}
    missing = api.get("/api/Notes/999")
    assert missing.status_code == 404
    assert missing.json() == {
        "error": {"statusCode": 404, "name": "Error", "message": 'Unknown "Note" id "999".', "code": "MODEL_NOT_FOUND"}
    }


@pytest.mark.parametrize("raw", ["abc", "1.5", "%20"])
def test_an_id_that_is_not_a_number_is_not_found(api, raw):
    seed(api, "one")
    assert api.get(f"/api/Notes/{raw}").status_code == 404


@pytest.mark.parametrize("raw", ["01", "1e0"])
def test_numeric_id_spellings_find_the_record(api, raw):
    seed(api, "one")
    assert api.get(f"/api/Notes/{raw}").json()["id"] == 1


def test_a_percent_encoded_slash_stays_inside_its_id_as_in_loopback(make_client):
    api = make_client({"Page": {"properties": {"slug": {"type": "string", "id": True}, "title": "string"}}})
    assert api.post("/api/Pages", json={"slug": "docs/intro", "title": "Intro"}).status_code == 200
    assert api.get("/api/Pages/docs%2Fintro").json() == {"slug": "docs/intro", "title": "Intro"}
    assert api.get("/api/Pages/docs%2fintro/exists").json() == {"exists": True}
    assert api.get("/api/Pages/docs/intro").status_code == 404
    assert api.patch("/api/Pages/docs%2Fintro", json={"title": "Start"}).json()["title"] == "Start"
    assert api.get("/api/Pages/caf%C3%A9%2F").status_code == 404  # decoded as UTF-8, then not found


def test_find_by_id_honours_fields(api):
    seed(api, "one")
    assert api.get('/api/Notes/1?filter={"fields":{"title":true}}').json() == {"title": "one"}


def test_find_by_id_ignores_the_filters_where_order_limit_and_skip_as_loopback_does(api):
    seed(api, "one")
    flt = '{"where":{"title":"another"},"order":"title DESC","limit":0,"skip":5}'
    assert api.get(f"/api/Notes/1?filter={flt}").json()["title"] == "one"


def test_head_answers_200_or_404_without_a_body(api):
    seed(api, "one")
    found = api.head("/api/Notes/1")
    assert found.status_code == 200 and found.content == b""
    assert found.headers["content-length"] == str(len(b'{"exists":true}'))
    missing = api.head("/api/Notes/999")
    assert missing.status_code == 404 and missing.content == b""


def test_exists_never_answers_404(api):
    seed(api, "one")
    assert api.get("/api/Notes/1/exists").json() == {"exists": True}
    assert api.get("/api/Notes/999/exists").json() == {"exists": False}
    assert api.get("/api/Notes/abc/exists").json() == {"exists": False}


@pytest.mark.parametrize("verb,path", [("PUT", "/api/Notes/1"), ("POST", "/api/Notes/1/replace")])
def test_replace_by_id_removes_what_the_body_omits(api, verb, path):
    seed(api, "one")
    response = api.request(verb, path, json={"title": "replaced"})
    assert response.status_code == 200
    assert response.json() == {"title": "replaced", "id": 1}
    assert api.get("/api/Notes/1").json() == {"title": "replaced", "id": 1}


def test_replace_by_id_refuses_to_change_the_id(api):
    seed(api, "one", "two")
    response = api.put("/api/Notes/1", json={"id": 2, "title": "x"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "id property (id) cannot be updated from 1 to 2"
    assert api.get("/api/Notes/2").json()["title"] == "two"


def test_replace_by_unknown_id_is_404(api):
    for verb, path in [("PUT", "/api/Notes/999"), ("POST", "/api/Notes/999/replace")]:
        response = api.request(verb, path, json={"title": "x"})
        assert response.status_code == 404
        assert response.json()["error"]["message"] == "Could not replace. Object with id 999 does not exist!"


def test_patch_attributes_merges(api):
    seed(api, "one")
    response = api.patch("/api/Notes/1", json={"content": "patched"})
    assert response.json() == {"title": "one", "content": "patched", "id": 1}
    assert api.patch("/api/Notes/1", json={}).json() == {"title": "one", "content": "patched", "id": 1}


def test_patch_attributes_refuses_another_id_and_unknown_ids(api):
    seed(api, "one")
    other = api.patch("/api/Notes/1", json={"id": 3, "content": "x"})
    assert other.status_code == 400
    assert other.json()["error"]["message"] == "id cannot be updated from 1 to 3 when forceId is set to true"
    missing = api.patch("/api/Notes/999", json={"title": "x"})
    assert missing.status_code == 404
    assert missing.json()["error"] == {
        "statusCode": 404,
        "name": "Error",
        "message": "could not find a model with id 999",
        "code": "MODEL_NOT_FOUND",
    }


def test_put_collection_replaces_or_creates(api):
    seed(api, "one")
    assert api.put("/api/Notes", json={"id": 1, "title": "put"}).json() == {"title": "put", "id": 1}
    assert api.put("/api/Notes", json={"title": "new"}).json() == {"title": "new", "id": 2}
    assert api.post("/api/Notes/replaceOrCreate", json={"id": 2, "title": "roc"}).json() == {"title": "roc", "id": 2}


def test_put_collection_with_an_unknown_forced_id_is_404(api):
    response = api.put("/api/Notes", json={"id": 50, "title": "x"})
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Could not replace. Object with id 50 does not exist!"


def test_patch_collection_patches_or_creates(api):
    seed(api, "one")
    assert api.patch("/api/Notes", json={"id": 1, "title": "p"}).json() == {"title": "p", "content": "c-one", "id": 1}
    assert api.patch("/api/Notes", json={"title": "new"}).json() == {"title": "new", "id": 2}
    missing = api.patch("/api/Notes", json={"id": 60, "title": "x"})
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "Could not update attributes. Object with id 60 does not exist!"


def test_unforced_ids_are_created_by_put_and_patch(api):
    assert api.put("/api/Products", json={"id": 10, "name": "a"}).json() == {"name": "a", "id": 10}
    assert api.patch("/api/Products", json={"id": 11, "name": "b"}).json() == {"name": "b", "id": 11}
    assert api.post("/api/Products", json={"name": "c"}).json()["id"] == 12


def test_duplicate_id_is_409(api):
    api.post("/api/Products", json={"id": 5, "name": "a"})
    response = api.post("/api/Products", json={"id": 5, "name": "b"})
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "Duplicate entry for Product.id"
    assert api.get("/api/Products/5").json()["name"] == "a"


def test_a_generated_id_cannot_be_set(api):
    response = api.post("/api/Notes", json={"id": 10, "title": "x"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["message"] == "The `Note` instance is not valid. Details: `id` can't be set (value: 10)."
    assert error["details"]["codes"] == {"id": ["absence"]}


def test_upsert_with_where_patches_the_single_match(api):
    seed(api, "one")
    url = '/api/Notes/upsertWithWhere?where={"title":"one"}'
    assert api.post(url, json={"title": "one"}).json() == {"title": "one", "content": "c-one", "id": 1}
    # the body must be a whole valid instance, even when a record matches
    invalid = api.post(url, json={"content": "x"})
    assert invalid.status_code == 422
    assert api.post("/api/Notes/upsertWithWhere?where[title]=nomatch", json={"title": "made"}).json() == {
        "title": "made",
        "id": 2,
    }


def test_upsert_with_where_refuses_several_matches_empty_data_and_no_where(api):
    seed(api, "dup", "dup")
    several = api.post('/api/Notes/upsertWithWhere?where={"title":"dup"}', json={"title": "dup", "content": "x"})
    assert several.status_code == 400
    assert several.json()["error"]["message"] == (
        "There are multiple instances found.Upsert Operation will not be performed!"
    )
    empty = api.post('/api/Notes/upsertWithWhere?where={"title":"dup"}', json={})
    assert empty.status_code == 400 and empty.json()["error"]["message"] == "data object cannot be empty!"
    no_where = api.post("/api/Notes/upsertWithWhere", json={"title": "x"})
    assert no_where.status_code == 400 and "where is required" in no_where.json()["error"]["message"]


def test_find_one(api):
    seed(api, "a", "dup", "dup")
    assert api.get('/api/Notes/findOne?filter={"where":{"title":"dup"}}').json()["id"] == 2
    assert api.get("/api/Notes/findOne").json()["id"] == 1
    missing = api.get('/api/Notes/findOne?filter={"where":{"title":"nothing"}}')
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "MODEL_NOT_FOUND"


def test_count_reads_where_and_ignores_filter(api):
    seed(api, "a", "dup", "dup")
    assert api.get("/api/Notes/count").json() == {"count": 3}
    assert api.get('/api/Notes/count?where={"title":"dup"}').json() == {"count": 2}
    assert api.get("/api/Notes/count?where[title]=dup").json() == {"count": 2}
    assert api.get('/api/Notes/count?filter={"where":{"title":"dup"}}').json() == {"count": 3}


def test_update_all_returns_the_count(api):
    seed(api, "a", "dup", "dup")
    assert api.post('/api/Notes/update?where={"title":"dup"}', json={"content": "updated"}).json() == {"count": 2}
    assert [n.get("content") for n in api.get("/api/Notes").json()] == ["c-a", "updated", "updated"]
    assert api.post('/api/Notes/update?where={"title":"none"}', json={"content": "x"}).json() == {"count": 0}


def test_update_all_needs_a_where(api):
    seed(api, "a")
    response = api.post("/api/Notes/update", json={"content": "all"})
    assert response.status_code == 400
    assert api.get("/api/Notes/1").json()["content"] == "c-a"
    assert api.post("/api/Notes/update?where={}", json={"content": "all"}).json() == {"count": 1}


def test_delete_by_id_answers_the_count(api):
    seed(api, "a")
    assert api.delete("/api/Notes/1").json() == {"count": 1}
    assert api.delete("/api/Notes/1").json() == {"count": 0}
    assert api.delete("/api/Notes/abc").json() == {"count": 0}
    assert api.get("/api/Notes/1").status_code == 404


def test_ids_are_never_reused(api):
    seed(api, "a", "b")
    api.delete("/api/Notes/2")
    assert seed(api, "c")[0]["id"] == 3


@pytest.mark.parametrize(
    "path",
    [
        "/api/notes",
        "/api/NOTES",
        "/api/Notes/",
        "/api/Notes/1/",
        "/api/notes/1",
        "/api/Notes/1/EXISTS",
        "/api/Notes/COUNT",
        "/api/Notes/findone",
        "/api/Notes//1",
    ],
)
def test_paths_are_case_insensitive_and_tolerant(api, path):
    seed(api, "a")
    assert api.get(path).status_code == 200


def test_unknown_routes_answer_loopback_404s(api):
    assert api.get("/api/Nope").json()["error"]["message"] == "There is no method to handle GET /Nope"
    assert api.get("/api").json()["error"]["message"] == "There is no method to handle GET /"
    assert api.delete("/api/Notes").json()["error"]["message"] == 'Shared class "Note" has no method handling DELETE /'
    assert api.get("/api/Notes/1/nope").json()["error"]["message"] == (
        'Shared class "Note" has no method handling GET /1/nope'
    )
    outside = api.get("/nope")
    assert outside.status_code == 404 and outside.json()["error"]["message"] == "Cannot GET /nope"


def test_a_served_path_asked_with_another_verb_is_405_with_allow(api):
    answer = api.request("TRACE", "/api/Notes/1/replace")
    assert answer.status_code == 405 and answer.headers["allow"] == "POST"
    assert answer.json()["error"] == {
        "statusCode": 405,
        "name": "Error",
        "code": "METHOD_NOT_ALLOWED",
        "message": 'Shared class "Note" has no method handling TRACE /1/replace',
    }
    assert set(api.delete("/api/Notes").headers["allow"].split(", ")) == {"GET", "POST", "PUT", "PATCH"}


def test_a_non_public_model_is_not_exposed(make_client):
    client = make_client({"Secret": NOTE}, model_config={"Secret": {"dataSource": "db", "public": False}})
    assert client.get("/api/Secrets").status_code == 404


def test_root_reports_status(api):
    body = api.get("/").json()
    assert set(body) == {"started", "uptime"}


# -- remoting.rest.maxLimit: a bound on a page ----------------------------------------------------

PAGED = {"remoting": {"rest": {"maxLimit": 3}}}


def test_max_limit_caps_a_find_that_asks_for_more_or_for_no_limit_and_says_so(make_client):
    api = make_client({"Note": NOTE}, config=PAGED)
    seed(api, *"abcde")
    for query in ("", "?filter[limit]=10", '?filter={"limit":100}', '?filter={"where":{"title":{"neq":"z"}}}'):
        answer = api.get("/api/Notes" + query)
        assert [n["title"] for n in answer.json()] == ["a", "b", "c"], query
        assert answer.headers["x-max-limit"] == "3"
    within = api.get('/api/Notes?filter={"limit":2,"skip":3}')
    assert [n["title"] for n in within.json()] == ["d", "e"] and "x-max-limit" not in within.headers
    last_page = api.get('/api/Notes?filter={"skip":3}')
    assert [n["title"] for n in last_page.json()] == ["d", "e"] and "x-max-limit" not in last_page.headers
    assert api.get("/api/Notes/count").json() == {"count": 5}  # counts are not pages
    assert api.get('/api/Notes?filter={"limit":"x"}').status_code == 400


def test_max_limit_bounds_relation_lists_too(make_client):
    api = make_client(
        {
            "Owner": {"properties": {"name": "string"}, "relations": {"notes": {"type": "hasMany", "model": "Note"}}},
            "Note": NOTE,
        },
        config=PAGED,
    )
    api.post("/api/Owners", json={"name": "o"})
    api.post("/api/Owners/1/notes", json=[{"title": t} for t in "abcd"])
    answer = api.get("/api/Owners/1/notes")
    assert len(answer.json()) == 3 and answer.headers["x-max-limit"] == "3"


def test_without_max_limit_an_app_keeps_loopbacks_unbounded_answer(api):
    seed(api, *"abcde")
    answer = api.get("/api/Notes")
    assert len(answer.json()) == 5 and "x-max-limit" not in answer.headers


def test_a_max_limit_that_is_not_a_positive_integer_stops_the_boot(tmp_path):
    from conftest import write_app

    from lbpy import BootError, create_app

    root = write_app(tmp_path / "app", {"Note": NOTE}, config={"remoting": {"rest": {"maxLimit": 0}}})
    with pytest.raises(BootError, match="maxLimit"):
        create_app(root)
