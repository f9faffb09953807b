"""Admin CLI: schools (add-school, list-schools, remove-school, no-school), counsellors
(add-counsellor, remove-counsellor, list-counsellors), refresh, purge, forget and
upgrade-db (the app database's schema).

Runs on the server, against the same databases as the gateway (VAGVISAREN_VAR_DIR,
VAGVISAREN_TRACKER_DB, VAGVISAREN_DATABASE_URL).
"""

from __future__ import annotations

import re
import sys

import typer

from bot.auth import accounts, schools
from bot.labels import LANGUAGES
from bot.settings import get_settings

cli = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=True)
_AGE = re.compile(r"^(\d+)\s*([dw]?)$")


def parse_age(value: str) -> int:
    """"90d", "12w" or "90" as a number of days."""
    match = _AGE.match(value.strip().lower())
    if not match:
        raise typer.BadParameter("use days like 90d, weeks like 12w, or a plain number of days")
    number, unit = int(match.group(1)), match.group(2)
    return number * 7 if unit == "w" else number


@cli.command("add-school")
def add_school(
    school: str = typer.Argument(..., help="The id the school's widget sends (data-school)."),
    name: str = typer.Argument(..., help="The school's name, for people."),
) -> None:
    """Register a school: only registered schools receive handovers and sign-ups."""
    try:
        added = schools.add_school(school, name)
    except schools.SchoolError as err:
        typer.echo(f"Not added: {err}", err=True)
        raise typer.Exit(1) from err
    typer.echo(f"Registered {added.id} ({added.name}).")


@cli.command("list-schools")
def list_schools() -> None:
    for school in schools.list_schools():
        typer.echo(f"{school.id}\t{school.name}")


@cli.command("remove-school")
def remove_school(school: str = typer.Argument(...)) -> None:
    """Unregister a school that has no accounts left; its new requests go to no school."""
    try:
        removed = schools.remove_school(school)
    except schools.SchoolError as err:
        typer.echo(f"Not removed: {err}", err=True)
        raise typer.Exit(1) from err
    if not removed:
        typer.echo(f"No school {school!r}.", err=True)
        raise typer.Exit(1)
    typer.echo(f"Removed {school}.")


@cli.command("no-school")
def no_school() -> None:
    """The admin's queue: handovers and sign-ups that named no registered school.

    No counsellor's view shows them; read them here, on the server."""
    items = schools.no_school_queue()
    for item in items:
        typer.echo(f"{item.created_at:%Y-%m-%d %H:%M}\t{item.kind}\t{item.conversation_id}\t"
                   f"{item.language}\t{item.text}")
    typer.echo(f"{len(items)} request(s) without a registered school.", err=True)


@cli.command("add-counsellor")
def add_counsellor(
    username: str = typer.Option(..., "--username"),
    school: str = typer.Option(..., "--school", help="The school id the widget sends."),
    language: str | None = typer.Option(
        None, "--language", help=f"{', '.join(LANGUAGES)}; default: the default language"),
    role: str = typer.Option("counsellor", "--role",
                             help="counsellor, or admin (also reads the school's audit log)"),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Read the password from standard input."),
) -> None:
    """Create an account that sees only SCHOOL's conversations."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        account = accounts.add_counsellor(username, school, password, language, role=role)
    except accounts.AccountError as err:
        typer.echo(f"Not created: {err}", err=True)
        raise typer.Exit(1) from err
    typer.echo(f"Created {account.role} {account.username} for school {account.school} "
               f"({account.language}).")


@cli.command("remove-counsellor")
def remove_counsellor(username: str = typer.Option(..., "--username")) -> None:
    """Delete an account and its sessions."""
    if not accounts.remove_counsellor(username):
        typer.echo(f"No account {username!r}.", err=True)
        raise typer.Exit(1)
    typer.echo(f"Removed {username}.")


@cli.command("list-counsellors")
def list_counsellors() -> None:
    for account in accounts.list_counsellors():
        typer.echo(f"{account.username}\t{account.school}\t{account.language}\t{account.role}")


@cli.command()
def refresh() -> None:
    """Fold Rasa's new events (event broker) into the summaries (the API also does this on
    each request)."""
    from bot.summaries import refresh as run_refresh

    typer.echo(f"{run_refresh()} new events processed.")


@cli.command()
def purge(
    older_than: str = typer.Option(None, "--older-than",
                                   help="Age: 90d, 12w; default from settings"),
) -> None:
    """Delete transcripts, summaries, sign-ups and handovers older than the retention period."""
    from bot.summaries.purge import purge as run_purge

    days = parse_age(older_than) if older_than else get_settings().retention_days
    report = run_purge(days)
    typer.echo(
        f"Purged older than {days} days: {report.conversations} conversations "
        f"({report.events} events from the event broker, {report.tracker_events} from the "
        f"tracker store, {report.summaries} summaries), "
        f"{report.signups} sign-ups, {report.handovers} handovers, "
        f"{report.audit_entries} audit entries. Anonymous weekly counts kept."
    )



@cli.command()
def forget(conversation_id: str = typer.Argument(..., help="The conversation id to erase")) -> None:
    """Erase one conversation now: transcript, summary, sign-ups and handovers."""
    from bot.summaries.purge import forget as run_forget

    report = run_forget(conversation_id)
    if not report.conversations:
        typer.echo(f"No data for conversation {conversation_id}.", err=True)
        raise typer.Exit(1)
    typer.echo(f"Erased conversation {conversation_id}: {report.events} events from the event "
               f"broker, {report.tracker_events} from the tracker store, "
               f"{report.summaries} summary, {report.signups} sign-ups, "
               f"{report.handovers} handovers.")


@cli.command("upgrade-db")
def upgrade_db() -> None:
    """Upgrade the app database to the newest migration now (each process also does it when it
    first opens the database); prints the migration it is at."""
    from bot.storage import engine, migrate

    typer.echo(f"The app database is at migration {migrate.current(engine())}.")


if __name__ == "__main__":
    cli()
