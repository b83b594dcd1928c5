"""``include`` in every form, over HTTP and from Python: one query per relation level, hidden and
protected properties kept out of included data, keys fetched even when ``fields`` leaves them out."""

from __future__ import annotations

import json

import anyio
import pytest
from conftest import write_app
from test_relations import EMBEDDED, SHOP

#: a memory connector that records each query it answers: (model, where)
COUNTING = """
from lbpy._connectors.memory import MemoryConnector


class CountingConnector(MemoryConnector):
    name = "counting"

    def __init__(self, settings=None, datasource=None):
        super().__init__(settings, datasource)
        self.queries = []

    def all(self, model, filter, options):
        self.queries.append((model, filter.where))
        return super().all(model, filter, options)


def initialize(datasource):
    datasource.connector = CountingConnector(datasource.settings, datasource)
"""


@pytest.fixture
def shop(tmp_path):
    """The shop of test_relations on a connector that counts queries; returns (client, queries)."""
    from starlette.testclient import TestClient

    from lbpy import create_app

    root = write_app(
        tmp_path / "shop", SHOP, model_config=EMBEDDED, datasources={"db": {"name": "db", "connector": "counting"}}
    )
    (root / "connectors").mkdir()
    (root / "connectors" / "counting.py").write_text(COUNTING)
    app = create_app(root)
    with TestClient(app) as client:
        seed(client)
        queries = app.datasources["db"].connector.queries
        queries.clear()
        yield client, queries


def seed(client):
    for name in ("alice", "bob", "carol"):
        client.post("/api/Customers", json={"name": name, "email": f"{name}@x", "password": "secret"})
    client.post(
        "/api/Customers/1/orders",
        json=[{"description": "a1", "total": 10, "secretNote": "s"}, {"description": "a2", "total": 30}],
    )
    client.post("/api/Customers/2/orders", json={"description": "b1", "total": 20})
    client.post("/api/Customers/1/profile", json={"bio": "hi"})


def get(client, path, filter):
    response = client.get(path, params={"filter": json.dumps(filter)})
    assert response.status_code == 200, response.text
    return response.json()


def orders_by_customer(customers):
    return {c["name"]: [o["description"] for o in c.get("orders", [])] for c in customers}


# -- forms --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "include",
    [
        "orders",
        ["orders"],
        {"orders": True},
        {"relation": "orders"},
        [{"relation": "orders", "scope": {}}],
    ],
)
def test_every_form_of_a_single_include(shop, include):
    client, _ = shop
    customers = get(client, "/api/Customers", {"include": include})
    assert orders_by_customer(customers) == {"alice": ["a1", "a2"], "bob": ["b1"], "carol": []}


def test_an_array_of_relations(shop):
    client, _ = shop
    customers = get(client, "/api/Customers", {"include": ["orders", "profile"]})
    assert customers[0]["profile"] == {"bio": "hi", "id": 1, "customerId": 1}
    # a hasOne with nothing related leaves the key out, as a belongsTo does
    assert "profile" not in customers[1]
    assert customers[1]["orders"] == [{"description": "b1", "total": 20, "id": 3, "customerId": 2}]


@pytest.mark.parametrize(
    "include",
    [
        {"orders": "customer"},
        {"orders": ["customer"]},
        {"orders": {"customer": True}},
        {"relation": "orders", "scope": {"include": "customer"}},
    ],
)
def test_nested_includes(shop, include):
    client, _ = shop
    customers = get(client, "/api/Customers", {"include": include, "where": {"name": "bob"}})
    assert customers[0]["orders"][0]["customer"] == {"name": "bob", "id": 2, "emailAddresses": [], "tagIds": []}


def test_deeply_nested_includes(shop):
    client, _ = shop
    customers = get(
        client,
        "/api/Customers",
        {"where": {"name": "alice"}, "include": {"orders": {"customer": ["orders", "profile"]}}},
    )
    owner = customers[0]["orders"][0]["customer"]
    assert [o["description"] for o in owner["orders"]] == ["a1", "a2"]
    assert owner["profile"]["bio"] == "hi"


def test_bracket_syntax(shop):
    client, _ = shop
    customers = client.get("/api/Customers?filter[include]=orders&filter[where][name]=bob").json()
    assert orders_by_customer(customers) == {"bob": ["b1"]}
    customers = client.get("/api/Customers?filter[include][orders]=customer&filter[where][name]=bob").json()
    assert customers[0]["orders"][0]["customer"]["name"] == "bob"


def test_find_one_and_find_by_id_include_too(shop):
    client, _ = shop
    assert get(client, "/api/Customers/1", {"include": "orders"})["orders"][1]["description"] == "a2"
    found = get(client, "/api/Customers/findOne", {"where": {"name": "bob"}, "include": ["orders", "profile"]})
    assert [o["description"] for o in found["orders"]] == ["b1"] and "profile" not in found
    assert get(client, "/api/Orders/3", {"include": "customer"})["customer"]["name"] == "bob"


def test_through_relations_include_from_their_through_model(shop):
    client, _ = shop
    client.post("/api/Physicians", json={"name": "drA"})
    client.post("/api/Physicians", json={"name": "drB"})
    client.post("/api/Physicians/1/patients", json={"name": "p1"})
    client.post("/api/Patients", json={"name": "p2"})
    client.put("/api/Physicians/1/patients/rel/2")
    client.put("/api/Physicians/2/patients/rel/2")
    physicians = get(client, "/api/Physicians", {"include": "patients"})
    assert {p["name"]: [x["name"] for x in p["patients"]] for p in physicians} == {"drA": ["p1", "p2"], "drB": ["p2"]}
    patients = get(
        client, "/api/Patients", {"include": {"relation": "physicians", "scope": {"order": "name DESC", "limit": 1}}}
    )
    assert {p["name"]: [x["name"] for x in p["physicians"]] for p in patients} == {"p1": ["drA"], "p2": ["drB"]}


def test_every_other_relation_type_includes(shop):
    client, _ = shop
    client.post("/api/Customers/1/tags", json=[{"name": "t1"}, {"name": "t2"}])
    client.post("/api/Customers/1/address", json={"street": "s"})
    client.post("/api/Customers/1/emails", json=[{"label": "work", "id": "w"}, {"label": "home", "id": "h"}])
    client.post("/api/Customers/1/pictures", json={"name": "pic"})
    client.post("/api/Assemblies", json={"name": "a"})
    client.post("/api/Assemblies/1/parts", json={"partNumber": "p"})
    alice = get(
        client,
        "/api/Customers/1",
        {"include": ["tags", "address", "pictures", {"relation": "emails", "scope": {"where": {"label": "home"}}}]},
    )
    assert [t["name"] for t in alice["tags"]] == ["t1", "t2"]
    assert alice["address"] == {"street": "s"}
    assert alice["emails"] == [{"label": "home", "id": "h"}]
    assert alice["pictures"] == [{"name": "pic", "id": 1, "imageableId": 1, "imageableType": "Customer"}]
    assert get(client, "/api/Pictures", {"include": "imageable"})[0]["imageable"]["name"] == "alice"
    assert get(client, "/api/Assemblies", {"include": "parts"})[0]["parts"] == [{"partNumber": "p", "id": 1}]


# -- scopes ---------------------------------------------------------------------------------------


def test_scope_where_order_and_paging_apply_per_parent(shop):
    client, _ = shop
    client.post("/api/Customers/2/orders", json=[{"description": "b2", "total": 5}, {"description": "b3", "total": 50}])
    scoped = get(
        client,
        "/api/Customers",
        {
            "include": {
                "relation": "orders",
                "scope": {"where": {"total": {"gte": 10}}, "order": "total DESC", "limit": 1},
            }
        },
    )
    assert orders_by_customer(scoped) == {"alice": ["a2"], "bob": ["b3"], "carol": []}
    skipped = get(
        client, "/api/Customers", {"include": {"relation": "orders", "scope": {"order": "total ASC", "skip": 1}}}
    )
    assert orders_by_customer(skipped) == {"alice": ["a2"], "bob": ["b1", "b3"], "carol": []}


def test_scope_fields_keep_the_key_the_include_needs(shop):
    client, _ = shop
    customers = get(
        client,
        "/api/Customers",
        {"where": {"name": "alice"}, "include": {"relation": "orders", "scope": {"fields": ["description"]}}},
    )
    # as LoopBack: the foreign key is fetched and returned with the fields asked for
    assert customers[0]["orders"] == [{"description": "a1", "customerId": 1}, {"description": "a2", "customerId": 1}]
    orders = get(
        client, "/api/Orders", {"where": {"id": 3}, "include": {"relation": "customer", "scope": {"fields": ["name"]}}}
    )
    assert orders[0]["customer"] == {"name": "bob", "id": 2}


def test_parent_fields_without_the_keys_still_include(shop):
    client, _ = shop
    # LoopBack answered 400 here ("ID property id is missing"), and left the belongsTo out
    customers = get(client, "/api/Customers", {"fields": ["name"], "include": "orders"})
    assert customers[0] == {
        "name": "alice",
        "orders": [
            {"description": "a1", "total": 10, "id": 1, "customerId": 1},
            {"description": "a2", "total": 30, "id": 2, "customerId": 1},
        ],
    }
    orders = get(client, "/api/Orders", {"fields": {"description": True}, "include": "customer"})
    assert orders[2] == {"description": "b1", "customer": {"name": "bob", "id": 2, "emailAddresses": [], "tagIds": []}}


def test_unknown_relations_are_400(shop):
    client, _ = shop
    for include in ("nope", ["orders", "nope"], {"nope": True}, {"relation": "nope"}, {"orders": "nope"}):
        response = client.get("/api/Customers", params={"filter": json.dumps({"include": include})})
        assert response.status_code == 400, include
        assert "not a relation of" in response.json()["error"]["message"]
    bad_scope = client.get(
        "/api/Customers",
        params={"filter": json.dumps({"include": {"relation": "orders", "scope": {"where": {"total": {"gt": "x"}}}}})},
    )
    assert bad_scope.status_code == 400


# -- hidden and protected -----------------------------------------------------------------------


def test_hidden_and_protected_properties_stay_hidden_in_included_data(shop):
    client, _ = shop
    # protected properties show at the top level, hidden ones never
    assert get(client, "/api/Customers/1", {})["email"] == "alice@x"
    assert "password" not in get(client, "/api/Customers/1", {})
    orders = get(client, "/api/Customers", {"include": {"orders": "customer"}, "where": {"name": "alice"}})[0]["orders"]
    assert all("secretNote" not in order for order in orders)
    assert "email" not in orders[0]["customer"] and "password" not in orders[0]["customer"]
    asked = get(
        client,
        "/api/Orders",
        {"where": {"id": 1}, "include": {"relation": "customer", "scope": {"fields": ["name", "email", "password"]}}},
    )
    assert asked[0]["customer"] == {"name": "alice", "id": 1}
    assert (
        "secretNote"
        not in get(
            client,
            "/api/Customers/1",
            {"include": {"relation": "orders", "scope": {"fields": ["secretNote", "description"]}}},
        )["orders"][0]
    )


def test_conditions_on_hidden_and_protected_properties_are_ignored_in_scopes(shop):
    client, _ = shop
    # a scope cannot probe the values it does not show
    by_email = get(
        client, "/api/Orders", {"include": {"relation": "customer", "scope": {"where": {"email": "alice@x"}}}}
    )
    assert [o["customer"]["name"] for o in by_email] == ["alice", "alice", "bob"]
    by_note = get(
        client, "/api/Customers/1", {"include": {"relation": "orders", "scope": {"where": {"secretNote": "s"}}}}
    )
    assert len(by_note["orders"]) == 2


# -- cost ---------------------------------------------------------------------------------------


def test_include_costs_one_query_per_level_however_many_parents(shop):
    client, queries = shop
    for number in range(30):
        client.post("/api/Customers", json={"name": f"c{number}"})
        client.post(f"/api/Customers/{number + 4}/orders", json=[{"total": number}, {"total": number + 1}])
    queries.clear()
    customers = get(client, "/api/Customers", {"include": {"orders": ["customer", "customer"]}})
    assert len(customers) == 33 and sum(len(c["orders"]) for c in customers) == 63
    assert [model for model, _ in queries] == ["Customer", "Order", "Customer", "Customer"]
    order_where = queries[1][1]
    assert order_where == {"customerId": {"inq": list(range(1, 34))}}


def test_scope_limits_never_turn_into_a_query_per_parent(shop):
    client, queries = shop
    get(client, "/api/Customers", {"include": {"relation": "orders", "scope": {"limit": 1, "order": "total DESC"}}})
    assert [model for model, _ in queries] == ["Customer", "Order"]


def test_a_through_relation_costs_two_queries_and_a_polymorphic_one_one_per_model(shop):
    client, queries = shop
    client.post("/api/Physicians", json={"name": "drA"})
    client.post("/api/Physicians/1/patients", json=[{"name": "p1"}, {"name": "p2"}])
    client.post("/api/Products", json={"name": "prod"})
    client.post("/api/Customers/1/pictures", json={"name": "c"})
    client.post("/api/Customers/2/pictures", json={"name": "c2"})
    client.post("/api/Products/1/pictures", json={"name": "p"})
    queries.clear()
    get(client, "/api/Physicians", {"include": "patients"})
    assert [model for model, _ in queries] == ["Physician", "Appointment", "Patient"]
    queries.clear()
    pictures = get(client, "/api/Pictures", {"include": "imageable"})
    assert [p["imageable"]["name"] for p in pictures] == ["alice", "bob", "prod"]
    assert sorted(model for model, _ in queries) == ["Customer", "Picture", "Product"]


def test_embedded_relations_cost_no_query(shop):
    client, queries = shop
    client.post("/api/Customers/1/emails", json={"label": "work"})
    queries.clear()
    get(client, "/api/Customers", {"include": ["emails", "address"]})
    assert [model for model, _ in queries] == ["Customer"]


def test_the_inq_limit_setting_pages_large_includes(tmp_path):
    from starlette.testclient import TestClient

    from lbpy import create_app

    root = write_app(
        tmp_path / "paged",
        SHOP,
        model_config=EMBEDDED,
        datasources={"db": {"name": "db", "connector": "counting", "inqLimit": 2}},
    )
    (root / "connectors").mkdir()
    (root / "connectors" / "counting.py").write_text(COUNTING)
    app = create_app(root)
    with TestClient(app) as client:
        seed(client)
        queries = app.datasources["db"].connector.queries
        queries.clear()
        customers = get(client, "/api/Customers", {"include": "orders"})
    assert orders_by_customer(customers) == {"alice": ["a1", "a2"], "bob": ["b1"], "carol": []}
    assert [where for model, where in queries if model == "Order"] == [
        {"customerId": {"inq": [1, 2]}},
        {"customerId": {"inq": [3]}},
    ]


# -- from Python --------------------------------------------------------------------------------


def test_included_records_are_model_instances_in_python(tmp_path):
    from lbpy import create_app

    app = create_app(write_app(tmp_path / "py", SHOP, model_config=EMBEDDED))
    Customer, Order = app.model("Customer"), app.model("Order")

    async def main():
        alice = await Customer.create({"name": "alice", "password": "p"})
        await alice.related("orders").create([{"total": 1}, {"total": 2, "secretNote": "n"}])
        found = await Customer.find_by_id(alice.id, {"include": "orders"})
        plain = await Customer.find_by_id(alice.id)
        return found, plain

    found, plain = anyio.run(main)
    assert [order.total for order in found.orders] == [1, 2]
    assert isinstance(found.orders[0], Order)
    assert found.orders[1].secretNote == "n"  # Python code sees everything
    assert found.to_json()["orders"][1] == {"total": 2, "id": 2, "customerId": 1}
    with pytest.raises(AttributeError, match="is a relation that was not included"):
        _ = plain.orders
    # saving an instance with included data does not store the included data
    anyio.run(found.save)
    assert "orders" not in anyio.run(Customer.find_by_id, 1).to_dict()


def test_the_filter_object_keeps_its_include(tmp_path):
    from lbpy import create_app

    app = create_app(write_app(tmp_path / "filter", SHOP, model_config=EMBEDDED))
    flt = app.model("Customer").parse_filter({"include": [{"relation": "orders", "scope": {"limit": 1}}, "profile"]})
    assert flt.to_dict() == {"include": [{"relation": "orders", "scope": {"limit": 1}}, "profile"]}
    polymorphic = app.model("Picture").parse_filter(
        {"include": {"relation": "imageable", "scope": {"fields": ["name"]}}}
    )
    assert polymorphic.to_dict() == {"include": [{"relation": "imageable", "scope": {"fields": ["name"]}}]}
