"""Compressed columns: compact UTF-8 JSON, raw deflate against a fixed preset dictionary.

Small JSON values (an audit event's detail, an application's answers, a mail's two parts)
compress badly alone: most of their bytes are keys and fixed phrases every row repeats. Each
kind of column is compressed against its own dictionary of those phrases (the form fields and
choices, the diagrams' element ids and names, the mail templates' fixed text), so a row stores
little more than what is its own. A packed value starts with one byte naming the dictionary
version it was compressed against; a dictionary file is never changed once rows use it (a new
one gets the next number, and the old file stays for reading). Values written before these
dictionaries (plain zlib streams, first byte 0x78) are read as well.
"""

import json
import zlib
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator

DICTIONARIES = Path(__file__).with_name("dictionaries")
# The version new values are written with, per kind (dictionaries/<kind>.v<N>.txt).
CURRENT = {"answers": 1, "audit": 1, "mail": 1}
_ZLIB_HEADER = 0x78  # a plain zlib stream: never a dictionary version


@cache
def dictionary(kind: str, version: int) -> bytes:
    return (DICTIONARIES / f"{kind}.v{version}.txt").read_bytes()


def pack_text(kind: str, text: str) -> bytes:
    version = CURRENT[kind]
    packer = zlib.compressobj(
        9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, dictionary(kind, version)
    )
    return bytes((version,)) + packer.compress(text.encode("utf-8")) + packer.flush()


def unpack_text(kind: str, data: bytes) -> str:
    data = bytes(data)
    if data[0] == _ZLIB_HEADER:
        return zlib.decompress(data).decode("utf-8")
    unpacker = zlib.decompressobj(-15, zdict=dictionary(kind, data[0]))
    return (unpacker.decompress(data[1:]) + unpacker.flush()).decode("utf-8")


def dumps(value: Any) -> str:
    """Compact JSON, non-ASCII as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def pack_json(kind: str, value: Any) -> bytes:
    return pack_text(kind, dumps(value))


def unpack_json(kind: str, data: bytes) -> Any:
    return json.loads(unpack_text(kind, data))


class PackedJSON(TypeDecorator):
    """A JSON value stored packed (see the module): reads and writes Python values as db.JSON
    does; what SQL sees is bytes (no JSON operators on these columns)."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def process_bind_param(self, value, dialect):
        return None if value is None else pack_json(self.kind, value)

    def process_result_value(self, value, dialect):
        return None if value is None else unpack_json(self.kind, value)
