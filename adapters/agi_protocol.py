"""FastAGI, the adapter's side of the wire: the channel's environment, then one command, one reply.

From https://docs.asterisk.org/Configuration/Interfaces/Asterisk-Gateway-Interface-AGI/ and the
AGI command pages (https://docs.asterisk.org/Asterisk_22_Documentation/API_Documentation/AGI_Commands/):

* Asterisk's `AGI(agi://host[:port]/script,args)` opens a TCP connection (port 4573 by default)
  and sends the channel's environment, `agi_name: value` lines (`agi_network_script`,
  `agi_callerid`, `agi_language`, `agi_uniqueid`, `agi_arg_1` …), ended by an empty line.
* The script then sends one command a line and reads its reply: `200 result=N [(data)]
  [key=value]`; `510 Invalid or unknown command`; `511 Command Not Permitted on a dead channel
  or intercept routine`; `520-Invalid command syntax.  Proper usage follows:`, the usage, and
  `520 End of proper usage.`.
* When the caller hangs up Asterisk sends a line `HANGUP` (AGISIGHUP, on by default) and the
  channel commands that follow answer 511; a command interrupted by the hangup answers
  `200 result=-1`. Asterisk closes the connection when the script does, or when the call ends.
* Arguments are separated by spaces; one holding spaces or quotes is sent in double quotes
  with `\\` escaping `"` and `\\` (res_agi's parse_args).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass

MAX_LINE = 64 * 1024  # a reply line (data, variables) is short; a longer one is not Asterisk
_REPLY = re.compile(r"^200 result=(?P<result>-?[0-9*#A-D]*)(?: \((?P<data>[^)]*)\))?(?P<rest>.*)$")


class HungUp(Exception):
    """The caller hung up: Asterisk said `HANGUP`, answered 511 or `result=-1`, or closed the line."""


class AgiError(Exception):
    """Asterisk refused a command (510, 520): a bug in the command, not in the call."""


@dataclass(frozen=True)
class Reply:
    result: int | None  # None: `result=` with nothing (GET DATA with no digits)
    digits: str  # the result as text: GET DATA's digits
    data: str | None  # the parenthesised part: `(timeout)`, a variable's value
    line: str


def quote(argument: str) -> str:
    """One AGI argument: in double quotes, `"` and `\\` escaped, so spaces and quotes survive."""
    return '"' + argument.replace("\\", "\\\\").replace('"', '\\"') + '"'


class AgiChannel:
    """One call's connection: the environment Asterisk sent, and commands in order."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.env: dict[str, str] = {}
        self.hung_up = False

    async def read_env(self) -> dict[str, str]:
        """The `agi_*` lines up to the empty line; a connection that ends first is no call."""
        while True:
            line = await self._line()
            if line == "":
                return self.env
            name, sep, value = line.partition(":")
            if sep and name.startswith("agi_"):
                self.env[name.strip()] = value.strip()

    async def command(self, *words: str) -> Reply:
        """Send one command and read its reply; HungUp once the caller is gone."""
        if self.hung_up:
            raise HungUp("the caller hung up")
        self.writer.write((" ".join(words) + "\n").encode("utf-8"))
        await self.writer.drain()
        while True:
            line = await self._line()
            if line == "HANGUP":  # asynchronous: the reply to the command still follows
                self.hung_up = True
                continue
            if line.startswith("511"):
                self.hung_up = True
                raise HungUp(line)
            if line.startswith("520-"):  # the usage follows, up to "520 End of proper usage."
                while not (await self._line()).startswith("520 "):
                    pass
                raise AgiError(f"{words[0]}: invalid command syntax")
            if line.startswith(("510", "520")):
                raise AgiError(f"{' '.join(words)[:80]}: {line}")
            match = _REPLY.match(line)
            if match is None:
                raise AgiError(f"unexpected reply {line[:80]!r}")
            raw = match["result"]
            result = int(raw) if re.fullmatch(r"-?[0-9]+", raw) else None
            if result == -1:
                self.hung_up = True
                raise HungUp(line)
            return Reply(result=result, digits=raw, data=match["data"], line=line)

    async def _line(self) -> str:
        try:
            raw = await self.reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            self.hung_up = True
            raise HungUp("Asterisk closed the connection") from exc
        except asyncio.LimitOverrunError as exc:
            raise AgiError("a reply line over the limit") from exc
        return raw.decode("utf-8", errors="replace").rstrip("\r\n")

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()
