"""`wire mailsink`: a local SMTP server that keeps every message in a Maildir, for trying things out."""

from __future__ import annotations

import click

from aggregator.exceptions import WireError
from wire.cli.serve import listen_error


@click.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8025,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free port).",
)
@click.option("--maildir", type=click.Path(file_okay=False), default="data/maildir", show_default=True)
def mailsink(port, maildir):
    """Run a local SMTP server (aiosmtpd) that stores every message in a Maildir.

    \b
    Example:
        wire mailsink --port 8025 --maildir data/maildir
    """
    import time

    from wire.mailsink import MailSink

    try:
        sink = MailSink(maildir, port=port)
    except OSError as error:
        raise WireError(f"cannot use the Maildir {maildir}: {error.strerror or error}") from None
    try:
        sink.start()
    except OSError as error:
        raise listen_error(sink.host, sink.port, error) from None
    with sink:
        click.echo(f"SMTP on {sink.url}, storing in {maildir}; Ctrl-C stops", err=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
