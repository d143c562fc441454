"""The ``wangge`` command line: import, partition, plan, serve, db, demo."""

from __future__ import annotations

import typer

from api.cli import backup, classes, db, demo, hotspots, importing, partition, plan, serve, user
from api.cli.print import print_sheets

app = typer.Typer(
    name="wangge",
    help="wangge 网格: community grid management: import, partition, maps, print.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("import")(importing.import_layer)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.command("partition")(partition.partition)
app.command("hotspots")(hotspots.hotspots)
app.add_typer(plan.app, name="plan")
app.add_typer(db.app, name="db")
app.add_typer(classes.app, name="classes")
app.add_typer(user.app, name="user")
app.command("backup")(backup.backup)
app.command("restore")(backup.restore)
app.command("print")(print_sheets)


def main() -> None:
    """Entry point of the console script."""
    app()
