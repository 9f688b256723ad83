"""The Lixeira of each list: deleted records, newest first, with who deleted them and when,
searchable; for the roles that may see those records' history."""

from admin_app.extensions import db
from admin_app.models import Customer
from tests.factories import CustomerFactory
from tests.helpers.words import said


def delete(model, object_id) -> None:
    db.session.delete(db.session.get(model, object_id))
    db.session.commit()


def trash(client, entity="Customer", **query):
    return client.get(f"/admin/history/{entity}/trash/", query_string=query)


def test_deleted_records_newest_first_with_who_and_when(app, admin_client):
    kept = CustomerFactory(name="Continua Aqui")
    first = CustomerFactory(name="João Apagado Primeiro")
    second = CustomerFactory(name="Maria Apagada Depois")
    delete(Customer, first.id)
    delete(Customer, second.id)
    page = trash(admin_client).get_data(as_text=True)
    assert page.index(f'data-id="{second.id}"') < page.index(f'data-id="{first.id}"')
    assert f'data-id="{kept.id}"' not in page
    assert "João Apagado Primeiro" in page and "sistema" in page


def test_the_trash_is_searchable(app, admin_client):
    gone = [CustomerFactory(name=name) for name in ("Ana Lixeira", "Bruno Lixeira",
                                                    "Cecília Lixeira")]
    for customer in gone:
        delete(Customer, customer.id)
    page = trash(admin_client, q="Cecília").get_data(as_text=True)
    assert "Cecília Lixeira" in page and "Bruno Lixeira" not in page
    page = trash(admin_client, q=str(gone[0].id)).get_data(as_text=True)
    assert f'data-id="{gone[0].id}"' in page
    page = trash(admin_client, q="nada-assim-%_").get_data(as_text=True)
    with app.app_context():
        assert said("No deleted record.") in page


def test_the_list_links_to_its_trash(app, admin_client, reader_client):
    page = admin_client.get("/admin/customer/").get_data(as_text=True)
    assert 'id="trash-link"' in page and "/admin/history/Customer/trash/" in page
    assert 'id="trash-link"' not in reader_client.get("/admin/customer/").get_data(as_text=True)


def test_who_may_see_a_trash(app, admin_client, editor_client, reader_client):
    assert trash(admin_client).status_code == 200
    assert trash(editor_client).status_code == 200
    assert trash(reader_client).status_code == 403
    assert trash(editor_client, entity="User").status_code == 403
    assert trash(admin_client, entity="User").status_code == 200
    assert trash(admin_client, entity="Nothing").status_code == 404
    assert trash(admin_client, page="99999999999").status_code == 200
    assert trash(admin_client, q="a\x00b").status_code == 200
