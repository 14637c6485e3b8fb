"""SMS through an SMSC over SMPP 3.4 (smpplib): questions texted in are answered in Istok's SMS form.

The adapter binds as a transceiver. A mobile-originated `deliver_sm` is the client's question,
asked of Istok on the `sms` channel for `phone:<source_addr>`; the answer (already cut by Istok
to fit two parts) goes back as `submit_sm`, in GSM 03.38 when every character has a place there
and in UCS-2 otherwise, split into concatenated parts with a UDH when longer than one part.
Each submission asks for a delivery receipt, and each receipt (a `deliver_sm` with esm_class
0x04, text `id:… stat:DELIVRD …`) goes on the client's timeline as an outgoing interaction, once
per message id. A handoff is texted too: the client is told a person will call, with the number.

SMPP 3.4 (the SMPP Developers Forum's specification, 1999), the facts relied on here: §4.1.5
bind_transceiver, §4.4 submit_sm with registered_delivery bit 0 asking for a receipt, §4.6
deliver_sm with esm_class bits 2–5 = 0001 for a receipt, Appendix B for the receipt's text,
§5.1.3 command_status ESME_RTHROTTLED (0x58) and ESME_RMSGQFUL (0x14), which ask the ESME to
send again later (here: after an exponential backoff, at most `RETRIES` times), and §4.11
enquire_link to keep an idle session alive.
"""

from __future__ import annotations

import logging
import os
import re
import select
import signal
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.gsm

from adapters import contact_route, settings
from adapters.phrases import phrase
from istok_client import Client, Identity, IstokError

logger = logging.getLogger("istok.adapter.smpp")

CHANNEL = "sms"
RETRIES = 5
BACKOFF = 0.5  # seconds before the first resend of a throttled part; doubles each time
ENQUIRE_EVERY = 30.0
#: The statuses with which an SMSC asks to be sent the same PDU again later (SMPP 3.4 §5.1.3).
TRY_AGAIN = frozenset({smpplib.consts.SMPP_ESME_RTHROTTLED, smpplib.consts.SMPP_ESME_RMSGQFUL})
ROK: int = smpplib.consts.SMPP_ESME_ROK
RECEIPT = 0x04  # esm_class: SMSC delivery receipt (§4.7.12)
UDHI = 0x40  # esm_class: the short message starts with a user data header (concatenation)
_RECEIPT_FIELDS = re.compile(r"(\w+(?: date)?):(\S*)")


@dataclass(frozen=True)
class SmppSettings:
    host: str
    port: int
    system_id: str
    password: str
    system_type: str
    source_addr: str  # the short number or sender name clients text
    istok: settings.IstokSettings

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmppSettings:
        env = os.environ if env is None else env
        return cls(
            host=settings.required(env, "SMPP_HOST", "the SMSC's host name or address"),
            port=settings.number(env, "SMPP_PORT", 2775),
            system_id=settings.required(env, "SMPP_SYSTEM_ID", "the account the SMSC gave (bind system_id)"),
            password=env.get("SMPP_PASSWORD", ""),
            system_type=env.get("SMPP_SYSTEM_TYPE", ""),
            source_addr=settings.required(env, "SMPP_SOURCE_ADDR", "the short number or sender id answers come from"),
            istok=settings.istok(env),
        )


def receipt_fields(text: str) -> dict[str, str]:
    """The `key:value` fields of a delivery receipt's text (SMPP 3.4 Appendix B), keys lower-cased."""
    return {k.lower(): v for k, v in _RECEIPT_FIELDS.findall(text)}


def decode(pdu: Any) -> str:
    """A deliver_sm's text: UCS-2 when data_coding says 0x08, else the GSM 03.38 default alphabet
    one septet per octet (0x1B escaping the extension table), as SMSCs send it over SMPP."""
    raw = bytes(pdu.short_message or b"")
    if not raw and getattr(pdu, "message_payload", None):
        raw = bytes(pdu.message_payload)
    if pdu.data_coding == smpplib.consts.SMPP_ENCODING_ISO10646:
        return raw.decode("utf-16-be", errors="replace")
    table, out, escaped = smpplib.gsm.GSM_CHARACTER_TABLE, [], False
    for byte in raw:
        if byte == 0x1B and not escaped:
            escaped = True
            continue
        index = byte + 0x80 if escaped else byte
        out.append(table[index] if index < len(table) else "?")
        escaped = False
    return "".join(out)


@dataclass
class _Part:
    params: dict[str, Any]
    phone: str
    tries: int = 0


@dataclass
class SmsGateway:
    """One bound SMPP session and the conversation over it."""

    config: SmppSettings
    istok: Client
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.smsc = smpplib.client.Client(self.config.host, self.config.port, timeout=10, allow_unknown_opt_params=True)
        self.smsc.set_message_received_handler(self.on_deliver)
        self.smsc.set_message_sent_handler(self.on_submitted)
        self.smsc.set_error_pdu_handler(self.on_error_pdu)
        self._pending: dict[int, _Part] = {}  # submit_sm sequence → what it carried
        self._later: list[tuple[float, _Part]] = []  # throttled parts and when to send them again
        self._sent_to: dict[str, str] = {}  # SMSC message id → the phone it went to (for its receipt)
        self._parts: dict[tuple[str, int], dict[int, str]] = {}  # a concatenated question's parts so far

    # -- the session ------------------------------------------------------------------------

    def run(self) -> None:
        """Bind, serve until asked to stop, then unbind: a stop never leaves a half-open session."""
        self.smsc.connect()
        self.smsc.bind_transceiver(
            system_id=self.config.system_id, password=self.config.password, system_type=self.config.system_type
        )
        logger.info("smpp: bound to %s:%s as %s", self.config.host, self.config.port, self.config.system_id)
        idle_since = time.monotonic()
        try:
            while not self.stopping.is_set():
                readable, _, _ = select.select([self.smsc._socket], [], [], 0.2)
                if readable:
                    self.smsc.read_once(auto_send_enquire_link=False)
                    idle_since = time.monotonic()
                elif time.monotonic() - idle_since > ENQUIRE_EVERY:
                    self.smsc.send_pdu(smpplib.smpp.make_pdu("enquire_link", client=self.smsc))
                    idle_since = time.monotonic()
                self._send_due()
        finally:
            try:
                self.smsc.unbind()
            except (smpplib.exceptions.PDUError, smpplib.exceptions.ConnectionError, OSError) as err:
                logger.warning("smpp: unbind failed: %s", err)
            self.smsc.disconnect()
            logger.info("smpp: stopped")

    # -- what the SMSC sends ----------------------------------------------------------------

    def on_deliver(self, pdu: Any) -> int:
        """A client's text or a delivery receipt; answered ROK so the SMSC does not send it again."""
        phone = "+" + pdu.source_addr.decode() if isinstance(pdu.source_addr, bytes) else "+" + str(pdu.source_addr)
        phone = phone.replace("++", "+")
        try:
            if pdu.esm_class & 0x3C == RECEIPT:
                self.on_receipt(decode(pdu), phone)
            elif (text := self._whole(pdu, phone)) is not None:
                self.on_question(text, phone)
        except IstokError as err:  # the SMSC must not redeliver forever: log, and answer the PDU
            logger.error("smpp: Istok refused %s's message: %s", phone, err)
        return ROK

    def _whole(self, pdu: Any, phone: str) -> str | None:
        """The message's text, or None until every part of a concatenated one has come (UDH IE 0x00/0x08)."""
        raw = bytes(pdu.short_message or b"")
        if not pdu.esm_class & UDHI or not raw:
            return decode(pdu)
        header, body = raw[1 : 1 + raw[0]], raw[1 + raw[0] :]
        ref = total = seq = 0
        i = 0
        while i + 1 < len(header):
            iei, size = header[i], header[i + 1]
            data = header[i + 2 : i + 2 + size]
            if iei == 0x00 and size == 3:
                ref, total, seq = data[0], data[1], data[2]
            elif iei == 0x08 and size == 4:
                ref, total, seq = int.from_bytes(data[:2], "big"), data[2], data[3]
            i += 2 + size
        pdu.short_message = body
        if total <= 1:
            return decode(pdu)
        parts = self._parts.setdefault((phone, ref), {})
        parts[seq] = decode(pdu)
        if len(parts) < total:
            return None
        del self._parts[(phone, ref)]
        return "".join(parts[n] for n in sorted(parts))

    def on_question(self, text: str, phone: str) -> None:
        reply = self.istok.answer(
            text[:500], locale=self.config.istok.locale, channel="sms", identity=f"phone:{phone}", via=CHANNEL
        )
        rendered = reply["rendered"]
        if reply["status"] == "answered" and rendered is not None:
            logger.info("smpp: %s answered (%.2f)", phone, reply["confidence"])
            self.send(phone, rendered["body"])
            return
        route = contact_route.sentence(self.istok.list_facts(), reply["locale"])
        logger.info("smpp: %s handed off (%.2f)", phone, reply["confidence"])
        notices = "".join(f"{n['text']}\n" for n in reply.get("announcements") or [])  # an answer has them already
        self.send(phone, f"{notices}{phrase(reply['locale'], 'sms_handoff')} {route}")

    def on_receipt(self, text: str, phone: str) -> None:
        """The SMSC's word on a message sent: on the timeline once, as delivered or not."""
        fields = receipt_fields(text)
        message_id, stat = fields.get("id", ""), fields.get("stat", "UNKNOWN").upper()
        recipient = self._sent_to.get(message_id, phone)
        recorded = self.istok.record_interaction(
            channel=CHANNEL,
            direction="out",
            outcome="answered" if stat == "DELIVRD" else "abandoned",
            identity=Identity(channel="phone", address=recipient),
            question=f"SMS delivery receipt: {stat}",
            message=f"{self.config.system_id}:receipt:{message_id}",
        )
        logger.info(
            "smpp: receipt %s for %s: %s%s",
            message_id,
            recipient,
            stat,
            " (seen before)" if recorded.get("replayed") else "",
        )

    def on_submitted(self, pdu: Any) -> None:
        part = self._pending.pop(pdu.sequence, None)
        message_id = pdu.message_id.decode() if isinstance(pdu.message_id, bytes) else str(pdu.message_id)
        if part is not None:
            self._sent_to[message_id] = part.phone
        logger.info("smpp: accepted as %s", message_id)

    def on_error_pdu(self, pdu: Any) -> None:
        part = self._pending.pop(pdu.sequence, None)
        if part is not None and pdu.status in TRY_AGAIN and part.tries < RETRIES:
            delay = BACKOFF * 2**part.tries
            part.tries += 1
            logger.warning("smpp: SMSC asked to wait (status 0x%02x): again in %.1f s", pdu.status, delay)
            self._later.append((time.monotonic() + delay, part))
            return
        logger.error(
            "smpp: %s refused with status 0x%02x (%s)",
            pdu.command,
            pdu.status,
            smpplib.consts.DESCRIPTIONS.get(pdu.status, "unknown"),
        )

    # -- sending ----------------------------------------------------------------------------

    def send(self, phone: str, text: str) -> None:
        """`text` as one SMS, in as many concatenated parts as it needs, each asking for a receipt."""
        parts, coding, esm_class = smpplib.gsm.make_parts(text)
        for chunk in parts:
            params = {
                "source_addr_ton": smpplib.consts.SMPP_TON_ALNUM
                if not self.config.source_addr.isdigit()
                else smpplib.consts.SMPP_TON_UNK,
                "source_addr": self.config.source_addr,
                "dest_addr_ton": smpplib.consts.SMPP_TON_INTL,
                "dest_addr_npi": smpplib.consts.SMPP_NPI_ISDN,
                "destination_addr": phone.lstrip("+"),
                "short_message": chunk,
                "data_coding": coding,
                "esm_class": esm_class,
                "registered_delivery": True,
            }
            self._submit(_Part(params, phone))

    def _submit(self, part: _Part) -> None:
        pdu = self.smsc.send_message(**part.params)
        self._pending[pdu.sequence] = part

    def _send_due(self) -> None:
        now = time.monotonic()
        due = [p for at, p in self._later if at <= now]
        self._later = [(at, p) for at, p in self._later if at > now]
        for part in due:
            self._submit(part)


def run(config: SmppSettings) -> None:
    """Serve until SIGINT or SIGTERM; reconnect with backoff when the SMSC drops the session."""
    stopping = threading.Event()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    wait = 1.0
    with Client(config.istok.url, api_key=config.istok.key) as istok:
        while not stopping.is_set():
            gateway = SmsGateway(config, istok, stopping)
            try:
                gateway.run()
                wait = 1.0
            except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as err:
                logger.error("smpp: session lost (%s); again in %.0f s", err, wait)
                stopping.wait(wait)
                wait = min(wait * 2, 60.0)
