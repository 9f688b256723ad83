"""Jumping in a big list: a numbered page (`?page=N`, or the pager's box) shows the rows
OFFSET would, read after the page map's nearest checkpoint (admin_app/admin/page_map.py);
the map is forgotten when the table changes; a page past the end shows the last one, a page
that is not a number the first, each with a message; the letter index of a list sorted by a
text column starts at the letter's first row. The map's spacing is shrunk here so a few
hundred rows exercise it; its speed at a million rows is `python -m bench lists`."""

import re
from decimal import Decimal

import pytest

from admin_app.admin import page_map
from admin_app.extensions import db
from admin_app.models import Product
from tests.factories import CategoryFactory, ProductFactory
from tests.helpers.pages import alerts, cells
from tests.helpers.words import said


@pytest.fixture(autouse=True)
def small_map(monkeypatch):
    monkeypatch.setattr(page_map, "STRIDE", 7)
    monkeypatch.setattr(page_map, "DIRECT_ROWS", 0)
    monkeypatch.setattr(page_map, "FIRST_WALK", 30)
    page_map._maps.clear()
    yield
    page_map._maps.clear()


def products(count: int) -> list[Product]:
    category = CategoryFactory()
    made = [ProductFactory(category=category, name=f"{'ABCDEFGH'[n % 8]}roduto {n % 13:02}",
                           price=Decimal(n % 5)) for n in range(count)]
    db.session.commit()
    return made


def names_in(*order):
    return [p.name for p in db.session.scalars(db.select(Product).order_by(*order))]


@pytest.mark.parametrize("sort, order", [
    ("", (Product.name, Product.id)),
    ("&desc=1", (Product.name.desc(), Product.id.desc())),
])
def test_every_numbered_page_shows_the_rows_offset_would(admin_client, sort, order):
    products(103)
    expected = names_in(*order)
    name_sort = re.search(r'href="[^"]*\bsort=(\d+)[^"]*"[^>]*>\s*Nome',
                          admin_client.get("/admin/product/").get_data(as_text=True))
    sort_arg = f"&sort={name_sort[1]}" if name_sort and sort else ""
    for page in range(6):
        response = admin_client.get(f"/admin/product/?page_size=20&page={page}{sort_arg}{sort}")
        assert cells(response, "name") == expected[page * 20:page * 20 + 20], page
    assert page_map._maps  # the deep pages came through the map


def test_a_page_sorted_with_ties_comes_through_the_map(admin_client):
    products(60)
    expected = names_in(Product.price, Product.id)
    page = admin_client.get("/admin/product/").get_data(as_text=True)
    price = re.search(r'href="([^"]*\bsort=\d+[^"]*)"[^>]*>\s*Preço', page)
    url = price[1].replace("&amp;", "&")
    for number in range(3):
        response = admin_client.get(f"{url}&page={number}")
        assert cells(response, "name") == expected[number * 20:number * 20 + 20]


def test_the_map_is_forgotten_when_the_table_changes(admin_client):
    products(80)
    admin_client.get("/admin/product/?page=3")
    assert page_map._maps
    category = CategoryFactory()
    ProductFactory(category=category, name="Aaa primeiro")
    db.session.commit()
    expected = names_in(Product.name, Product.id)
    response = admin_client.get("/admin/product/?page=3")
    assert cells(response, "name") == expected[60:80]


def test_the_page_box_takes_pages_as_people_count(admin_client):
    products(50)
    expected = names_in(Product.name, Product.id)
    first = admin_client.get("/admin/product/?search=roduto")
    assert 'name="goto"' in first.get_data(as_text=True)
    assert '<input type="hidden" name="search" value="roduto">' in first.get_data(as_text=True)
    response = admin_client.get("/admin/product/?search=roduto&goto=2")
    assert cells(response, "name") == expected[20:40]
    assert said("Page %(page)s of %(pages)s", page="2", pages="3") in \
        response.get_data(as_text=True)


@pytest.mark.parametrize("number", ["10000000000000", "1" + "0" * 40])
def test_a_page_past_the_end_shows_the_last_page_and_says_so(admin_client, number):
    products(45)
    expected = names_in(Product.name, Product.id)
    response = admin_client.get(f"/admin/product/?page={number}")
    assert response.status_code == 200
    assert cells(response, "name") == expected[-20:]  # as the "Última" link shows it
    shown = f"{int(number) + 1:,}".replace(",", ".")
    assert ("info", said("There is no page %(page)s: this is the last page.", page=shown)) \
        in alerts(response)


@pytest.mark.parametrize("arg", ["page=abc", "page=-3", "goto=0", "goto=dois", "page=1.5"])
def test_a_page_that_is_not_a_number_shows_the_first_page_and_says_so(admin_client, arg):
    products(45)
    expected = names_in(Product.name, Product.id)
    response = admin_client.get(f"/admin/product/?{arg}")
    assert response.status_code == 200
    assert cells(response, "name") == expected[:20]
    value = arg.split("=")[1]
    assert ("danger", said("“%(value)s” is not a page number: showing the first page.",
                           value=value)) in alerts(response)


def test_a_numbered_list_past_its_end_shows_its_last_page(admin_client):
    """Lists that cannot use keyset pages (sorted by a related record) too."""
    products(25)
    response = admin_client.get("/admin/order/?page=999")
    assert response.status_code == 200
    response = admin_client.get("/admin/product/?page=999&sort=2")
    assert response.status_code == 200
    assert len(cells(response, "name")) == 5


def test_the_letter_index_starts_at_the_letters_first_row(admin_client):
    products(100)
    expected = names_in(Product.name, Product.id)
    page = admin_client.get("/admin/product/").get_data(as_text=True)
    assert 'class="letter-index"' in page
    response = admin_client.get("/admin/product/?letter=E")
    shown = cells(response, "name")
    start = next(i for i, name in enumerate(expected) if name >= "E")
    assert shown == expected[start:start + 20]
    assert said("Page %(page)s of %(pages)s", page=str(start // 20 + 1), pages="5") in \
        response.get_data(as_text=True)
    # a letter nothing reaches, and one that is not a letter: no error
    assert admin_client.get("/admin/product/?letter=Z").status_code == 200
    assert cells(admin_client.get("/admin/product/?letter=%27"), "name") == expected[:20]


def test_no_letter_index_on_a_list_not_sorted_by_text(admin_client):
    products(30)
    page = admin_client.get("/admin/product/").get_data(as_text=True)
    price = re.search(r'href="([^"]*\bsort=\d+[^"]*)"[^>]*>\s*Preço', page)
    sorted_by_price = admin_client.get(price[1].replace("&amp;", "&")).get_data(as_text=True)
    assert 'class="letter-index"' not in sorted_by_price
