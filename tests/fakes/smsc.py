"""A local SMSC speaking SMPP 3.4 to one ESME at a time, written from the specification.

The facts used (SMPP v3.4, SMPP Developers Forum, 1999): every PDU is a 16-octet header
(command_length, command_id, command_status, sequence_number, big-endian) and a body of
C-octet strings and integers (§3.2, §4); bind_transceiver 0x00000009 (§4.1.5), unbind 0x06,
submit_sm 0x04 (§4.4.1: service_type, source ton/npi/addr, dest ton/npi/addr, esm_class,
protocol_id, priority_flag, schedule_delivery_time, validity_period, registered_delivery,
replace_if_present_flag, data_coding, sm_default_msg_id, sm_length, short_message of at most
254 octets, then TLVs), deliver_sm 0x05 (the same body, §4.6.1), enquire_link 0x15, a response
being its request's id | 0x80000000; a delivery receipt is a deliver_sm with esm_class 0x04 and
text `id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD
err:E text: . . .` (Appendix B). Statuses: ESME_RINVPASWD 0x0E, ESME_RTHROTTLED 0x58,
ESME_RINVDSTADR 0x0B, ESME_RINVMSGLEN 0x01, ESME_RINVBNDSTS 0x04.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from tests.fakes.serving import wait_for_count

BIND_TRANSCEIVER, UNBIND, SUBMIT_SM, DELIVER_SM, ENQUIRE_LINK = 0x09, 0x06, 0x04, 0x05, 0x15
RESP = 0x80000000
GENERIC_NACK = 0x80000000
ROK, RINVMSGLEN, RINVBNDSTS, RINVDSTADR, RINVPASWD, RTHROTTLED = 0x00, 0x01, 0x04, 0x0B, 0x0E, 0x58
_BODY_FIELDS = (
    ("service_type", "c"),
    ("source_addr_ton", "b"),
    ("source_addr_npi", "b"),
    ("source_addr", "c"),
    ("dest_addr_ton", "b"),
    ("dest_addr_npi", "b"),
    ("destination_addr", "c"),
    ("esm_class", "b"),
    ("protocol_id", "b"),
    ("priority_flag", "b"),
    ("schedule_delivery_time", "c"),
    ("validity_period", "c"),
    ("registered_delivery", "b"),
    ("replace_if_present_flag", "b"),
    ("data_coding", "b"),
    ("sm_default_msg_id", "b"),
)
GSM = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>"
    "?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ`¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = {0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[", 0x3D: "~", 0x3E: "]", 0x40: "|", 0x65: "€"}


def _cstring(data: bytes, at: int) -> tuple[str, int]:
    end = data.index(b"\x00", at)
    return data[at:end].decode("latin-1"), end + 1


def parse_sm(body: bytes) -> dict[str, object]:
    """A submit_sm or deliver_sm body as a dict; raises ValueError on a malformed one."""
    out: dict[str, object] = {}
    at = 0
    for name, kind in _BODY_FIELDS:
        if kind == "c":
            out[name], at = _cstring(body, at)
        else:
            out[name] = body[at]
            at += 1
    length = body[at]
    out["short_message"] = body[at + 1 : at + 1 + length]
    if len(out["short_message"]) != length:  # type: ignore[arg-type]
        raise ValueError("sm_length longer than the PDU")
    return out


def build_sm(*, source: str, destination: str, text: bytes, esm_class: int = 0, data_coding: int = 0) -> bytes:
    fields = {
        "service_type": "",
        "source_addr_ton": 1,
        "source_addr_npi": 1,
        "source_addr": source,
        "dest_addr_ton": 0,
        "dest_addr_npi": 0,
        "destination_addr": destination,
        "esm_class": esm_class,
        "protocol_id": 0,
        "priority_flag": 0,
        "schedule_delivery_time": "",
        "validity_period": "",
        "registered_delivery": 0,
        "replace_if_present_flag": 0,
        "data_coding": data_coding,
        "sm_default_msg_id": 0,
    }
    out = b""
    for name, kind in _BODY_FIELDS:
        value = fields[name]
        out += (str(value).encode("latin-1") + b"\x00") if kind == "c" else bytes([int(value)])  # type: ignore[call-overload]
    return out + bytes([len(text)]) + text


def text_of(message: bytes, data_coding: int) -> str:
    """The characters of one part (its UDH already removed)."""
    if data_coding == 0x08:
        return message.decode("utf-16-be")
    out, escaped = [], False
    for byte in message:
        if byte == 0x1B:
            escaped = True
            continue
        out.append(GSM_EXTENSION.get(byte, "?") if escaped else GSM[byte])
        escaped = False
    return "".join(out)


def encode_gsm(text: str) -> bytes:
    return bytes(GSM.index(c) for c in text)


@dataclass
class Submitted:
    """One SMS as the handset shows it: its parts reassembled."""

    destination: str
    text: str
    parts: int
    data_coding: int
    message_ids: list[str]


@dataclass
class FakeSmsc:
    system_id: str = "istok"
    password: str = "secret"
    submitted: list[Submitted] = field(default_factory=list)
    submits: int = 0  # submit_sm PDUs received, refused ones included
    receipts_answered: int = 0
    port: int = 0
    bound: threading.Event = field(default_factory=threading.Event)
    unbound: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._sending = threading.Lock()
        self._conn: socket.socket | None = None
        self._seq = itertools.count(1)
        self._ids = itertools.count(1)
        self._throttle = 0
        self._pieces: dict[tuple[str, int], dict[int, tuple[str, str]]] = {}
        self.receipts = True

    # -- what the test plays ------------------------------------------------------------------

    def throttle_next(self, count: int = 1) -> None:
        self._throttle = count

    def client_texts(self, phone: str, text: str, *, ucs2: bool | None = None) -> None:
        """A mobile-originated message from `phone` to the ESME's short number."""
        wide = ucs2 if ucs2 is not None else any(c not in GSM for c in text)
        body = text.encode("utf-16-be") if wide else encode_gsm(text)
        self._send(
            DELIVER_SM,
            build_sm(source=phone.lstrip("+"), destination="555", text=body, data_coding=0x08 if wide else 0x00),
        )

    def client_texts_in_parts(self, phone: str, text: str, size: int = 30) -> None:
        """A long question as concatenated parts with an 8-bit-reference UDH (IE 0x00)."""
        chunks = [text[i : i + size] for i in range(0, len(text), size)]
        for n, chunk in enumerate(chunks, start=1):
            udh = bytes([5, 0x00, 3, 0x42, len(chunks), n])
            self._send(
                DELIVER_SM,
                build_sm(
                    source=phone.lstrip("+"),
                    destination="555",
                    text=udh + chunk.encode("utf-16-be"),
                    esm_class=0x40,
                    data_coding=0x08,
                ),
            )

    def wait_submitted(self, count: int, timeout: float = 30.0) -> list[Submitted]:
        """Wait until the ESME has submitted `count` messages in all; the messages."""
        return wait_for_count(self._submitted_now, count, "SMS submitted", timeout=timeout)

    def _submitted_now(self) -> list[Submitted]:
        with self._lock:
            return list(self.submitted)

    # -- the protocol ---------------------------------------------------------------------------

    def _send(self, command: int, body: bytes, *, status: int = 0, seq: int | None = None) -> None:
        conn = self._conn
        if conn is None:
            raise AssertionError("no ESME is bound")
        sequence = next(self._seq) if seq is None else seq
        with self._sending:  # the test's thread and the session's both send: one PDU at a time
            conn.sendall(struct.pack(">IIII", 16 + len(body), command, status, sequence) + body)

    def serve(self, listener: socket.socket) -> None:
        conn, _ = listener.accept()
        self._conn = conn
        with conn:
            buffer = b""
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    return
                if not chunk:
                    return
                buffer += chunk
                while len(buffer) >= 16:
                    length, command, _status, seq = struct.unpack(">IIII", buffer[:16])
                    if len(buffer) < length:
                        break
                    body, buffer = buffer[16:length], buffer[length:]
                    if not self._handle(command, seq, body):
                        return

    def _handle(self, command: int, seq: int, body: bytes) -> bool:
        if command == BIND_TRANSCEIVER:
            system_id, at = _cstring(body, 0)
            password, _ = _cstring(body, at)
            ok = (system_id, password) == (self.system_id, self.password)
            self._send(BIND_TRANSCEIVER | RESP, b"fake-smsc\x00", status=ROK if ok else RINVPASWD, seq=seq)
            if ok:
                self.bound.set()
            return ok
        if command == ENQUIRE_LINK:
            self._send(ENQUIRE_LINK | RESP, b"", seq=seq)
        elif command == UNBIND:
            self.unbound.set()
            # An ESME may close at once after its unbind, as the adapter does when it stops: then the
            # answer has nobody to reach, which ends the session as an answered unbind would.
            with contextlib.suppress(ConnectionError):
                self._send(UNBIND | RESP, b"", seq=seq)
            return False
        elif command == DELIVER_SM | RESP:
            self.receipts_answered += 1
        elif command == SUBMIT_SM:
            self._submit(seq, body)
        elif command & RESP == 0:
            self._send(GENERIC_NACK, b"", status=0x03, seq=seq)  # ESME_RINVCMDID
        return True

    def _submit(self, seq: int, body: bytes) -> None:
        self.submits += 1
        if not self.bound.is_set():
            self._send(SUBMIT_SM | RESP, b"\x00", status=RINVBNDSTS, seq=seq)
            return
        if self._throttle > 0:
            self._throttle -= 1
            self._send(SUBMIT_SM | RESP, b"\x00", status=RTHROTTLED, seq=seq)
            return
        try:
            sm = parse_sm(body)
        except (ValueError, IndexError):
            self._send(SUBMIT_SM | RESP, b"\x00", status=RINVMSGLEN, seq=seq)
            return
        destination = str(sm["destination_addr"])
        if not destination.isdigit():
            self._send(SUBMIT_SM | RESP, b"\x00", status=RINVDSTADR, seq=seq)
            return
        message = bytes(sm["short_message"])  # type: ignore[call-overload]
        coding = int(sm["data_coding"])  # type: ignore[call-overload]
        ref, total, part = 0, 1, 1
        if int(sm["esm_class"]) & 0x40:  # type: ignore[call-overload]
            header = message[1 : 1 + message[0]]
            if header[:2] == b"\x00\x03":
                ref, total, part = header[2], header[3], header[4]
            message = message[1 + message[0] :]
        message_id = f"{next(self._ids):010d}"
        self._send(SUBMIT_SM | RESP, message_id.encode() + b"\x00", seq=seq)
        with self._lock:
            pieces = self._pieces.setdefault((destination, ref), {})
            pieces[part] = (text_of(message, coding), message_id)
            if len(pieces) < total:
                return
            del self._pieces[(destination, ref)]
            ordered = [pieces[n] for n in sorted(pieces)]
            self.submitted.append(
                Submitted("+" + destination, "".join(t for t, _ in ordered), total, coding, [m for _, m in ordered])
            )
        if int(sm["registered_delivery"]) & 0x01 and self.receipts:  # type: ignore[call-overload]
            for _, mid in ordered:
                self.send_receipt(destination, mid)

    def send_receipt(self, destination: str, message_id: str, stat: str = "DELIVRD") -> None:
        stamp = time.strftime("%y%m%d%H%M", time.gmtime())
        text = f"id:{message_id} sub:001 dlvrd:001 submit date:{stamp} done date:{stamp} stat:{stat} err:000 text:"
        self._send(DELIVER_SM, build_sm(source=destination, destination="555", text=text.encode(), esm_class=0x04))


@contextlib.contextmanager
def running(smsc: FakeSmsc | None = None) -> Iterator[FakeSmsc]:
    """The SMSC on a free port of 127.0.0.1, for one ESME session."""
    smsc = smsc or FakeSmsc()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    smsc.port = listener.getsockname()[1]
    thread = threading.Thread(target=smsc.serve, args=(listener,), daemon=True)
    thread.start()
    try:
        yield smsc
    finally:
        listener.close()
        if smsc._conn is not None:
            with contextlib.suppress(OSError):
                smsc._conn.close()
        thread.join(timeout=5)
