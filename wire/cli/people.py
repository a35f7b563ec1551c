"""`wire people`: people named as prisoners, hunger strikers or defendants, across languages."""

from __future__ import annotations

import click

from wire.cli.output import table
from wire.cli.state import pass_state


@click.group()
def people():
    """People named as prisoners, hunger strikers or defendants, across languages."""


@people.command("list")
@pass_state
def people_list(state):
    """Everyone indexed, with the number of stories that mention them.

    \b
    Example:
        wire people list
    """
    from aggregator.storage.people import list_people

    table(
        list_people(state.db),
        [
            ("id", "id"),
            ("name", "name"),
            ("stories", "stories"),
            ("mentions", "mentions"),
            ("languages", "languages"),
            ("last_seen", "last seen"),
        ],
    )


@people.command("show")
@click.argument("name")
@pass_state
def people_show(state, name):
    """The stories that mention a person (any spelling: 'Sahin' finds 'Şahin').

    \b
    Example:
        wire people show "Mahir Ekinci"
    """
    from aggregator.people import person_key
    from aggregator.storage.people import get_person

    person = get_person(state.db, person_key(name), name)
    click.echo(f"{person['name']}: {len(person['stories'])} stories")
    for story in person["stories"]:
        click.echo(f"  story {story['id']:>5}  {story['last_published_at'] or ''}  ({story['role']})  {story['title']}")
