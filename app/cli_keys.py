"""flask keys generate|rotate: keys encrypting the issued passwords (CREDENTIAL_KEYS)."""

import sys

import click
from flask.cli import AppGroup

keys_cli = AppGroup("keys", help="Keys encrypting issued passwords (CREDENTIAL_KEYS).")


@keys_cli.command("generate")
def generate() -> None:
    """Print a new random key; put it FIRST in CREDENTIAL_KEYS, then run `flask keys rotate`."""
    from app.security import generate_key

    click.echo(generate_key())


@keys_cli.command("rotate")
def rotate() -> None:
    """Re-encrypt every stored issued password with the newest key (first of CREDENTIAL_KEYS)."""
    from app.services import ServiceError
    from app.services.keys import rotate_credentials

    try:
        counts = rotate_credentials("cli")
    except ServiceError as exc:
        click.echo(f"鍵の切り替えを中止しました: {exc.message}", err=True)
        sys.exit(1)
    click.echo(
        f"re-encrypted {counts['rotated']} password(s) with the newest key "
        f"({counts['older']} were under an older key)"
    )
    click.echo("older keys may now be removed from CREDENTIAL_KEYS")


if __name__ == "__main__":  # works before any key is configured: python -m app.cli_keys generate
    from app.security import generate_key

    print(generate_key())
