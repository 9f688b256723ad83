"""Saved views and the column chooser of the lists, as people use them: a view keeps the
list's search, filters, sort and page size under a name, private or shared; one of them can
be the list's default for its user (removed in one click); each user chooses the columns of
each list. Everything is stored on the server per user, survives signing out, and refuses
forged input with a message, changing nothing."""

import pytest
from sqlalchemy import select

from admin_app.extensions import db
from admin_app.models import User
from admin_app.models.list_views import ListPreference, SavedView
from tests.factories import CustomerFactory
from tests.helpers.auth import ADMIN_EMAIL, log_in, page_token
from tests.helpers.pages import alerts, cells
from tests.helpers.words import said

LIST = "/admin/customer/"
SAVE = "/admin/listviews/customer/save"


def save(client, name="Clientes de SP", query="search=Silva&page_size=50", **extra):
    data = {"csrf_token": page_token(client, LIST + "?view=0"), "name": name, "query": query,
            **extra}
    return client.post(SAVE, data=data)


def post(client, url, **data):
    return client.post(url, data={"csrf_token": page_token(client, LIST + "?view=0"), **data})


def views_of():
    return db.session.scalars(select(SavedView).order_by(SavedView.id)).all()


@pytest.fixture()
def customers(app):
    for name in ("Ana Silva", "Bruno Souza", "Carla Silva"):
        CustomerFactory(name=name, city="Campinas")
    db.session.commit()


def test_a_saved_view_opens_the_list_as_it_was(admin_client, customers):
    response = save(admin_client)
    view = views_of()[-1]
    assert (view.name, view.query, view.shared) == ("Clientes de SP",
                                                    "search=Silva&page_size=50", False)
    assert response.status_code == 302
    assert response.location.endswith(f"{LIST}?search=Silva&page_size=50&view={view.id}")
    opened = admin_client.get(response.location)
    assert sorted(cells(opened, "name")) == ["Ana Silva", "Carla Silva"]
    body = opened.get_data(as_text=True)
    assert "Clientes de SP" in body and 'id="current-view"' in body
    assert ("success", said("View “%(name)s” saved.", name="Clientes de SP")) in alerts(opened)


def test_saving_again_under_the_same_name_updates_the_view(admin_client, customers):
    save(admin_client)
    response = admin_client.get(save(admin_client, query="search=Souza").location)
    assert [v.query for v in views_of()] == ["search=Souza"]
    assert ("success", said("View “%(name)s” updated.", name="Clientes de SP")) in \
        alerts(response)


def test_a_view_keeps_only_what_a_list_reads(admin_client, customers):
    save(admin_client, query="search=Silva&flt0_3=SP&after=abc&owner_id=9&csrf_token=x&sort=1")
    assert views_of()[-1].query == "search=Silva&flt0_3=SP&sort=1"


def test_a_private_view_is_its_owners_alone(admin_client, editor_client, customers):
    save(admin_client)
    view = views_of()[-1]
    assert "Clientes de SP" not in editor_client.get(LIST).get_data(as_text=True)
    for url in (f"/admin/listviews/customer/{view.id}/default",
                f"/admin/listviews/customer/{view.id}/delete"):
        response = editor_client.get(post(editor_client, url).location)
        assert ("danger", said("That saved view does not exist (or is private to someone "
                               "else).")) in alerts(response)
    assert views_of() == [view]
    assert db.session.scalars(select(ListPreference)).all() == []


def test_a_shared_view_is_everyones_to_open_and_its_owners_to_remove(
        admin_client, editor_client, customers):
    save(admin_client, shared="1")
    view = views_of()[-1]
    page = editor_client.get(LIST).get_data(as_text=True)
    assert "Clientes de SP" in page and ADMIN_EMAIL in page
    response = editor_client.get(post(editor_client,
                                      f"/admin/listviews/customer/{view.id}/delete").location)
    assert ("danger", said("Only the person who saved a view may remove it.")) in \
        alerts(response)
    assert views_of() == [view]
    # the editor may open the list with it
    post(editor_client, f"/admin/listviews/customer/{view.id}/default")
    opened = editor_client.get(LIST)
    assert opened.status_code == 302 and f"view={view.id}" in opened.location


def test_the_owner_is_whoever_is_signed_in(admin_client, editor_client, customers):
    admin = db.session.scalar(select(User).where(User.email == ADMIN_EMAIL))
    save(editor_client, owner_id=str(admin.id), owner=ADMIN_EMAIL)
    owner = db.session.get(User, db.session.scalar(select(SavedView)).owner_id)
    assert owner.email == "editor@teste.com.br"
    assert "Clientes de SP" not in admin_client.get(LIST).get_data(as_text=True)


def test_the_default_view_opens_the_list_until_removed_in_one_click(admin_client, customers):
    view_url = save(admin_client, default="1").location
    view = views_of()[-1]
    opened = admin_client.get(LIST)
    assert opened.status_code == 302 and opened.location.endswith(view_url.split("/admin")[-1])
    page = admin_client.get(opened.location)
    assert 'id="clear-default"' in page.get_data(as_text=True)
    assert sorted(cells(page, "name")) == ["Ana Silva", "Carla Silva"]
    # the whole list is one link away, without removing the default
    assert len(cells(admin_client.get(LIST + "?view=0"), "name")) == 3
    response = post(admin_client, "/admin/listviews/customer/default/clear",
                    query="search=Silva")
    assert ("success", said("The list now opens with no view.")) in \
        alerts(admin_client.get(response.location))
    assert admin_client.get(LIST).status_code == 200
    assert db.session.get(ListPreference, (view.owner_id, "customer")).default_view_id is None


def test_removing_a_view_stops_it_being_anyones_default(admin_client, editor_client,
                                                        customers):
    save(admin_client, shared="1", default="1")
    view = views_of()[-1]
    post(editor_client, f"/admin/listviews/customer/{view.id}/default")
    response = admin_client.get(post(admin_client,
                                     f"/admin/listviews/customer/{view.id}/delete").location)
    assert ("success", said("View “%(name)s” removed.", name="Clientes de SP")) in \
        alerts(response)
    assert views_of() == []
    assert editor_client.get(LIST).status_code == 200
    assert admin_client.get(LIST).status_code == 200


@pytest.mark.parametrize("name, message", [
    ("   ", "Give the view a name."),
    ("x" * 81, "The name is too long (at most %(limit)s characters)."),
])
def test_a_view_needs_a_sensible_name(admin_client, customers, name, message):
    response = admin_client.get(save(admin_client, name=name).location)
    assert ("danger", said(message, limit=80)) in alerts(response)
    assert views_of() == []


def test_a_search_too_long_to_keep_is_refused(admin_client, customers):
    response = admin_client.get(save(admin_client, query="search=" + "a" * 3000).location)
    assert ("danger", said("This list's search and filters are too long to be saved.")) in \
        alerts(response)
    assert views_of() == []


def test_the_columns_a_user_chooses_are_the_columns_shown(
        admin_client, editor_client, customers):
    response = post(admin_client, "/admin/listviews/customer/columns", action="save",
                    column=["name", "city"])
    page = admin_client.get(response.location)
    assert ("success", said("Columns saved.")) in alerts(page)
    assert len(cells(page, "name")) == 3 and cells(page, "document") == []
    assert "col-document" not in page.get_data(as_text=True)
    assert len(cells(page, "city")) == 3
    # someone else's list is untouched
    assert len(cells(editor_client.get(LIST), "document")) == 3
    post(admin_client, "/admin/listviews/customer/columns", action="reset")
    assert len(cells(admin_client.get(LIST), "document")) == 3


@pytest.mark.parametrize("columns, message", [
    (["name", "password", "nada"], "This list has no column %(names)s: nothing was changed."),
    ([], "Choose at least one column."),
])
def test_columns_that_do_not_exist_change_nothing(admin_client, customers, columns, message):
    post(admin_client, "/admin/listviews/customer/columns", action="save", column=["name"])
    response = post(admin_client, "/admin/listviews/customer/columns", action="save",
                    column=columns)
    page = admin_client.get(response.location)
    names = "“password”, “nada”"
    assert ("danger", said(message, names=names)) in alerts(page)
    assert cells(page, "document") == [] and len(cells(page, "name")) == 3


def test_views_and_columns_survive_signing_out(app, admin_client, customers):
    save(admin_client, default="1")
    post(admin_client, "/admin/listviews/customer/columns", action="save", column=["name"])
    admin_client.get("/logout")
    fresh = app.test_client()
    log_in(fresh, ADMIN_EMAIL)
    opened = fresh.get(LIST, follow_redirects=True)
    assert sorted(cells(opened, "name")) == ["Ana Silva", "Carla Silva"]
    assert cells(opened, "document") == []


def test_lists_the_user_may_not_see_and_unknown_lists(editor_client, reader_client):
    assert post(editor_client, "/admin/listviews/user/save", name="x").status_code == 403
    assert post(editor_client, "/admin/listviews/nada/save", name="x").status_code == 404
    assert post(reader_client, "/admin/listviews/user/columns",
                column=["email"]).status_code == 403
    assert db.session.scalars(select(SavedView)).all() == []


def test_every_change_needs_the_forms_csrf_token(admin_client, customers):
    response = admin_client.post(SAVE, data={"name": "Sem token", "query": ""})
    assert response.status_code == 400
    assert views_of() == []
