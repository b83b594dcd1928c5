"""The reference for `lbpy --help`: a bare Typer app with two commands."""

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False)


@app.command()
def hello(name: str = "world") -> None:
    """Say hello."""
    typer.echo(f"hello {name}")


@app.command()
def bye() -> None:
    """Say goodbye."""
    typer.echo("bye")


if __name__ == "__main__":
    app()
