"""smtp_sink -- aiosmtpd handler for ward's tests: saves every message it
accepts as DIR/<n>.eml (n counts from 1) and appends its envelope to
DIR/log. RCPT addresses starting with "reject" get a permanent 550, those
starting with "later" a transient 451, those starting with "refuse-data"
are accepted but their message is refused with a permanent 554 at the end
of DATA; a MAIL FROM starting with "reject" gets 550 (the sender refused).

Stalls, for tests that must kill a client at a known point of the
dialogue: when DIR/stall-rcpt or DIR/stall-data exists (holding a count
k, default 0), the (k+1)-th RCPT (before answering it) or the (k+1)-th
DATA (after saving the message, before answering 250) from then on
stalls: the file is removed, DIR/stalled-rcpt or DIR/stalled-data is
created, and the answer never comes (the test kills the client; the
stalled handler ends with its connection). Start it with
  PYTHONPATH=tests/unit/notify /usr/bin/python3 -m aiosmtpd -n \
      -l 127.0.0.1:PORT -c smtp_sink.Sink DIR
"""
import asyncio
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

    def _due(self, what):
        """True when this command is the one to stall at."""
        path = os.path.join(self.dir, "stall-" + what)
        try:
            with open(path) as f:
                text = f.read().strip()
        except FileNotFoundError:
            return False
        n = int(text or "0")
        if n > 0:
            with open(path, "w") as f:
                f.write(str(n - 1))
            return False
        os.unlink(path)
        return True

    async def _stall(self, what):
        open(os.path.join(self.dir, "stalled-" + what), "w").close()
        await asyncio.Event().wait()  # forever: until the connection ends

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if address.startswith("reject"):
            return "550 5.7.1 sender refused"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self._due("rcpt"):
            await self._stall("rcpt")
        if address.startswith("reject"):
            return "550 5.1.1 no such user"
        if address.startswith("later"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any(r.startswith("refuse-data") for r in envelope.rcpt_tos):
            return "554 5.7.1 message refused"
        n = len([f for f in os.listdir(self.dir) if f.endswith(".eml")]) + 1
        tmp = os.path.join(self.dir, f".{n}.tmp")
        with open(tmp, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, os.path.join(self.dir, f"{n}.eml"))
        with open(os.path.join(self.dir, "log"), "a") as f:
            f.write(f"{n} {envelope.mail_from} {' '.join(envelope.rcpt_tos)}\n")
        if self._due("data"):
            await self._stall("data")
        return "250 2.0.0 queued"
