#!/usr/bin/env python
"""`python manage.py run | db … | users … | seed-demo`: the Flask CLI on create_app."""

from flask.cli import FlaskGroup

from admin_app import create_app

cli = FlaskGroup(create_app=lambda: create_app())

if __name__ == "__main__":
    cli()
