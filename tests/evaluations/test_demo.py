"""The demo loader: ratings for the demo citizen, one bad review with an open order; idempotent."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_demo_loads_once_with_an_open_bad_review():
    from yiwang.cases.demo import cases_demo_load
    from yiwang.catalog.demo import catalog_demo_load
    from yiwang.evaluations.demo import evaluations_demo_load
    from yiwang.evaluations.models import Evaluation, RectificationOrder
    from yiwang.licenses.demo import licenses_demo_load
    from yiwang.regions.demo import demo_load

    demo_load()
    catalog_demo_load()
    licenses_demo_load()
    cases_demo_load()
    summary = evaluations_demo_load()
    assert summary.created and summary.bad == 1 and summary.open_orders == 1
    assert summary.evaluations == 5  # four online ratings by 张三 and one on the demo tablet
    assert len(summary.pairing_code) == 8
    assert summary.events > summary.evaluations  # some services are left 待评价
    order = RectificationOrder.objects.get()
    assert (order.state, order.evaluation.rater.username) == ("verifying", "citizen")
    again = evaluations_demo_load()
    assert not again.created and again.evaluations == Evaluation.objects.count() == 5
