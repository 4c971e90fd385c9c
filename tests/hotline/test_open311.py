"""Open311 GeoReport v2 driven by the unmodified PyPI client ``georeport`` against a live server.

georeport 0.3.1 reads (services, service definitions, requests, one request) but has no method to file one
(its README: "does not currently support the creation of new 311 service requests"), so the filing is a
plain form POST as the spec describes it, with ``requests`` (the client's own HTTP library); everything
read back goes through the client, in JSON and in XML.
"""

from __future__ import annotations

import pytest
import requests
from georeport import GeoReport

from yiwang.hotline.choices import TicketSource, TicketState
from yiwang.hotline.models import Ticket
from yiwang.hotline.services import hotline_seed
from yiwang.testing.hotline import ticket_in_state
from yiwang.testing.world import build_world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(live_server, transactional_db):
    hotline_seed()  # a transactional test database is flushed: the seed migration's rows are gone
    world = build_world()
    return live_server.url + "/open311/v2", world


def test_georeport_client_lists_services_files_and_reads_back(site):
    root, world = site
    client = GeoReport(root)
    services = client.get_service_list()
    codes = {s["service_code"]: s for s in services}
    assert codes["0201"]["service_name"] == "路灯故障" and codes["0201"]["metadata"] is True
    assert codes["0201"]["group"] == "城市管理" and codes["0201"]["type"] == "realtime"
    assert "01" not in codes  # groups are not services
    definition = client.get_service_definition("0201")
    assert [a["code"] for a in definition["attributes"]] == ["pole_number", "fault"]
    assert definition["attributes"][1]["values"][0] == {"key": "off", "name": "不亮"}

    response = requests.post(
        root + "/requests.json",
        data={
            "service_code": "0201",
            "jurisdiction_id": world.county_a.code,
            "lat": "35.061",
            "long": "118.342",
            "address_string": "兰山区金雀山路与沂蒙路交叉口",
            "description": "路口东侧路灯连续三晚不亮，行人看不清路。",
            "first_name": "小明",
            "last_name": "李",
            "phone": "13905391111",
            "email": "li@example.cn",
            "attribute[fault]": "off",
            "attribute[pole_number]": "JQS-018",
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    filed = response.json()[0]
    number = filed["service_request_id"]
    ticket = Ticket.objects.get(number=number)
    assert ticket.source == TicketSource.OPEN311 and ticket.region == world.county_a
    assert ticket.attributes == {"fault": "off", "pole_number": "JQS-018"}
    assert ticket.caller_name_masked == "李**" and "13905391111" not in ticket.caller_phone_cipher

    read = client.get_service_request(number)
    assert read["service_request_id"] == number and read["status"] == "open"
    assert read["service_code"] == "0201" and read["description"].startswith("路口东侧路灯")
    assert read["lat"] == 35.061 and read["requested_datetime"].endswith("+08:00")
    assert "13905391111" not in str(read) and "li@example.cn" not in str(read)
    listed = client.get_service_requests(service_code="0201", status="open")
    assert [r["service_request_id"] for r in listed] == [number]
    assert client.get_service_requests(status="closed") == []

    xml_client = GeoReport(root, output_format="xml")
    assert xml_client.get_service_request(number)["service_request_id"] == number
    assert any(s["service_code"] == "0201" for s in xml_client.get_service_list())
    token = requests.get(f"{root}/tokens/{filed['token']}.json", timeout=10).json()
    assert token == [{"service_request_id": number, "token": filed["token"]}]


def test_only_open311_requests_are_public(site):
    root, world = site
    phone = ticket_in_state(world, "registered")  # a 12345 call: never listed
    client = GeoReport(root)
    assert client.get_service_requests() == []
    response = requests.get(f"{root}/requests/{phone.number}.json", timeout=10)
    assert response.status_code == 404 and response.json()[0]["code"] == 404


def test_errors_follow_the_spec_in_both_formats(site):
    root, _ = site
    missing = requests.post(root + "/requests.json", data={"service_code": "0201"}, timeout=10)
    assert missing.status_code == 400 and "lat" in missing.json()[0]["description"]
    unknown = requests.post(root + "/requests.xml", data={"service_code": "nope", "lat": "1", "long": "1"}, timeout=10)
    assert unknown.status_code == 404 and unknown.headers["Content-Type"].startswith("text/xml")
    assert "<errors><error><code>404</code>" in unknown.text
    required = requests.post(
        root + "/requests.json",
        data={"service_code": "0201", "lat": "35", "long": "118", "description": "路灯不亮了好几天"},
        timeout=10,
    )
    assert required.status_code == 400 and "attribute[fault]" in required.json()[0]["description"]
    bad_key = requests.post(
        root + "/requests.json",
        data={"service_code": "0202", "lat": "35", "long": "118", "description": "路面塌陷", "api_key": "yw_wrong"},
        timeout=10,
    )
    assert bad_key.status_code == 403
    assert Ticket.objects.count() == 0


def test_discovery_in_json_and_xml(site):
    root, _ = site
    discovery = requests.get(root + "/discovery.json", timeout=10).json()
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert discovery["endpoints"][0]["url"].endswith("/open311/v2")
    xml = requests.get(root + "/discovery.xml", timeout=10)
    assert xml.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    assert "<formats><format>text/xml</format><format>application/json</format></formats>" in xml.text


def test_closed_request_shows_the_reply_as_status_notes(site):
    root, world = site
    response = requests.post(
        root + "/requests.json",
        data={"service_code": "0202", "address_string": "兰山区沂蒙路", "description": "沂蒙路人行道井盖缺失。"},
        timeout=10,
    )
    number = response.json()[0]["service_request_id"]
    ticket = Ticket.objects.get(number=number)
    # No jurisdiction: the root of the region tree; an agent of the province would see it.
    assert ticket.region == world.province
    Ticket.objects.filter(pk=ticket.pk).update(
        state=TicketState.CLOSED,
        reply="已补装井盖。",
        replied_at=ticket.registered_at,
        closed_at=ticket.registered_at,
        department=world.dept_a_admin,
    )
    read = GeoReport(root).get_service_request(number)
    assert read["status"] == "closed" and read["status_notes"] == "已补装井盖。"
    assert read["agency_responsible"] == "兰山区行政审批服务局"
