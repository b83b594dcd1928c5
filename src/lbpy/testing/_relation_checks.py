"""The relation checks: relation methods and ``include`` through lbpy's model layer.

They use the models of ``RELATION_MODELS`` (an owner with pets, licenses and favourite tags;
pets tagged through a link model) and run in ``model`` mode only: relations are lbpy's work,
built on the connector's ``all`` with ``inq`` and on its writes, so every connector that passes
the rest of the kit should pass these too.
"""

from __future__ import annotations

import inspect
from typing import Any

from .._errors import ConflictError, NotFoundError
from ._checks import check
from ._kit import Kit, expect, expect_raises, expect_that

MODEL = ("model",)


async def _family(kit: Kit) -> dict[str, Any]:
    """ann has rex (3) and fido (5), bob has tom (2), cid has no pet; stray (1) has no owner."""
    Owner, Pet = kit.model("KitOwner"), kit.model("KitPet")
    found: dict[str, Any] = {}
    for name in ("ann", "bob", "cid"):
        found[name] = await Owner.create({"name": name}, kit.options)
    for owner, pet, age in (("ann", "rex", 3), ("ann", "fido", 5), ("bob", "tom", 2)):
        found[pet] = await found[owner].related("pets").create({"name": pet, "age": age}, kit.options)
    found["stray"] = await Pet.create({"name": "stray", "age": 1}, kit.options)
    return found


def _names(records: Any) -> list[Any]:
    return [record.get("name") if isinstance(record, dict) else record.name for record in records or ()]


def _included(record: Any, name: str) -> Any:
    return record.to_dict().get(name)


@check(modes=MODEL, relations=True)
async def relation_has_many_create_sets_the_foreign_key(kit: Kit) -> None:
    """a record created through a hasMany relation is stored with the owner's id as foreign key."""
    family = await _family(kit)
    stored = await kit.model("KitPet").find_by_id(family["rex"].id, None, kit.options)
    expect_that(stored is not None, "the pet created through ann.pets must be stored", stored)
    assert stored is not None  # expect_that stopped the check otherwise
    expect(stored.ownerId, family["ann"].id, "ownerId of the pet created through ann.pets")


@check(modes=MODEL, relations=True)
async def relation_has_many_find_and_count_see_the_owners_records_only(kit: Kit) -> None:
    """find and count through a hasMany relation see the owner's records, with the caller's filter."""
    family = await _family(kit)
    pets = family["ann"].related("pets")
    expect(sorted(_names(await pets.find(None, kit.options))), ["fido", "rex"], "ann's pets")
    expect(_names(await pets.find({"where": {"age": {"gt": 3}}}, kit.options)), ["fido"], "ann's pets older than 3")
    expect(_names(await pets.find({"order": "age DESC"}, kit.options)), ["fido", "rex"], "ann's pets, oldest first")
    expect(await pets.count(None, kit.options), 2, "the count of ann's pets")
    expect(await pets.count({"age": {"lt": 4}}, kit.options), 1, "the count of ann's pets under 4")
    expect(await family["cid"].related("pets").find(None, kit.options), [], "cid's pets")


@check(modes=MODEL, relations=True)
async def relation_has_many_by_id_only_reaches_the_owners_records(kit: Kit) -> None:
    """find_by_id, update_by_id and destroy_by_id through a relation refuse another owner's record."""
    family = await _family(kit)
    pets = family["ann"].related("pets")
    expect(_names([await pets.find_by_id(family["rex"].id, kit.options)]), ["rex"], "ann's rex by id")
    expect(await pets.find_by_id(family["tom"].id, kit.options), None, "bob's tom through ann.pets")
    await expect_raises(
        NotFoundError,
        pets.update_by_id(family["tom"].id, {"age": 9}, kit.options),
        "updating bob's tom through ann.pets",
    )
    await expect_raises(
        NotFoundError, pets.destroy_by_id(family["tom"].id, kit.options), "deleting bob's tom through ann.pets"
    )
    tom = await kit.model("KitPet").find_by_id(family["tom"].id, None, kit.options)
    expect(tom.age if tom else None, 2, "tom's age after the refused update")
    await pets.update_by_id(family["rex"].id, {"age": 4}, kit.options)
    rex = await kit.model("KitPet").find_by_id(family["rex"].id, None, kit.options)
    expect(rex.age if rex else None, 4, "rex's age after an update through ann.pets")


@check(modes=MODEL, relations=True)
async def relation_has_many_destroy_all_deletes_the_owners_records(kit: Kit) -> None:
    """destroy_all through a hasMany relation deletes the owner's records and no others."""
    family = await _family(kit)
    await family["ann"].related("pets").destroy_all(None, kit.options)
    left = await kit.model("KitPet").find({"order": "name ASC"}, kit.options)
    expect(_names(left), ["stray", "tom"], "the pets left after deleting ann's")


@check(modes=MODEL, relations=True)
async def relation_belongs_to_get(kit: Kit) -> None:
    """belongsTo get returns the owner, or None when the foreign key is not set."""
    family = await _family(kit)
    owner = await family["rex"].related("owner").get(kit.options)
    expect(owner.name if owner else None, "ann", "rex's owner")
    expect(await family["stray"].related("owner").get(kit.options), None, "the stray's owner")


@check(modes=MODEL, relations=True)
async def relation_has_one_create_get_and_only_one(kit: Kit) -> None:
    """hasOne create stores the foreign key, get finds it, and a second create is refused (409)."""
    family = await _family(kit)
    license = family["ann"].related("license")
    expect(await license.get(kit.options), None, "ann's license before one is created")
    created = await license.create({"code": "A-1"}, kit.options)
    expect(created.ownerId, family["ann"].id, "ownerId of ann's license")
    found = await license.get(kit.options)
    expect(found.code if found else None, "A-1", "ann's license")
    await expect_raises(ConflictError, license.create({"code": "A-2"}, kit.options), "a second license for ann")
    expect(await family["bob"].related("license").get(kit.options), None, "bob's license")


@check(modes=MODEL, relations=True)
async def relation_include_has_many_groups_by_parent(kit: Kit) -> None:
    """include of a hasMany relation gives each parent its own records, and [] to a parent with none."""
    await _family(kit)
    owners = await kit.model("KitOwner").find({"order": "name ASC", "include": "pets"}, kit.options)
    got = {owner.name: sorted(_names(_included(owner, "pets"))) for owner in owners}
    expect(got, {"ann": ["fido", "rex"], "bob": ["tom"], "cid": []}, "pets included per owner")


@check(modes=MODEL, relations=True)
async def relation_include_belongs_to(kit: Kit) -> None:
    """include of a belongsTo relation gives each record its owner; none when the key is not set."""
    await _family(kit)
    pets = await kit.model("KitPet").find({"order": "name ASC", "include": "owner"}, kit.options)
    got = {pet.name: owner.name if (owner := _included(pet, "owner")) is not None else None for pet in pets}
    expect(got, {"fido": "ann", "rex": "ann", "stray": None, "tom": "bob"}, "owner included per pet")


@check(modes=MODEL, relations=True)
async def relation_include_scope_pages_per_parent(kit: Kit) -> None:
    """an include scope's where, order and limit apply to each parent's records."""
    await _family(kit)
    owners = await kit.model("KitOwner").find(
        {"order": "name ASC", "include": {"relation": "pets", "scope": {"order": "age DESC", "limit": 1}}}, kit.options
    )
    got = {owner.name: _names(_included(owner, "pets")) for owner in owners}
    expect(got, {"ann": ["fido"], "bob": ["tom"], "cid": []}, "each owner's oldest pet")
    owners = await kit.model("KitOwner").find(
        {"order": "name ASC", "include": {"relation": "pets", "scope": {"where": {"age": {"gte": 3}}}}}, kit.options
    )
    got = {owner.name: sorted(_names(_included(owner, "pets"))) for owner in owners}
    expect(got, {"ann": ["fido", "rex"], "bob": [], "cid": []}, "each owner's pets of 3 or more")


@check(modes=MODEL, relations=True)
async def relation_include_nested(kit: Kit) -> None:
    """nested include: owners with their pets, each pet with its owner again."""
    await _family(kit)
    owners = await kit.model("KitOwner").find({"where": {"name": "ann"}, "include": {"pets": "owner"}}, kit.options)
    pets = _included(owners[0], "pets") if owners else []
    expect(
        sorted((pet.name, _included(pet, "owner").name) for pet in pets),
        [("fido", "ann"), ("rex", "ann")],
        "ann's pets with their owner included",
    )


@check(modes=MODEL, relations=True)
async def relation_include_keeps_keys_out_of_fields(kit: Kit) -> None:
    """with fields leaving the id out, include still finds the related records and the id stays out."""
    await _family(kit)
    owners = await kit.model("KitOwner").find({"fields": ["name"], "order": "name ASC", "include": "pets"}, kit.options)
    expect(
        [sorted(owner.to_dict()) for owner in owners],
        [["name", "pets"]] * 3,
        "the properties of owners found with fields [name] and include pets",
    )
    expect(sorted(_names(_included(owners[0], "pets"))), ["fido", "rex"], "ann's pets")


@check(modes=MODEL, relations=True)
async def relation_through_link_find_and_unlink(kit: Kit) -> None:
    """a hasMany through relation links existing records, finds them, includes them and unlinks them."""
    family = await _family(kit)
    Tag = kit.model("KitTag")
    cute, old = await Tag.create({"label": "cute"}, kit.options), await Tag.create({"label": "old"}, kit.options)
    tags = family["rex"].related("tags")
    await tags.link(cute.id, None, kit.options)
    await tags.link(old.id, None, kit.options)
    await family["fido"].related("tags").link(old.id, None, kit.options)
    made = await tags.create({"label": "loud"}, kit.options)
    expect(sorted(t.label for t in await tags.find(None, kit.options)), ["cute", "loud", "old"], "rex's tags")
    expect(await tags.count(None, kit.options), 3, "the count of rex's tags")
    expect(await tags.exists(old.id, kit.options), True, "rex tagged old")
    await tags.unlink(old.id, kit.options)
    expect(await tags.exists(old.id, kit.options), False, "rex tagged old after the unlink")
    expect_that(await Tag.find_by_id(old.id, None, kit.options) is not None, "unlink must leave the tag itself", old.id)
    pets = await kit.model("KitPet").find({"order": "name ASC", "include": "tags"}, kit.options)
    got = {pet.name: sorted(t.label for t in _included(pet, "tags")) for pet in pets}
    expect(got, {"fido": ["old"], "rex": ["cute", "loud"], "stray": [], "tom": []}, "tags included per pet")
    owners_of_loud = await made.related("pets").find(None, kit.options)
    expect(_names(owners_of_loud), ["rex"], "the pets tagged loud, from the other side")


@check(modes=MODEL, relations=True)
async def relation_references_many_keeps_ids_on_the_owner(kit: Kit) -> None:
    """referencesMany stores the target ids in an array on the owner, in the order they were added."""
    family = await _family(kit)
    Tag = kit.model("KitTag")
    first, second = (
        await Tag.create({"label": "first"}, kit.options),
        await Tag.create({"label": "second"}, kit.options),
    )
    ann = family["ann"]
    favorites = ann.related("favorites")
    await favorites.link(second.id, None, kit.options)
    await favorites.link(first.id, None, kit.options)
    stored = await kit.model("KitOwner").find_by_id(ann.id, None, kit.options)
    assert stored is not None  # ann was created above
    expect(stored.get("kitTagIds"), [second.id, first.id], "ann's kitTagIds")
    expect([t.label for t in await favorites.find(None, kit.options)], ["second", "first"], "ann's favorites")
    owners = await kit.model("KitOwner").find({"where": {"name": "ann"}, "include": "favorites"}, kit.options)
    expect([t.label for t in _included(owners[0], "favorites")], ["second", "first"], "ann's favorites included")
    await favorites.unlink(second.id, kit.options)
    stored = await kit.model("KitOwner").find_by_id(ann.id, None, kit.options)
    assert stored is not None  # ann was created above
    expect(stored.get("kitTagIds"), [first.id], "ann's kitTagIds after the unlink")


@check(modes=MODEL, relations=True)
async def relation_include_costs_one_query_per_level(kit: Kit) -> None:
    """include fetches each level's related records in one query, whatever the number of parents."""
    Owner = kit.model("KitOwner")
    for number in range(12):
        owner = await Owner.create({"name": f"owner{number}"}, kit.options)
        await owner.related("pets").create([{"name": f"pet{number}a"}, {"name": f"pet{number}b"}], kit.options)
    calls: list[str] = []
    datasource = kit.datasource
    original = datasource.all

    async def counting(model: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(model)
        result = original(model, *args, **kwargs)
        return await result if inspect.isawaitable(result) else result

    datasource.all = counting  # type: ignore[method-assign]  # counts the calls that reach the datasource
    try:
        owners = await Owner.find({"include": {"pets": "owner"}}, kit.options)
    finally:
        del datasource.all
    expect(sum(len(_included(owner, "pets")) for owner in owners), 24, "the pets included")
    expect(calls, ["KitOwner", "KitPet", "KitOwner"], "the models queried for owners, their pets, and the pets' owners")
