"""Operations commands: users and keys, the API server, policy checks and what-ifs, cases, outbox, churn model."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from aftersales.cli.common import console, domain_errors, print_json, settings_for

HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="Data directory (overrides AFTERSALES_HOME).", show_default=False)
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object for machines.")]

users_app = typer.Typer(help="Users, roles and API keys.", no_args_is_help=True)
policy_app = typer.Typer(help="The triage policy: show, validate, simulate a new one.", no_args_is_help=True)
cases_app = typer.Typer(help="Cases: the queue, SLA checks, replaying stored messages.", no_args_is_help=True)
outbox_app = typer.Typer(help="Notification outbox: deliver, list.", no_args_is_help=True)
churn_app = typer.Typer(help="The churn-risk model trained on this merchant's history.", no_args_is_help=True)


@users_app.command("create")
def users_create(
    name: Annotated[str, typer.Argument(help="Username.")],
    role: Annotated[str, typer.Option("--role", help="admin, manager or agent.")],
    queue: Annotated[list[str] | None, typer.Option("--queue", help="Queue an agent works (repeatable).")] = None,
    display_name: Annotated[str | None, typer.Option("--display-name", help="Name shown in the app.")] = None,
    password: Annotated[
        bool, typer.Option("--password", help="Also set a web-login password (prompted, not echoed).")
    ] = False,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Create a user and print their API key ONCE (only its hash is stored)."""
    from aftersales.services.users import create_user

    secret = typer.prompt("password", hide_input=True, confirmation_prompt=True) if password else None
    with domain_errors():
        result = create_user(name, role, queue, display_name, secret, settings_for(home))
    if json_out:
        print_json({"user": result["user"], "role": result["role"], "api_key": result["api_key"]})
        return
    console.print(
        f"created {result['role']} [bold]{result['user']}[/] (queues: {', '.join(result['queues']) or 'all'})"
    )
    console.print(f"API key (shown once, store it now): [bold]{result['api_key']}[/]", soft_wrap=True)


@users_app.command("list")
def users_list(home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """List users with role and queues."""
    from aftersales.services.users import list_users

    with domain_errors():
        rows = list_users(settings_for(home))
    if json_out:
        print_json(rows)
        return
    table = Table(title="users")
    for col in ("username", "role", "queues", "active"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["username"], r["role"], ", ".join(r["queues"]) or "all", "yes" if r["active"] else "no")
    console.print(table)


@users_app.command("revoke-keys")
def users_revoke(name: Annotated[str, typer.Argument(help="Username.")], home: HomeOpt = None) -> None:
    """Revoke every API key of a user."""
    from aftersales.services.users import revoke_keys

    with domain_errors():
        n = revoke_keys(name, settings_for(home))
    console.print(f"revoked {n} key(s) of {name}")


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    home: HomeOpt = None,
) -> None:
    """Run the REST API (and web app) with uvicorn; OpenAPI docs at /docs."""
    import uvicorn

    if home is not None:
        os.environ["AFTERSALES_HOME"] = str(home)
    with domain_errors():
        settings = settings_for(home)
        from aftersales.storage import db

        db.get_engine(settings)  # migrate once before workers start
    console.print(f"aftersales on http://{host}:{port} (API docs http://{host}:{port}/docs)")
    uvicorn.run(
        "aftersales.api.app:serve_app", factory=True, host=host, port=port, workers=workers, log_level="warning"
    )


@policy_app.command("validate")
def policy_validate(file: Annotated[Path, typer.Argument(help="Policy YAML.")], json_out: JsonOpt = False) -> None:
    """Check a policy file; errors name the rule and the field."""
    from aftersales.services.policy import validate_file

    with domain_errors():
        report = validate_file(file)
    if json_out:
        print_json(report)
    elif report["ok"]:
        console.print(
            f"[green]ok[/]: policy {report['name']} {report['policy_version']}, {len(report['rules'])} rules",
            highlight=False,
        )
        for warning in report["warnings"]:
            console.print(f"[yellow]warning[/] {warning}", highlight=False, soft_wrap=True)
    else:
        for err in report["errors"]:
            console.print(f"[red]error[/] {err}", highlight=False, soft_wrap=True)
    if not report["ok"]:
        raise typer.Exit(2)


@policy_app.command("show")
def policy_show(home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Show the active policy's rules."""
    from aftersales.services.policy import active_policy

    with domain_errors():
        data = active_policy(settings_for(home))
    if json_out:
        print_json(data)
        return
    table = Table(title=f"policy {data['version']}")
    for col in ("#", "rule", "description"):
        table.add_column(col)
    for i, rule in enumerate(data["rules"], 1):
        table.add_row(str(i), rule["id"], str(rule.get("description") or ""))
    console.print(table)


@policy_app.command("simulate")
def policy_simulate(
    file: Annotated[Path, typer.Argument(help="The candidate policy YAML.")],
    since: Annotated[str | None, typer.Option("--since", help="Replay decisions from this date (YYYY-MM-DD).")] = None,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
    limit: Annotated[int, typer.Option(help="Changed cases to list.")] = 20,
) -> None:
    """Replay stored messages under a new policy beside the current one: priorities, queues, SLA breaches, changes."""
    from aftersales.cli.render import print_wide, simulation_tables
    from aftersales.services.policy import simulate

    with domain_errors():
        report = simulate(file, since=since, settings=settings_for(home))
    if json_out:
        print_json(report)
        return
    for table in simulation_tables(report, limit):
        print_wide(table)


@cases_app.command("list")
def cases_list(
    queue: Annotated[str | None, typer.Option(help="Only this queue.")] = None,
    status: Annotated[list[str] | None, typer.Option(help="Only these statuses (repeatable).")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only open cases.")] = True,
    limit: Annotated[int, typer.Option(help="How many.")] = 20,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """The queue as an agent sees it: priority first, then the SLA due time."""
    from aftersales.cli.render import case_table, print_wide
    from aftersales.services.cases import list_cases
    from aftersales.services.users import system_principal

    with domain_errors():
        result = list_cases(
            system_principal(),
            queue=queue,
            status=status,
            open_only=open_only,
            limit=limit,
            settings=settings_for(home),
        )
    if json_out:
        print_json(result)
        return
    print_wide(case_table(result["data"], f"{result['count']:,} cases"))


@cases_app.command("process")
def cases_process(home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Run every stored message that has no case yet through the pipeline (analysis → signals → policy → case)."""
    from aftersales.cli.render import progress_bar
    from aftersales.services.replay import process_stored

    with domain_errors(), progress_bar(disable=json_out) as on_progress:
        result = process_stored(settings_for(home), progress=on_progress)
    if json_out:
        print_json(result)
    else:
        console.print(result)


@cases_app.command("check-sla")
def cases_check_sla(home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Detect SLA breaches now: stamp them on the cases, write the audit trail, notify."""
    from aftersales.services.notify import detect_breaches

    with domain_errors():
        result = detect_breaches(settings_for(home))
    if json_out:
        print_json(result)
    else:
        console.print(result)


@outbox_app.command("deliver")
def outbox_deliver(
    loop: Annotated[bool, typer.Option("--loop", help="Keep delivering every --interval seconds.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between rounds with --loop.")] = 10.0,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Send due notifications (email over SMTP, group-robot webhooks); failures are retried with backoff."""
    import time

    from aftersales.services.notify import deliver
    from aftersales.services.outbox import senders_from_settings

    with domain_errors():
        settings = settings_for(home)
        senders = senders_from_settings(settings)
        while True:
            report = deliver(settings, senders)
            if json_out:
                print_json(report)
            else:
                console.print(report)
            if not loop:
                break
            time.sleep(interval)


@churn_app.command("train")
def churn_train(home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Fit the churn-risk model on this merchant's own history (needs enough cases/returns; else rules are used)."""
    from aftersales.services.customer_view import train_churn

    with domain_errors():
        result = train_churn(settings_for(home))
    if json_out:
        print_json(result)
    else:
        console.print(result)
