def test_admin_sees_every_list(admin_client, app):
    from tests.factories import OrderItemFactory, StockMovementFactory
    StockMovementFactory()
    OrderItemFactory()
    for endpoint in ("customer", "supplier", "category", "product", "order", "orderitem",
                     "stockmovement", "financialentry", "user", "role", "auditentry"):
        for path in ("/", "/new/"):
            r = admin_client.get(f"/admin/{endpoint}{path}")
            assert r.status_code in (200, 403), (endpoint, path, r.status_code)
    assert admin_client.get("/admin/").status_code == 200
