"""Relation routes over HTTP, every relation type, with the statuses and bodies LoopBack 3.28
answers (lbpy answers a client error where LoopBack answered 500 or stored what it should not)."""

from __future__ import annotations

import pytest

SHOP = {
    "Customer": {
        "properties": {"name": "string", "email": "string", "password": "string"},
        "hidden": ["password"],
        "protected": ["email"],
        "relations": {
            "orders": {"type": "hasMany", "model": "Order"},
            "profile": {"type": "hasOne", "model": "Profile"},
            "address": {"type": "embedsOne", "model": "Address"},
            "emails": {"type": "embedsMany", "model": "EmailAddress"},
            "tags": {"type": "referencesMany", "model": "Tag"},
            "pictures": {"type": "hasMany", "model": "Picture", "polymorphic": "imageable"},
        },
    },
    "Order": {
        "properties": {"description": "string", "total": "number", "secretNote": "string"},
        "hidden": ["secretNote"],
        "relations": {"customer": {"type": "belongsTo", "model": "Customer"}},
    },
    "Profile": {"properties": {"bio": "string"}, "relations": {"customer": {"type": "belongsTo", "model": "Customer"}}},
    "Address": {"base": "Model", "properties": {"street": "string", "city": "string"}},
    "EmailAddress": {"base": "Model", "properties": {"label": "string", "address": "string"}},
    "Tag": {"properties": {"name": "string"}},
    "Picture": {
        "properties": {"name": "string"},
        "relations": {"imageable": {"type": "belongsTo", "polymorphic": True}},
    },
    "Product": {
        "properties": {"name": "string"},
        "relations": {"pictures": {"type": "hasMany", "model": "Picture", "polymorphic": "imageable"}},
    },
    "Physician": {
        "properties": {"name": "string"},
        "relations": {
            "patients": {"type": "hasMany", "model": "Patient", "through": "Appointment"},
            "appointments": {"type": "hasMany", "model": "Appointment"},
        },
    },
    "Patient": {
        "properties": {"name": "string"},
        "relations": {"physicians": {"type": "hasMany", "model": "Physician", "through": "Appointment"}},
    },
    "Appointment": {
        "properties": {"date": "date"},
        "relations": {
            "physician": {"type": "belongsTo", "model": "Physician"},
            "patient": {"type": "belongsTo", "model": "Patient"},
        },
    },
    "Assembly": {
        "properties": {"name": "string"},
        "relations": {"parts": {"type": "hasAndBelongsToMany", "model": "Part"}},
    },
    "Part": {"properties": {"partNumber": "string"}},
}
EMBEDDED = {"Address": {"dataSource": None, "public": False}, "EmailAddress": {"dataSource": None, "public": False}}


@pytest.fixture
def api(make_client):
    client = make_client(SHOP, model_config=EMBEDDED)
    for name in ("alice", "bob"):
        assert (
            client.post("/api/Customers", json={"name": name, "email": f"{name}@x", "password": "p"}).status_code == 200
        )
    return client


def not_found(response, message):
    assert response.status_code == 404, response.text
    assert response.json()["error"]["message"] == message


# -- hasMany ----------------------------------------------------------------------------------


def test_create_through_has_many_sets_the_foreign_key_from_the_owner(api):
    created = api.post("/api/Customers/1/orders", json={"description": "o1", "total": 10, "customerId": 2})
    assert created.status_code == 200
    assert created.json() == {"description": "o1", "total": 10, "id": 1, "customerId": 1}
    assert api.get("/api/Orders/1").json()["customerId"] == 1


def test_create_through_has_many_takes_a_batch(api):
    created = api.post("/api/Customers/1/orders", json=[{"description": "a"}, {"description": "b"}])
    assert created.json() == [
        {"description": "a", "id": 1, "customerId": 1},
        {"description": "b", "id": 2, "customerId": 1},
    ]
    refused = api.post("/api/Customers/1/orders", json=[{"total": 1}, {"total": "x"}])
    assert refused.status_code == 422
    assert api.get("/api/Customers/1/orders/count").json() == {"count": 2}


def test_create_through_has_many_validates_and_refuses_what_is_not_an_object(api):
    assert api.post("/api/Customers/1/orders", json={"total": "abc"}).status_code == 422
    refused = api.post("/api/Customers/1/orders", json="x")
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == "Value is not an object."


@pytest.mark.parametrize(
    "verb, path",
    [
        ("GET", "orders"),
        ("POST", "orders"),
        ("DELETE", "orders"),
        ("GET", "orders/count"),
        ("GET", "orders/1"),
        ("PUT", "orders/1"),
        ("DELETE", "orders/1"),
        ("GET", "profile"),
        ("POST", "profile"),
        ("PUT", "tags/rel/1"),
        ("DELETE", "tags/rel/1"),
        ("GET", "emails"),
    ],
)
def test_an_unknown_owner_is_404(api, verb, path):
    response = api.request(verb, f"/api/Customers/99/{path}", json={} if verb in ("POST", "PUT") else None)
    not_found(response, "could not find a model with id 99")
    assert response.json()["error"]["code"] == "MODEL_NOT_FOUND"


def test_get_through_has_many_applies_the_filter_to_the_owners_records(api):
    api.post(
        "/api/Customers/1/orders",
        json=[{"description": "a", "total": 10}, {"description": "b", "total": 20}, {"description": "c", "total": 40}],
    )
    api.post("/api/Customers/2/orders", json={"description": "other", "total": 30})
    assert [o["description"] for o in api.get("/api/Customers/1/orders").json()] == ["a", "b", "c"]
    found = api.get(
        "/api/Customers/1/orders",
        params={"filter": '{"where":{"total":{"gt":15}},"order":"total DESC","limit":2,"fields":["description"]}'},
    )
    assert found.json() == [{"description": "c"}, {"description": "b"}]
    assert api.get("/api/Customers/1/orders?filter[where][total]=20").json()[0]["description"] == "b"
    # the owner's condition cannot be widened by the caller's where
    assert api.get("/api/Customers/1/orders", params={"filter": '{"where":{"customerId":2}}'}).json() == []


def test_count_through_has_many(api):
    api.post("/api/Customers/1/orders", json=[{"total": 10}, {"total": 20}])
    api.post("/api/Customers/2/orders", json={"total": 30})
    assert api.get("/api/Customers/1/orders/count").json() == {"count": 2}
    assert api.get("/api/Customers/1/orders/count", params={"where": '{"total":{"gt":15}}'}).json() == {"count": 1}
    assert api.get("/api/Customers/1/orders/count", params={"where": '{"customerId":2}'}).json() == {"count": 0}
    assert api.get("/api/Customers/1/orders/count", params={"where": "{bad"}).status_code == 400


def test_find_by_id_through_has_many_finds_only_the_owners_records(api):
    api.post("/api/Customers/1/orders", json={"description": "mine"})
    api.post("/api/Customers/2/orders", json={"description": "theirs"})
    assert api.get("/api/Customers/1/orders/1").json() == {"description": "mine", "id": 1, "customerId": 1}
    not_found(api.get("/api/Customers/1/orders/2"), "No instance with id 2 found for Order")
    not_found(api.get("/api/Customers/1/orders/999"), "No instance with id 999 found for Order")
    not_found(api.get("/api/Customers/1/orders/abc"), "No instance with id abc found for Order")


def test_update_by_id_through_has_many(api):
    api.post("/api/Customers/1/orders", json={"description": "mine", "total": 1})
    api.post("/api/Customers/2/orders", json={"description": "theirs"})
    updated = api.put("/api/Customers/1/orders/1", json={"total": 12})
    assert updated.json() == {"description": "mine", "total": 12, "id": 1, "customerId": 1}
    not_found(api.put("/api/Customers/1/orders/2", json={"total": 5}), "No instance with id 2 found for Order")
    moved = api.put("/api/Customers/1/orders/1", json={"customerId": 2})
    assert moved.status_code == 400  # LoopBack answered 500
    assert moved.json()["error"]["message"] == "Cannot override foreign key customerId from 1 to 2"
    assert api.put("/api/Customers/1/orders/1", json={"customerId": 1, "total": 3}).status_code == 200
    assert api.put("/api/Customers/1/orders/1", json={"total": "x"}).status_code == 422
    assert api.get("/api/Orders/2").json()["customerId"] == 2


def test_destroy_by_id_and_delete_all_through_has_many(api):
    api.post("/api/Customers/1/orders", json=[{"description": "a"}, {"description": "b"}, {"description": "c"}])
    api.post("/api/Customers/2/orders", json={"description": "theirs"})
    assert api.delete("/api/Customers/1/orders/1").status_code == 204
    not_found(api.delete("/api/Customers/1/orders/1"), "No instance with id 1 found for Order")
    not_found(api.delete("/api/Customers/1/orders/4"), "No instance with id 4 found for Order")
    assert api.delete("/api/Customers/1/orders").status_code == 204
    assert [o["description"] for o in api.get("/api/Orders").json()] == ["theirs"]


def test_delete_all_through_has_many_answers_loopbacks_204_and_honours_a_where(api):
    api.post("/api/Customers/1/orders", json=[{"description": "a", "total": 1}, {"description": "b", "total": 2}])
    api.post("/api/Customers/2/orders", json={"description": "theirs", "total": 1})
    deleted = api.delete("/api/Customers/1/orders", params={"where": '{"total": 1}'})
    assert deleted.status_code == 204
    assert deleted.headers["content-type"] == "application/json; charset=utf-8"  # as LoopBack's
    assert deleted.content == b""
    # LoopBack deleted every related record whatever the where said; lbpy deletes what it names
    assert [o["description"] for o in api.get("/api/Orders").json()] == ["b", "theirs"]


def test_a_relation_delete_limited_by_a_hidden_property_is_refused(api):
    api.post("/api/Customers/1/orders", json=[{"description": "a", "secretNote": "s"}, {"description": "b"}])
    refused = api.delete("/api/Customers/1/orders", params={"where": '{"secretNote": "s"}'})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "HIDDEN_PROPERTY"
    assert api.get("/api/Customers/1/orders/count").json() == {"count": 2}


# -- belongsTo --------------------------------------------------------------------------------


def test_get_through_belongs_to(api):
    api.post("/api/Customers/1/orders", json={"description": "o"})
    api.post("/api/Orders", json={"description": "orphan"})
    api.post("/api/Orders", json={"description": "dangling", "customerId": 77})
    customer = api.get("/api/Orders/1/customer")
    assert customer.status_code == 200
    assert customer.json() == {"name": "alice", "email": "alice@x", "id": 1, "emailAddresses": [], "tagIds": []}
    assert api.get("/api/Orders/1/customer?refresh=true").json()["name"] == "alice"
    assert api.get("/api/Orders/2/customer").json() == {}  # no foreign key: LoopBack answers {}
    assert api.get("/api/Orders/3/customer").json() is None  # a dangling one: null
    not_found(api.get("/api/Orders/99/customer"), "could not find a model with id 99")


# -- hasOne -----------------------------------------------------------------------------------


def test_has_one_routes(api):
    not_found(api.get("/api/Customers/1/profile"), 'No "Profile" instance(s) found')
    created = api.post("/api/Customers/1/profile", json={"bio": "hi", "customerId": 2})
    assert created.json() == {"bio": "hi", "id": 1, "customerId": 1}
    second = api.post("/api/Customers/1/profile", json={"bio": "again"})
    assert second.status_code == 409  # LoopBack answered 500
    assert second.json()["error"]["message"] == "HasOne relation cannot create more than one instance of Profile"
    assert api.get("/api/Customers/1/profile").json() == {"bio": "hi", "id": 1, "customerId": 1}
    assert api.put("/api/Customers/1/profile", json={"bio": "new"}).json() == {"bio": "new", "id": 1, "customerId": 1}
    assert api.put("/api/Customers/1/profile", json={"customerId": 2}).status_code == 400
    assert api.delete("/api/Customers/1/profile").status_code == 204
    assert api.get("/api/Profiles").json() == []
    not_found(api.delete("/api/Customers/1/profile"), 'No "Profile" instance(s) found')
    not_found(api.put("/api/Customers/1/profile", json={"bio": "x"}), 'No "Profile" instance(s) found')


# -- hasMany through --------------------------------------------------------------------------


@pytest.fixture
def clinic(api):
    api.post("/api/Physicians", json={"name": "drA"})
    api.post("/api/Physicians", json={"name": "drB"})
    return api


def test_create_through_a_through_relation_links_the_new_record(clinic):
    assert clinic.post("/api/Physicians/1/patients", json={"name": "p1"}).json() == {"name": "p1", "id": 1}
    assert clinic.get("/api/Appointments").json() == [{"id": 1, "physicianId": 1, "patientId": 1}]
    assert clinic.post("/api/Physicians/1/patients", json=[{"name": "p2"}, {"name": "p3"}]).status_code == 200
    assert clinic.get("/api/Physicians/1/patients/count").json() == {"count": 3}


def test_link_unlink_and_exists(clinic):
    clinic.post("/api/Patients", json={"name": "p1"})
    linked = clinic.put("/api/Physicians/1/patients/rel/1", json={"date": "2024-01-01"})
    assert linked.status_code == 200
    assert linked.json() == {"date": "2024-01-01T00:00:00.000Z", "id": 1, "physicianId": 1, "patientId": 1}
    # linking again answers the existing link
    assert clinic.put("/api/Physicians/1/patients/rel/1").json()["id"] == 1
    assert len(clinic.get("/api/Appointments").json()) == 1
    not_found(clinic.put("/api/Physicians/1/patients/rel/99"), 'Unknown "Patient" id "99".')  # LoopBack linked it
    assert clinic.head("/api/Physicians/1/patients/rel/1").status_code == 200
    assert clinic.head("/api/Physicians/2/patients/rel/1").status_code == 404
    assert clinic.head("/api/Physicians/1/patients/rel/abc").status_code == 404
    assert clinic.delete("/api/Physicians/1/patients/rel/1").status_code == 204
    assert clinic.delete("/api/Physicians/1/patients/rel/1").status_code == 204
    assert clinic.get("/api/Appointments").json() == []
    assert clinic.get("/api/Patients").json() == [{"name": "p1", "id": 1}]


def test_by_id_routes_of_a_through_relation(clinic):
    clinic.post("/api/Physicians/1/patients", json={"name": "p1"})
    clinic.post("/api/Physicians/2/patients", json={"name": "p2"})
    assert clinic.get("/api/Physicians/1/patients/1").json() == {"name": "p1", "id": 1}
    not_found(
        clinic.get("/api/Physicians/1/patients/2"), "No relation found in Appointment for (Physician.1,Patient.2)"
    )
    assert clinic.put("/api/Physicians/1/patients/1", json={"name": "p1b"}).json() == {"name": "p1b", "id": 1}
    assert clinic.put("/api/Physicians/1/patients/2", json={"name": "x"}).status_code == 404
    assert clinic.delete("/api/Physicians/1/patients/1").status_code == 204
    assert [p["name"] for p in clinic.get("/api/Patients").json()] == ["p2"]
    assert clinic.get("/api/Appointments").json() == [{"id": 2, "physicianId": 2, "patientId": 2}]


def test_get_and_count_of_a_through_relation_apply_the_filter_to_the_targets(clinic):
    clinic.post("/api/Physicians/1/patients", json=[{"name": "ann"}, {"name": "bob"}, {"name": "cid"}])
    clinic.post("/api/Physicians/2/patients", json={"name": "dan"})
    found = clinic.get(
        "/api/Physicians/1/patients", params={"filter": '{"where":{"name":{"neq":"bob"}},"order":"name DESC"}'}
    )
    assert [p["name"] for p in found.json()] == ["cid", "ann"]
    assert clinic.get("/api/Physicians/1/patients/count", params={"where": '{"name":"bob"}'}).json() == {"count": 1}
    assert clinic.get("/api/Physicians/2/patients").json() == [{"name": "dan", "id": 4}]
    assert [p["name"] for p in clinic.get("/api/Patients/4/physicians").json()] == ["drB"]


def test_delete_all_of_a_through_relation_removes_the_links_only(clinic):
    clinic.post("/api/Physicians/1/patients", json=[{"name": "ann"}, {"name": "bob"}])
    clinic.put("/api/Physicians/2/patients/rel/1")
    assert clinic.delete("/api/Physicians/1/patients").status_code == 204
    assert clinic.get("/api/Physicians/1/patients").json() == []
    assert len(clinic.get("/api/Patients").json()) == 2
    assert clinic.get("/api/Appointments").json() == [{"id": 3, "physicianId": 2, "patientId": 1}]


def test_delete_all_of_a_through_relation_with_a_where_unlinks_the_targets_it_names(clinic):
    clinic.post("/api/Physicians/1/patients", json=[{"name": "ann"}, {"name": "bob"}])
    assert clinic.delete("/api/Physicians/1/patients", params={"where": '{"name": "bob"}'}).status_code == 204
    assert [p["name"] for p in clinic.get("/api/Physicians/1/patients").json()] == ["ann"]
    assert len(clinic.get("/api/Patients").json()) == 2
    assert clinic.delete("/api/Physicians/1/patients", params={"where": '{"name": "nobody"}'}).status_code == 204
    assert clinic.get("/api/Physicians/1/patients/count").json() == {"count": 1}


# -- hasAndBelongsToMany ----------------------------------------------------------------------


def test_has_and_belongs_to_many_uses_an_implicit_through_model(api):
    api.post("/api/Assemblies", json={"name": "a1"})
    assert api.post("/api/Assemblies/1/parts", json={"partNumber": "p-1"}).json() == {"partNumber": "p-1", "id": 1}
    api.post("/api/Parts", json={"partNumber": "p-2"})
    linked = api.put("/api/Assemblies/1/parts/rel/2", json={"extra": 1})
    assert linked.json() == {"id": 2, "assemblyId": 1, "partId": 2, "extra": 1}
    assert [p["partNumber"] for p in api.get("/api/Assemblies/1/parts").json()] == ["p-1", "p-2"]
    assert api.get("/api/Assemblies/1/parts/count").json() == {"count": 2}
    assert api.delete("/api/Assemblies/1/parts/rel/1").status_code == 204
    assert api.get("/api/Assemblies/1/parts").json() == [{"partNumber": "p-2", "id": 2}]
    # the link model is not public, as in LoopBack
    assert api.get("/api/AssemblyParts").status_code == 404


# -- referencesMany ---------------------------------------------------------------------------


def test_references_many_keeps_the_ids_on_the_owner(api):
    assert api.post("/api/Customers/1/tags", json={"name": "t1"}).json() == {"name": "t1", "id": 1}
    api.post("/api/Tags", json={"name": "t2"})
    assert api.put("/api/Customers/1/tags/rel/2").json() == {"name": "t2", "id": 2}
    duplicate = api.put("/api/Customers/1/tags/rel/2")
    assert duplicate.status_code == 422
    assert duplicate.json()["error"]["details"]["codes"] == {"tags": ["uniqueness"]}
    assert duplicate.json()["error"]["details"]["messages"] == {"tags": ["contains duplicate `Tag` instance"]}
    not_found(api.put("/api/Customers/1/tags/rel/99"), 'Unknown "Tag" id "99".')  # LoopBack answered null
    assert api.get("/api/Customers/1").json()["tagIds"] == [1, 2]
    assert api.get("/api/Customers/1/tags").json() == [{"name": "t1", "id": 1}, {"name": "t2", "id": 2}]
    assert api.get("/api/Customers/1/tags/count").json() == {"count": 2}
    assert api.head("/api/Customers/1/tags/rel/2").status_code == 200  # LoopBack answered 500
    assert api.head("/api/Customers/2/tags/rel/2").status_code == 404
    assert api.get("/api/Customers/1/tags/2").json() == {"name": "t2", "id": 2}
    not_found(api.get("/api/Customers/2/tags/2"), 'Unknown "Tag" id "2".')
    assert api.put("/api/Customers/1/tags/2", json={"name": "t2b"}).json() == {"name": "t2b", "id": 2}


def test_references_many_keeps_the_order_of_its_ids(api):
    for name in ("a", "b", "c"):
        api.post("/api/Tags", json={"name": name})
    for id in (3, 1, 2):
        api.put(f"/api/Customers/1/tags/rel/{id}")
    assert [t["name"] for t in api.get("/api/Customers/1/tags").json()] == ["c", "a", "b"]
    ordered = api.get("/api/Customers/1/tags", params={"filter": '{"order":"name ASC"}'})
    assert [t["name"] for t in ordered.json()] == ["a", "b", "c"]


def test_references_many_unlink_destroy_and_delete_all(api):
    api.post("/api/Customers/1/tags", json=[{"name": "t1"}, {"name": "t2"}, {"name": "t3"}])
    assert api.get("/api/Customers/1").json()["tagIds"] == [1, 2, 3]
    assert api.delete("/api/Customers/1/tags/rel/1").status_code == 204
    assert api.get("/api/Customers/1").json()["tagIds"] == [2, 3]
    assert len(api.get("/api/Tags").json()) == 3  # unlink leaves the tag
    assert api.delete("/api/Customers/1/tags/2").status_code == 204
    assert api.get("/api/Customers/1").json()["tagIds"] == [3]
    assert [t["name"] for t in api.get("/api/Tags").json()] == ["t1", "t3"]
    assert api.delete("/api/Customers/1/tags").status_code == 204
    # LoopBack left the deleted ids in the array
    assert api.get("/api/Customers/1").json()["tagIds"] == []
    assert [t["name"] for t in api.get("/api/Tags").json()] == ["t1"]


def test_references_many_delete_all_with_a_where(api):
    api.post("/api/Customers/1/tags", json=[{"name": "t1"}, {"name": "t2"}])
    assert api.delete("/api/Customers/1/tags", params={"where": '{"name": "t2"}'}).status_code == 204
    assert api.get("/api/Customers/1").json()["tagIds"] == [1]
    assert api.get("/api/Customers/1/tags/count", params={"where": '{"name": "t1"}'}).json() == {"count": 1}


# -- embedsOne --------------------------------------------------------------------------------


def test_embeds_one_stores_the_record_in_the_owner(api):
    not_found(api.get("/api/Customers/1/address"), 'No "Address" instance(s) found')
    assert api.post("/api/Customers/1/address", json={"street": "s1", "city": "c1"}).json() == {
        "street": "s1",
        "city": "c1",
    }
    assert api.put("/api/Customers/1/address", json={"city": "c3"}).json() == {"street": "s1", "city": "c3"}
    # the property is the model's name, with _ as it is the relation's name too
    assert api.get("/api/Customers/1").json()["_address"] == {"street": "s1", "city": "c3"}
    assert api.get("/api/Customers/1/address").json() == {"street": "s1", "city": "c3"}
    assert api.delete("/api/Customers/1/address").status_code == 204
    assert api.get("/api/Customers/1").json()["_address"] is None


# -- embedsMany -------------------------------------------------------------------------------


def test_embeds_many_stores_the_records_in_the_owner(api):
    assert api.get("/api/Customers/1/emails").json() == []
    work = api.post("/api/Customers/1/emails", json={"label": "work", "address": "w@x"}).json()
    assert work["label"] == "work" and len(work["id"]) == 24  # a generated id, as LoopBack's
    api.post("/api/Customers/1/emails", json={"label": "home", "address": "h@x"})
    assert api.post("/api/Customers/1/emails", json={"label": "x", "id": "custom"}).json() == {
        "label": "x",
        "id": "custom",
    }
    duplicate = api.post("/api/Customers/1/emails", json={"label": "y", "id": "custom"})
    assert duplicate.status_code == 422
    assert duplicate.json()["error"]["details"]["codes"] == {"emailAddresses": ["uniqueness"]}
    stored = api.get("/api/Customers/1").json()["emailAddresses"]
    assert [e["label"] for e in stored] == ["work", "home", "x"]
    assert [
        e["label"] for e in api.get("/api/Customers/1/emails", params={"filter": '{"where":{"label":"home"}}'}).json()
    ] == ["home"]
    assert api.get("/api/Customers/1/emails/count").json() == {"count": 3}  # LoopBack answered 0
    assert api.get("/api/Customers/1/emails/count", params={"where": '{"label":"x"}'}).json() == {"count": 1}
    assert api.get("/api/Customers/1/emails/custom").json() == {"label": "x", "id": "custom"}
    not_found(api.get("/api/Customers/1/emails/nope"), 'Unknown "EmailAddress" id "nope".')
    assert api.put("/api/Customers/1/emails/custom", json={"label": "z"}).json() == {"label": "z", "id": "custom"}
    assert api.delete("/api/Customers/1/emails/custom").status_code == 204
    assert api.delete("/api/Customers/1/emails/custom").status_code == 204
    assert api.get("/api/Customers/1/emails/count").json() == {"count": 2}
    assert api.delete("/api/Customers/1/emails").status_code == 204
    assert api.get("/api/Customers/1").json()["emailAddresses"] == []


# -- polymorphic ------------------------------------------------------------------------------


def test_polymorphic_has_many_and_belongs_to(api):
    picture = api.post("/api/Customers/1/pictures", json={"name": "pic1"}).json()
    assert picture == {"name": "pic1", "id": 1, "imageableId": 1, "imageableType": "Customer"}
    api.post("/api/Products", json={"name": "prod"})
    assert api.post("/api/Products/1/pictures", json={"name": "pic2"}).json()["imageableType"] == "Product"
    api.post("/api/Pictures", json={"name": "pic3", "imageableId": 1, "imageableType": "Nope"})
    assert [p["name"] for p in api.get("/api/Customers/1/pictures").json()] == ["pic1"]
    assert api.get("/api/Products/1/pictures/count").json() == {"count": 1}
    assert api.get("/api/Pictures/1/imageable").json()["name"] == "alice"
    assert api.get("/api/Pictures/2/imageable").json() == {"name": "prod", "id": 1}
    assert api.get("/api/Pictures/3/imageable").json() is None  # LoopBack answered 500


def test_polymorphic_object_form_names_its_keys(make_client):
    api = make_client(
        {
            "Photo": {
                "properties": {"url": "string"},
                "relations": {
                    "owner": {
                        "type": "belongsTo",
                        "polymorphic": {"as": "subject", "foreignKey": "refId", "discriminator": "kind"},
                    }
                },
            },
            "Author": {
                "properties": {"name": "string"},
                "relations": {
                    "photos": {
                        "type": "hasMany",
                        "model": "Photo",
                        "polymorphic": {"as": "subject", "foreignKey": "refId", "discriminator": "kind"},
                    }
                },
            },
        }
    )
    api.post("/api/Authors", json={"name": "ann"})
    assert api.post("/api/Authors/1/photos", json={"url": "u"}).json() == {
        "url": "u",
        "id": 1,
        "refId": 1,
        "kind": "Author",
    }
    assert api.get("/api/Photos/1/owner").json() == {"name": "ann", "id": 1}


# -- what relations declare at boot -----------------------------------------------------------


def test_inferred_foreign_keys_are_properties(api):
    created = api.post("/api/Orders", json={"description": "o", "customerId": "2"})
    assert created.json()["customerId"] == 2
    refused = api.post("/api/Orders", json={"customerId": "two"})
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["codes"] == {"customerId": ["number"]}


def test_related_data_in_a_body_is_not_stored(api):
    created = api.post(
        "/api/Customers", json={"name": "eve", "orders": [{"description": "n"}], "profile": {"bio": "x"}}
    )
    assert created.json() == {"name": "eve", "id": 3, "emailAddresses": [], "tagIds": []}
    assert api.get("/api/Customers/3").json() == {"name": "eve", "id": 3, "emailAddresses": [], "tagIds": []}
    assert api.get("/api/Orders").json() == []


def test_a_relation_scope_and_http_path_from_the_model_json(make_client):
    api = make_client(
        {
            "Author": {
                "properties": {"name": "string"},
                "relations": {
                    "published": {
                        "type": "hasMany",
                        "model": "Book",
                        "scope": {"where": {"published": True}, "order": "title DESC"},
                        "options": {"http": {"path": "books"}},
                    }
                },
            },
            "Book": {"properties": {"title": "string", "published": "boolean"}},
        }
    )
    api.post("/api/Authors", json={"name": "ann"})
    api.post(
        "/api/Books",
        json=[
            {"title": "a", "published": True, "authorId": 1},
            {"title": "b", "published": False, "authorId": 1},
            {"title": "c", "published": True, "authorId": 1},
        ],
    )
    assert [b["title"] for b in api.get("/api/Authors/1/books").json()] == ["c", "a"]
    assert api.get("/api/Authors/1/books/count").json() == {"count": 2}
    assert api.get("/api/Authors/1/published").status_code == 404
    included = api.get("/api/Authors", params={"filter": '{"include":"published"}'}).json()
    assert [b["title"] for b in included[0]["published"]] == ["c", "a"]


def test_a_relation_to_an_undefined_model_is_left_out_with_a_warning(make_client, caplog):
    api = make_client(
        {"Note": {"properties": {"title": "string"}, "relations": {"owner": {"type": "belongsTo", "model": "User"}}}}
    )
    assert 'model "User" is not defined; the relation is left out' in caplog.text
    assert api.get("/api/Notes/1/owner").status_code == 404
    assert api.get("/api/Notes", params={"filter": '{"include":"owner"}'}).status_code == 400


def test_shared_methods_can_switch_relation_routes_off(make_client):
    api = make_client(
        {
            "Author": {
                "properties": {"name": "string"},
                "options": {"remoting": {"sharedMethods": {"prototype.__delete__books": False}}},
                "relations": {"books": {"type": "hasMany", "model": "Book"}},
            },
            "Book": {"properties": {"title": "string"}},
        }
    )
    api.post("/api/Authors", json={"name": "ann"})
    switched_off = api.delete("/api/Authors/1/books")
    assert switched_off.status_code == 405 and switched_off.headers["allow"] == "GET, POST"
    assert api.get("/api/Authors/1/books").status_code == 200


def test_polymorphic_has_one_and_through_relations(make_client):
    api = make_client(
        {
            "Author": {
                "properties": {"name": "string"},
                "relations": {
                    "avatar": {"type": "hasOne", "model": "Image", "polymorphic": "imageable"},
                    "pictures": {"type": "hasMany", "model": "Image", "through": "ImageLink", "polymorphic": "owner"},
                },
            },
            "Reader": {
                "properties": {"name": "string"},
                "relations": {
                    "pictures": {"type": "hasMany", "model": "Image", "through": "ImageLink", "polymorphic": "owner"}
                },
            },
            "Image": {
                "properties": {"url": "string"},
                "relations": {"imageable": {"type": "belongsTo", "polymorphic": True}},
            },
            "ImageLink": {
                "properties": {},
                "relations": {
                    "image": {"type": "belongsTo", "model": "Image"},
                    "owner": {"type": "belongsTo", "polymorphic": True},
                },
            },
        }
    )
    api.post("/api/Authors", json={"name": "ann"})
    api.post("/api/Readers", json={"name": "rob"})
    avatar = api.post("/api/Authors/1/avatar", json={"url": "a.png"}).json()
    assert avatar == {"url": "a.png", "id": 1, "imageableId": 1, "imageableType": "Author"}
    assert api.get("/api/Authors/1/avatar").json()["url"] == "a.png"
    api.post("/api/Authors/1/pictures", json={"url": "b.png"})
    api.put("/api/Readers/1/pictures/rel/2")
    api.put("/api/Readers/1/pictures/rel/1")
    assert api.get("/api/ImageLinks").json() == [
        {"id": 1, "imageId": 2, "ownerId": 1, "ownerType": "Author"},
        {"id": 2, "imageId": 2, "ownerId": 1, "ownerType": "Reader"},
        {"id": 3, "imageId": 1, "ownerId": 1, "ownerType": "Reader"},
    ]
    assert [i["url"] for i in api.get("/api/Authors/1/pictures").json()] == ["b.png"]
    assert [i["url"] for i in api.get("/api/Readers/1/pictures").json()] == ["a.png", "b.png"]
    readers = api.get("/api/Readers", params={"filter": '{"include":"pictures"}'}).json()
    assert [i["url"] for i in readers[0]["pictures"]] == ["a.png", "b.png"]
    assert api.delete("/api/Readers/1/pictures/rel/2").status_code == 204
    assert [i["url"] for i in api.get("/api/Authors/1/pictures").json()] == ["b.png"]
    assert api.get("/api/ImageLinks/1/owner").json() == {"name": "ann", "id": 1}


def test_disable_include_leaves_the_relation_out_of_include(make_client):
    api = make_client(
        {
            "Author": {
                "properties": {"name": "string"},
                "relations": {"books": {"type": "hasMany", "model": "Book", "options": {"disableInclude": True}}},
            },
            "Book": {"properties": {"title": "string"}},
        }
    )
    api.post("/api/Authors", json={"name": "ann"})
    api.post("/api/Authors/1/books", json={"title": "t"})
    assert api.get("/api/Authors", params={"filter": '{"include":"books"}'}).json() == [{"name": "ann", "id": 1}]
    assert api.get("/api/Authors/1/books").json() == [{"title": "t", "id": 1, "authorId": 1}]


def test_a_null_foreign_key_is_an_override_too(api):
    api.post("/api/Customers/1/orders", json={"description": "mine"})
    assert api.put("/api/Customers/1/orders/1", json={"customerId": None}).status_code == 400
    assert api.put("/api/Customers/1/orders/1", json={"customerId": "x"}).status_code == 400
    assert api.put("/api/Customers/1/orders/1", json={"customerId": "1"}).status_code == 200
    assert api.get("/api/Orders/1").json()["customerId"] == 1


# -- nestRemoting -----------------------------------------------------------------------------

NESTED = {
    "Customer": {
        "properties": {"name": "string"},
        "relations": {
            "orders": {
                "type": "hasMany",
                "model": "Order",
                "foreignKey": "customerId",
                "options": {"nestRemoting": True},
            }
        },
    },
    "Order": {
        "properties": {"total": "number"},
        "relations": {
            "customer": {"type": "belongsTo", "model": "Customer", "foreignKey": "customerId"},
            "shipments": {"type": "hasMany", "model": "Shipment", "foreignKey": "orderId"},
        },
    },
    "Shipment": {"properties": {"carrier": "string"}},
}


def test_nest_remoting_serves_the_targets_relation_routes_under_the_owner(make_client):
    api = make_client(NESTED)
    api.post("/api/Customers", json={"name": "ann"})
    api.post("/api/Customers", json={"name": "bob"})
    api.post("/api/Customers/1/orders", json={"total": 5})
    api.post("/api/Customers/2/orders", json={"total": 7})
    api.post("/api/Orders/1/shipments", json={"carrier": "ups"})
    assert api.get("/api/Customers/1/orders/1/shipments").json() == [{"carrier": "ups", "id": 1, "orderId": 1}]
    assert api.get("/api/Customers/1/orders/1/shipments/count").json() == {"count": 1}
    assert api.get("/api/Customers/1/orders/1/shipments/1").json()["carrier"] == "ups"
    created = api.post("/api/Customers/1/orders/1/shipments", json={"carrier": "dhl"})
    assert created.status_code == 200 and created.json() == {"carrier": "dhl", "id": 2, "orderId": 1}
    assert api.get("/api/Customers/1/orders/1/customer").json() == {"name": "ann", "id": 1}
    # an order of another customer is not reached through this one (LoopBack's message)
    not_found(api.get("/api/Customers/1/orders/2/shipments"), "No instance with id 2 found for Order")
    not_found(api.get("/api/Customers/9/orders/1/shipments"), "could not find a model with id 9")
    assert api.delete("/api/Customers/1/orders/1/shipments/2").status_code == 204
    ids = {
        op["operationId"] for path in api.get("/explorer/swagger.json").json()["paths"].values() for op in path.values()
    }
    assert {
        "Customer.prototype.__get__orders__shipments",
        "Customer.prototype.__count__orders__shipments",
        "Customer.prototype.__get__orders__customer",
    } <= ids


def test_nest_remoting_from_python(tmp_path):
    from conftest import write_app
    from starlette.testclient import TestClient

    from lbpy import create_app

    models = {
        **NESTED,
        "Customer": {
            **NESTED["Customer"],
            "relations": {"orders": {"type": "hasMany", "model": "Order", "foreignKey": "customerId"}},
        },
    }
    root = write_app(tmp_path / "app", models)
    app = create_app(root)
    with TestClient(app) as api:
        assert api.get("/api/Customers/1/orders/1/shipments").status_code == 404
    app = create_app(root)
    app.models["Customer"].nest_remoting("orders")
    with pytest.raises(ValueError, match='Customer has no relation "nope" to nest'):
        app.models["Customer"].nest_remoting("nope")
    with TestClient(app) as api:
        api.post("/api/Customers", json={"name": "ann"})
        api.post("/api/Customers/1/orders", json={"total": 5})
        assert api.get("/api/Customers/1/orders/1/shipments").json() == []
