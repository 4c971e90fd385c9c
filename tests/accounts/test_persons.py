"""Personal identifiers: encrypted at rest, found by blind index, masked everywhere, revealed only with
a purpose and an audit row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from yiwang.accounts.models import NaturalPerson
from yiwang.accounts.selectors import person_find_by_id_number
from yiwang.accounts.services import person_register, person_reveal_id_number
from yiwang.audit.models import AuditEvent
from yiwang.core import crypto
from yiwang.core.errors import DomainError, ErrorCode
from yiwang.core.identifiers import make_id_number
from yiwang.testing.world import World

ID_NUMBER = make_id_number("371302", dt.date(1958, 3, 9), 33)  # a fictional 68-year-old of 兰山区


@pytest.fixture
def registered(world: World) -> NaturalPerson:
    return person_register(
        actor=world.users["clerk_a"],
        name="孙秀英",
        id_number=ID_NUMBER,
        region=world.county_a,
        phone="13905391234",
    )


def test_raw_row_never_holds_the_plain_id_number_or_phone(registered: NaturalPerson):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_naturalperson WHERE id = %s", [registered.pk])
        row = cursor.fetchone()
    stored = " ".join(str(value) for value in row)
    assert ID_NUMBER not in stored
    assert ID_NUMBER[6:14] not in stored  # not even the birth date digits
    assert "13905391234" not in stored
    assert registered.id_number_masked == ID_NUMBER[:4] + "**********" + ID_NUMBER[-4:]
    assert registered.phone_masked == "139****1234"


def test_lookup_by_blind_index_finds_the_person(world: World, registered: NaturalPerson):
    found = person_find_by_id_number(user=world.users["clerk_a"], id_number=ID_NUMBER.lower())
    assert found is not None and found.pk == registered.pk
    other = make_id_number("371302", dt.date(1958, 3, 9), 34)
    assert person_find_by_id_number(user=world.users["clerk_a"], id_number=other) is None


def test_lookup_outside_scope_finds_nothing(world: World, registered: NaturalPerson):
    assert person_find_by_id_number(user=world.users["clerk_b"], id_number=ID_NUMBER) is None


def test_ciphertext_is_bound_to_its_column(registered: NaturalPerson):
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(registered.id_number_cipher, context="accounts.NaturalPerson.phone")


def test_second_registration_of_the_same_number_is_refused_and_changes_nothing(world: World, registered):
    before = NaturalPerson.objects.count()
    with pytest.raises(DomainError) as caught:
        person_register(actor=world.users["clerk_a"], name="别人", id_number=ID_NUMBER, region=world.county_a)
    assert caught.value.code == ErrorCode.CONFLICT
    assert caught.value.field == "id_number"
    assert NaturalPerson.objects.count() == before
    assert NaturalPerson.objects.get(pk=registered.pk).name == "孙秀英"


def test_reveal_needs_a_purpose_and_writes_nothing_without_one(world: World, registered: NaturalPerson):
    before = AuditEvent.objects.filter(action="person.reveal_id_number").count()
    with pytest.raises(DomainError) as caught:
        person_reveal_id_number(actor=world.users["clerk_a"], person_id=registered.pk, purpose="  ")
    assert caught.value.code == ErrorCode.PURPOSE_REQUIRED
    assert "用途" in caught.value.message
    assert AuditEvent.objects.filter(action="person.reveal_id_number").count() == before


def test_reveal_in_scope_returns_the_number_and_is_audited(world: World, registered: NaturalPerson):
    number = person_reveal_id_number(actor=world.users["clerk_a"], person_id=registered.pk, purpose="核验申请人身份")
    assert number == ID_NUMBER
    event = AuditEvent.objects.filter(action="person.reveal_id_number").get()
    assert event.actor_username == "clerk_a"
    assert event.purpose == "核验申请人身份"
    assert event.object_id == str(registered.pk)
    assert ID_NUMBER not in str(event.changes)


def test_reveal_out_of_scope_is_not_found_and_not_audited(world: World, registered: NaturalPerson):
    for username in ("clerk_b", "approver_a", "citizen_other"):
        with pytest.raises(DomainError) as caught:
            person_reveal_id_number(actor=world.users[username], person_id=registered.pk, purpose="核验申请人身份")
        assert caught.value.code == ErrorCode.NOT_FOUND
    assert not AuditEvent.objects.filter(action="person.reveal_id_number").exists()


def test_person_page_shows_the_number_masked_and_reveals_it_once_with_purpose(world: World, registered):
    client = Client()
    client.force_login(world.users["clerk_a"])
    url = reverse("workbench:person", args=[registered.pk])
    page = client.get(url).content.decode()
    assert registered.id_number_masked in page
    assert ID_NUMBER not in page
    refused = client.post(url, {"purpose": "看"}).content.decode()
    assert ID_NUMBER not in refused
    assert "须说明用途" in refused
    revealed = client.post(url, {"purpose": "核验申请人身份"})
    assert ID_NUMBER in revealed.content.decode()
    assert "no-store" in revealed["Cache-Control"]
    assert AuditEvent.objects.filter(action="person.view", object_id=str(registered.pk)).count() == 3
    assert AuditEvent.objects.filter(action="person.reveal_id_number").count() == 1


def test_find_page_lists_the_person_masked(world: World, registered: NaturalPerson):
    client = Client()
    client.force_login(world.users["clerk_a"])
    page = client.post(reverse("workbench:persons"), {"op": "find", "id_number": ID_NUMBER}).content.decode()
    assert "孙秀英" in page
    assert registered.id_number_masked in page
    assert page.count(ID_NUMBER) == 1  # only echoed back in the search box the clerk typed into


def test_find_page_explains_a_bad_id_number_in_chinese(world: World):
    client = Client()
    client.force_login(world.users["clerk_a"])
    bad = ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")
    page = client.post(reverse("workbench:persons"), {"op": "find", "id_number": bad}).content.decode()
    assert "身份证号校验位不正确" in page


def test_register_page_registers_and_redirects_to_the_masked_record(world: World):
    client = Client()
    client.force_login(world.users["clerk_a"])
    response = client.post(
        reverse("workbench:persons"),
        {"op": "register", "name": "周桂兰", "id_number": ID_NUMBER, "phone": "", "region_code": "371302001"},
    )
    person = NaturalPerson.objects.get(name="周桂兰")
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:person", args=[person.pk])
    assert person.region == world.town_a
