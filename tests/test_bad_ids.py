"""Ids typed or tampered with in a URL never reach the database as bad values."""

import pytest

from admin_app.extensions import db
from admin_app.models import FinancialEntry
from tests.factories import CustomerFactory, FinancialEntryFactory
from tests.helpers.auth import csrf_token

ENDPOINTS = ("customer", "supplier", "category", "product", "order", "orderitem",
             "stockmovement", "financialentry", "user", "role", "auditentry")


@pytest.mark.parametrize("bad_id", ["abc", "99999999999999999999", "-1", "1.5", "", "١"])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_details_and_edit_with_a_bad_id_redirect_to_the_list(admin_client, endpoint, bad_id):
    CustomerFactory()
    for view in ("details", "edit"):
        response = admin_client.get(f"/admin/{endpoint}/{view}/?id={bad_id}")
        assert response.status_code in (302, 403), (view, response.status_code)
        if response.status_code == 302:
            assert f"/admin/{endpoint}/" in response.headers["Location"]


@pytest.mark.parametrize("action", ["delete", "mark_paid"])
def test_bulk_actions_with_tampered_ids_change_nothing_and_do_not_fail(admin_client, action):
    entry = FinancialEntryFactory()
    response = admin_client.post("/admin/financialentry/action/", data={
        "action": action, "rowid": ["abc", "99999999999999999999"],
        "csrf_token": csrf_token(admin_client)})
    assert response.status_code == 302
    db.session.expire_all()
    kept = db.session.get(FinancialEntry, entry.id)
    assert kept is not None and kept.paid_at is None
