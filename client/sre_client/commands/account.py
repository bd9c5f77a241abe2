"""`sre account settings`: the account's time zone and business hours (the on-call analyses' off hours)."""
import click

from sre_client import render
from sre_client.commands.base import Group, json_flag
from sre_client.connection import Connection
from sre_client.operations import format_business_hours, parse_business_hours

FLAGS = {"timezone": "--timezone", "business_hours": "--business-hours"}


@click.group(cls=Group)
def account():
    """The account's settings."""


@account.command("settings")
@click.option("--timezone", help="IANA time zone of the business hours, e.g. Europe/Berlin")
@click.option("--business-hours", help="Days and local hours, e.g. 'Mon-Fri 09-18' or 'Sun-Thu 08:00-17:00'")
@json_flag
@click.pass_obj
def account_settings(conn: Connection, timezone, business_hours, as_json):
    """Show the time zone and business hours; with flags, set them (owner, admin).

    Pages outside the business hours count as off hours in the on-call load and the Escalation / Load
    analysis."""
    body = {}
    if timezone is not None:
        body["timezone"] = timezone
    if business_hours is not None:
        try:
            body["business_hours"] = parse_business_hours(business_hours)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--business-hours") from exc
    answer = conn.call("PUT" if body else "GET", "/account/settings", body or None, flags=FLAGS)
    if as_json:
        return render.as_json(answer)
    render.fields([("time zone", answer["timezone"]),
                   ("business hours", format_business_hours(answer["business_hours"]))])
