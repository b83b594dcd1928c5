"""Relations from Python: ``instance.related(name)`` accessors, and what boot declares for
relations (foreign keys, embedded properties, implicit through models, API documents)."""

from __future__ import annotations

import anyio
import pytest
from conftest import write_app
from test_relations import EMBEDDED, SHOP

from lbpy import BadRequestError, ConflictError, NotFoundError, ValidationError, create_app


@pytest.fixture
def app(tmp_path):
    return create_app(write_app(tmp_path / "shop", SHOP, model_config=EMBEDDED))


def run(fn, *args):
    return anyio.run(fn, *args)


def test_has_many_accessor(app):
    Customer = app.model("Customer")

    async def main():
        alice, bob = await Customer.create({"name": "alice"}), await Customer.create({"name": "bob"})
        orders = alice.related("orders")
        first = await orders.create({"total": 10})
        await orders.create([{"total": 20}, {"total": 30}])
        theirs = await bob.related("orders").create({"total": 99})
        assert first.customerId == alice.id
        assert [o.total for o in await orders.find({"where": {"total": {"gte": 20}}, "order": "total DESC"})] == [
            30,
            20,
        ]
        assert await orders.count() == 3 and await orders.count({"total": 10}) == 1
        assert (await orders.find_by_id(first.id)).total == 10
        assert await orders.find_by_id(theirs.id) is None
        assert await orders.exists(first.id) and not await orders.exists(theirs.id)
        assert (await orders.update_by_id(first.id, {"total": 11})).total == 11
        with pytest.raises(NotFoundError):
            await orders.update_by_id(theirs.id, {"total": 1})
        with pytest.raises(BadRequestError, match="Cannot override foreign key customerId"):
            await orders.update_by_id(first.id, {"customerId": bob.id})
        await orders.destroy_by_id(first.id)
        assert await orders.destroy_all({"total": 20}) == {"count": 1}
        assert [o.total for o in await orders.find()] == [30]
        assert await bob.related("orders").count() == 1
        assert repr(orders) == "<hasMany Customer.orders of 1>"

    run(main)


def test_belongs_to_and_has_one_accessors(app):
    Customer, Order = app.model("Customer"), app.model("Order")

    async def main():
        alice = await Customer.create({"name": "alice"})
        order = await alice.related("orders").create({"total": 1})
        assert (await order.related("customer").get()).name == "alice"
        assert await (await Order.create({"total": 2})).related("customer").get() is None
        profile = alice.related("profile")
        assert await profile.get() is None
        await profile.create({"bio": "hi"})
        with pytest.raises(ConflictError):
            await profile.create({"bio": "again"})
        assert (await profile.update({"bio": "new"})).bio == "new"
        await profile.destroy()
        with pytest.raises(NotFoundError):
            await profile.destroy()

    run(main)


def test_through_and_references_many_accessors(app):
    Physician, Patient, Customer, Tag = (app.model(n) for n in ("Physician", "Patient", "Customer", "Tag"))

    async def main():
        doctor = await Physician.create({"name": "drA"})
        patient = await Patient.create({"name": "p1"})
        patients = doctor.related("patients")
        link = await patients.link(patient.id, {"date": "2024-02-03"})
        assert type(link).__name__ == "Appointment" and link.physicianId == doctor.id
        assert await patients.exists(patient.id)
        assert [p.name for p in await patient.related("physicians").find()] == ["drA"]
        await patients.unlink(patient.id)
        assert not await patients.exists(patient.id)
        alice = await Customer.create({"name": "alice"})
        tag = await Tag.create({"name": "t"})
        await alice.related("tags").link(tag.id)
        with pytest.raises(ValidationError):
            await alice.related("tags").link(tag.id)
        assert alice.tagIds == [tag.id]  # the accessor updates the owner it was given
        assert [t.name for t in await alice.related("tags").find()] == ["t"]

    run(main)


def test_embedded_accessors(app):
    Customer = app.model("Customer")

    async def main():
        alice = await Customer.create({"name": "alice"})
        address = alice.related("address")
        await address.create({"street": "s"})
        assert (await address.get()).street == "s"
        emails = alice.related("emails")
        created = await emails.create([{"label": "a"}, {"label": "b"}])
        assert [e.label for e in await emails.find({"order": "label DESC"})] == ["b", "a"]
        await emails.update_by_id(created[0].id, {"label": "c"})
        stored = await Customer.find_by_id(alice.id)
        assert [e["label"] for e in stored.emailAddresses] == ["c", "b"]
        with pytest.raises(ValidationError):
            await emails.create({"label": 5, "address": {"not": "text"}})

    run(main)


def test_an_unknown_relation_name(app):
    Customer = app.model("Customer")
    with pytest.raises(BadRequestError, match='Customer has no relation "nope"'):
        Customer({"id": 1}).related("nope")


# -- boot ---------------------------------------------------------------------------------------


def test_foreign_keys_take_the_type_of_the_key_they_point_to(tmp_path):
    app = create_app(
        write_app(
            tmp_path / "keys",
            {
                "Author": {
                    "idInjection": False,
                    "properties": {"code": {"type": "string", "id": True}},
                    "relations": {
                        "books": {"type": "hasMany", "model": "Book"},
                        "favorites": {"type": "referencesMany", "model": "Book"},
                    },
                },
                "Book": {
                    "properties": {"title": "string"},
                    "relations": {
                        "author": {"type": "belongsTo", "model": "Author"},
                        "picture": {"type": "belongsTo", "polymorphic": {"as": "pic", "idType": "string"}},
                    },
                },
            },
        )
    )
    book, author = app.model("Book").spec, app.model("Author").spec
    assert list(book.properties) == ["title", "id", "authorId", "picId", "picType"]
    assert book.properties["authorId"].type.name == "string"
    assert book.properties["picId"].type.name == "string"
    assert author.properties["bookIds"].type.describe() == "[number]"


def test_a_declared_foreign_key_is_kept(tmp_path):
    app = create_app(
        write_app(
            tmp_path / "declared",
            {
                "Customer": {"properties": {"name": "string"}},
                "Order": {
                    "properties": {"buyer": {"type": "number", "required": True}},
                    "relations": {"customer": {"type": "belongsTo", "model": "Customer", "foreignKey": "buyer"}},
                },
            },
        )
    )
    spec = app.model("Order").spec
    assert "customerId" not in spec.properties and spec.properties["buyer"].required


def test_the_implicit_through_model_is_a_model_of_the_datasource(tmp_path):
    app = create_app(
        write_app(
            tmp_path / "habtm",
            {
                "Assembly": {
                    "properties": {"name": "string"},
                    "relations": {"parts": {"type": "hasAndBelongsToMany", "model": "Part"}},
                },
                "Part": {
                    "properties": {"number": "string"},
                    "relations": {"assemblies": {"type": "hasAndBelongsToMany", "model": "Assembly"}},
                },
            },
        )
    )
    through = app.model("AssemblyPart")
    assert list(through.spec.properties) == ["id", "assemblyId", "partId"]
    assert through.datasource is app.datasources["db"]
    assert app.datasources["db"].models["AssemblyPart"] is through.spec
    # both sides share it, as LoopBack looked up <A><B> then <B><A> (the find below crosses it)
    assert "PartAssembly" not in app.models
    assert through not in app.exposed_models()

    async def main():
        await app.datasources["db"].automigrate()
        assembly = await app.model("Assembly").create({"name": "a"})
        part = await assembly.related("parts").create({"number": "p"})
        return [a.name for a in await part.related("assemblies").find()]

    assert run(main) == ["a"]


def test_an_app_defined_through_model_is_used_for_has_and_belongs_to_many(tmp_path):
    app = create_app(
        write_app(
            tmp_path / "named",
            {
                "Assembly": {
                    "properties": {"name": "string"},
                    "relations": {"parts": {"type": "hasAndBelongsToMany", "model": "Part"}},
                },
                "Part": {"properties": {"number": "string"}},
                "PartAssembly": {"properties": {"position": "number"}},
            },
        )
    )
    assert {"assemblyId", "partId"} <= set(app.model("PartAssembly").spec.properties)
    assert "AssemblyPart" not in app.models

    async def main():
        assembly = await app.model("Assembly").create({"name": "a"})
        part = await assembly.related("parts").create({"number": "p"})
        links = await app.model("PartAssembly").find()
        return [(link.assemblyId, link.partId) for link in links] == [(assembly.id, part.id)]

    assert run(main)


def test_through_keys_come_from_the_through_models_belongs_to(tmp_path):
    app = create_app(
        write_app(
            tmp_path / "keys",
            {
                "Physician": {
                    "properties": {"name": "string"},
                    "relations": {"patients": {"type": "hasMany", "model": "Patient", "through": "Visit"}},
                },
                "Patient": {"properties": {"name": "string"}},
                "Visit": {
                    "properties": {},
                    "relations": {
                        "doctor": {"type": "belongsTo", "model": "Physician", "foreignKey": "doctorRef"},
                        "patient": {"type": "belongsTo", "model": "Patient", "foreignKey": "patientRef"},
                    },
                },
            },
        )
    )

    async def linked():
        doctor = await app.model("Physician").create({"name": "d"})
        patient = await doctor.related("patients").create({"name": "p"})
        visit = (await app.model("Visit").find())[0]
        return visit.doctorRef == doctor.id and visit.patientRef == patient.id

    assert run(linked)


def test_a_model_related_to_itself_through_a_link(tmp_path):
    app = create_app(
        write_app(
            tmp_path / "follow",
            {
                "Person": {
                    "properties": {"name": "string"},
                    "relations": {
                        "following": {
                            "type": "hasMany",
                            "model": "Person",
                            "through": "Follow",
                            "foreignKey": "followerId",
                            "keyThrough": "followeeId",
                        }
                    },
                },
                "Follow": {
                    "properties": {},
                    "relations": {
                        "follower": {"type": "belongsTo", "model": "Person"},
                        "followee": {"type": "belongsTo", "model": "Person"},
                    },
                },
            },
        )
    )
    Person = app.model("Person")

    async def main():
        ann, bob = await Person.create({"name": "ann"}), await Person.create({"name": "bob"})
        await ann.related("following").link(bob.id)
        return (
            [p.name for p in await ann.related("following").find()],
            [p.name for p in await bob.related("following").find()],
        )

    assert run(main) == (["bob"], [])


def test_relation_routes_in_the_api_documents(app):
    from lbpy._rest._openapi import openapi_document, swagger_document

    document = swagger_document(app)
    customer_ops = [
        op["operationId"] for path in document["paths"].values() for op in path.values() if op["tags"] == ["Customer"]
    ]
    # LoopBack's order: by-id methods per relation, then list methods, then the built-ins
    assert customer_ops[:3] == [
        "Customer.prototype.__findById__orders",
        "Customer.prototype.__destroyById__orders",
        "Customer.prototype.__updateById__orders",
    ]
    assert customer_ops.index("Customer.prototype.__get__orders") < customer_ops.index("Customer.create")
    get_orders = document["paths"]["/Customers/{id}/orders"]["get"]
    assert get_orders["summary"] == "Queries orders of Customer."
    assert get_orders["parameters"] == [
        {
            "name": "id",
            "in": "path",
            "description": "Customer id",
            "required": True,
            "type": "string",
            "format": "JSON",
        },
        {"name": "filter", "in": "query", "required": False, "type": "string", "format": "JSON"},
    ]
    assert get_orders["responses"]["200"]["schema"] == {"type": "array", "items": {"$ref": "#/definitions/Order"}}
    count = document["paths"]["/Customers/{id}/orders/count"]["get"]["responses"]["200"]["schema"]
    assert count == {"type": "object", "properties": {"count": {"type": "number", "format": "double"}}}
    assert document["paths"]["/Customers/{id}/orders"]["delete"]["responses"] == {
        "204": {"description": "Request was successful"}
    }
    link = document["paths"]["/Physicians/{id}/patients/rel/{fk}"]
    assert set(link) == {"put", "delete", "head"}
    assert link["put"]["parameters"][2] == {
        "name": "data",
        "in": "body",
        "required": False,
        "schema": {"$ref": "#/definitions/Appointment"},
    }
    assert document["paths"]["/Orders/{id}/customer"]["get"]["operationId"] == "Order.prototype.__get__customer"
    # inferred keys and embedded properties are documented as LoopBack documented them
    assert document["definitions"]["Order"]["properties"]["customerId"] == {"type": "number", "format": "double"}
    assert document["definitions"]["Customer"]["properties"]["_address"] == {"$ref": "#/definitions/Address"}
    assert document["definitions"]["AssemblyPart"]["properties"] == {
        "id": {"type": "number", "format": "double"},
        "assemblyId": {"type": "number", "format": "double"},
        "partId": {"type": "number", "format": "double"},
    }
    openapi = openapi_document(app)
    assert "/Customers/{id}/orders/{fk}" in openapi["paths"]


def test_documented_relation_routes_are_served(app):
    """Every relation route the documents list answers something other than "no such route"."""
    from starlette.testclient import TestClient

    from lbpy._rest._openapi import swagger_document

    with TestClient(app) as client:
        for path, operations in swagger_document(app)["paths"].items():
            if "{fk}" not in path and not path.count("/") > 2:
                continue
            url = "/api" + path.replace("{id}", "1").replace("{fk}", "1")
            for verb in operations:
                response = client.request(verb.upper(), url, json={} if verb in ("put", "post", "patch") else None)
                if response.status_code == 404 and verb != "head":
                    assert "no method" not in response.json()["error"]["message"], (verb, path)


def test_the_documents_of_an_app_with_every_relation_type_are_valid(app):
    from openapi_spec_validator import validate

    from lbpy._rest._openapi import openapi_document

    validate(openapi_document(app))


def test_a_record_not_saved_yet_has_no_related_records(app):
    Customer, Order = app.model("Customer"), app.model("Order")

    async def main():
        await Order.create({"total": 1})  # an order of nobody
        unsaved = Customer({"name": "new"})
        assert await unsaved.related("orders").find() == []
        assert await unsaved.related("orders").count() == 0
        assert await unsaved.related("profile").get() is None
        with pytest.raises(BadRequestError, match="save it before adding orders"):
            await unsaved.related("orders").create({"total": 2})
        assert await Order.count() == 1

    run(main)


def test_an_empty_foreign_key_in_the_model_json_is_the_default_one(tmp_path):
    # what `lbpy relation` writes when the foreign key prompt is left empty, as LoopBack's did
    app = create_app(
        write_app(
            tmp_path / "empty",
            {
                "Customer": {
                    "properties": {"name": "string"},
                    "relations": {"orders": {"type": "hasMany", "model": "Order", "foreignKey": ""}},
                },
                "Order": {
                    "properties": {"total": "number"},
                    "relations": {"customer": {"type": "belongsTo", "model": "Customer", "foreignKey": ""}},
                },
            },
        )
    )

    async def main():
        customer = await app.model("Customer").create({"name": "c"})
        order = await customer.related("orders").create({"total": 1})
        return order.customerId == customer.id and (await order.related("customer").get()).id == customer.id

    assert run(main)


def test_an_undefined_through_model_stops_the_boot(tmp_path):
    from lbpy import BootError

    root = write_app(
        tmp_path / "nothrough",
        {
            "Physician": {
                "properties": {"name": "string"},
                "relations": {"patients": {"type": "hasMany", "model": "Patient", "through": "Visit"}},
            },
            "Patient": {"properties": {"name": "string"}},
        },
    )
    with pytest.raises(BootError, match='relation "patients": the through model "Visit" is not defined'):
        create_app(root)


def test_model_code_reaches_another_model_of_its_app(tmp_path):
    app = create_app(
        write_app(
            tmp_path / "app",
            {
                "Customer": {"properties": {"name": "string"}},
                "Order": {"properties": {"total": "number"}},
            },
        )
    )
    Customer = app.model("Customer")
    assert Customer.get_model("Order") is app.model("Order")
    with pytest.raises(LookupError, match=r'no model named "Nope" \(models: Customer, Order\)'):
        Customer.get_model("Nope")
