"""smtp_sink -- aiosmtpd handler for ward's tests: saves every message it
accepts as DIR/<n>.eml (n counts from 1) and appends its envelope to
DIR/log. RCPT addresses starting with "reject" get a permanent 550, those
starting with "later" a transient 451. Start it with
  PYTHONPATH=tests/unit/notify /usr/bin/python3 -m aiosmtpd -n \
      -l 127.0.0.1:PORT -c smtp_sink.Sink DIR
"""
import os


class Sink:
    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("smtp_sink.Sink needs one argument: DIR")
        return cls(args[0])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject"):
            return "550 5.1.1 no such user"
        if address.startswith("later"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = len([f for f in os.listdir(self.dir) if f.endswith(".eml")]) + 1
        tmp = os.path.join(self.dir, f".{n}.tmp")
        with open(tmp, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, os.path.join(self.dir, f"{n}.eml"))
        with open(os.path.join(self.dir, "log"), "a") as f:
            f.write(f"{n} {envelope.mail_from} {' '.join(envelope.rcpt_tos)}\n")
        return "250 2.0.0 queued"
