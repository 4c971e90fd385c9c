"""电子证照标识 (GB/T 36904): ``1.2.156.3005.2.<证照类型代码>.<颁发机构代码>.<流水号>.<版本号>.<校验位>``.

The check character is ISO/IEC 7064 (GB/T 17710) MOD 37,36 over the concatenation of type code, issuer code,
serial and version — no root, no dots (STANDARDS §3). It reproduces real identifiers, e.g.
``1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U``.
"""

from __future__ import annotations

import re
import secrets

ROOT = "1.2.156.3005.2"  # 电子证照根代码 (OID)
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SERIAL_LENGTH = 20  # 流水号: 20 random A–Z0–9 (as in the Hubei guide); long enough never to collide in practice

IDENTIFIER_RE = re.compile(
    r"^1\.2\.156\.3005\.2\.(?P<type>[0-9A-Z]{21})\.(?P<issuer>[0-9A-Z]{18})\.(?P<serial>[0-9A-Z]{1,40})"
    r"\.(?P<version>[0-9]{3})\.(?P<check>[0-9A-Z])$"
)


def check_character(body: str) -> str:
    """校验位: ISO/IEC 7064 MOD 37,36 of ``body`` (upper-case letters and digits only)."""
    p = 36
    for char in body:
        index = ALPHABET.find(char)
        if index < 0:
            raise ValueError(f"电子证照标识只能包含数字和大写字母，不能包含 {char!r}")
        p = (p + index) % 36 or 36
        p = (p * 2) % 37
    return ALPHABET[(37 - p) % 36]


def new_serial() -> str:
    """A fresh 流水号 (20 characters from a CSPRNG)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(SERIAL_LENGTH))


def compose(type_code: str, issuer_code: str, serial: str, version: int) -> str:
    """The full identifier of version ``version`` (1–999) of the licence ``serial``."""
    if not 1 <= version <= 999:
        raise ValueError("版本号应为 001–999")
    version_text = f"{version:03d}"
    check = check_character(type_code + issuer_code + serial + version_text)
    return ".".join((ROOT, type_code, issuer_code, serial, version_text, check))


def normalize(text: str) -> str:
    """What a person typed or a scanner read: trimmed, upper-case, full-width dots and spaces removed."""
    return re.sub(r"\s+", "", text).replace("。", ".").replace("．", ".").upper()


def is_well_formed(identifier: str) -> bool:
    """True when ``identifier`` has the GB/T 36904 shape and its check character is right."""
    match = IDENTIFIER_RE.match(identifier)
    if match is None:
        return False
    body = match["type"] + match["issuer"] + match["serial"] + match["version"]
    return check_character(body) == match["check"]
