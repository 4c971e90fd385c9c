"""Check licence PDFs with poppler's ``pdfsig`` the way a citizen's PDF reader would (tests and operations).

``pdfsig`` trusts what an NSS certificate database trusts. ``nss_db_with`` builds one holding given CA
certificates (``certutil``, Debian package ``libnss3-tools``), so that ``pdfsig -nssdir sql:DIR`` can say
"Certificate is Trusted."; without it the same signature reads "Certificate issuer isn't Trusted." — which is
not "invalid". ``pdfsig`` exits 0 whether the signature is valid, untrusted or tampered (2 only when the file
has no signature), so ``pdfsig_report`` reads its text.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

_TIMEOUT = 60
_FIELD = re.compile(r"^\s*-\s*(?P<key>[^:]+):\s*(?P<value>.*)$")
_SIGNATURE = re.compile(r"^Signature #(?P<number>\d+):")
# pdfsig's labels → report keys
_KEYS = {
    "Signature Field Name": "field",
    "Signer Certificate Common Name": "signer",
    "Signer full Distinguished Name": "signer_dn",
    "Signing Time": "signing_time",
    "Signing Hash Algorithm": "hash",
    "Signature Type": "type",
    "Signed Ranges": "ranges",
    "Signature Validation": "signature",
    "Certificate Validation": "certificate",
}


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        package = "libnss3-tools" if name == "certutil" else "poppler-utils"
        raise FileNotFoundError(f"找不到 {name}：请安装 Debian 软件包 {package}")
    return found


def nss_db_with(ca_pems: list[bytes], directory: Path) -> Path:
    """An NSS database in ``directory`` (created if needed, empty password) trusting each CA in ``ca_pems``
    for signing (trust flags ``CT,C,C``). Returns the directory; pass it to ``pdfsig_report(nssdir=…)``."""
    certutil = _tool("certutil")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    database = f"sql:{directory}"
    if not (directory / "cert9.db").exists():
        subprocess.run(  # noqa: S603
            [certutil, "-N", "--empty-password", "-d", database], check=True, capture_output=True, timeout=_TIMEOUT
        )
    for index, pem in enumerate(ca_pems):
        nickname = f"yiwang-ca-{index}-{hashlib.sha256(pem).hexdigest()[:12]}"
        path = directory / f"{nickname}.pem"
        path.write_bytes(pem)
        subprocess.run(  # noqa: S603
            [certutil, "-A", "-n", nickname, "-t", "CT,C,C", "-i", str(path), "-d", database],
            check=True,
            capture_output=True,
            timeout=_TIMEOUT,
        )
    return directory


def pdfsig_report(pdf_path: Path | str, nssdir: Path | str | None = None) -> dict[str, Any]:
    """What ``pdfsig`` says about a PDF.

    Keys: ``signed`` (bool), ``exit_code``, ``signatures`` (one dict per signature, keys as below), and for the
    first signature at the top level: ``signature`` ("Signature is Valid.", "Digest Mismatch.", …),
    ``certificate`` ("Certificate is Trusted.", "Certificate issuer isn't Trusted.", …), ``signer``,
    ``signer_dn``, ``signing_time``, ``type``, ``ranges``, ``total_document_signed`` (bool); ``output`` is the
    raw text.
    """
    command = [_tool("pdfsig")]
    if nssdir is not None:
        text = str(nssdir)
        command += ["-nssdir", text if text.startswith(("sql:", "dbm:")) else f"sql:{text}"]
    command.append(str(pdf_path))
    completed = subprocess.run(command, capture_output=True, timeout=_TIMEOUT)  # noqa: S603
    output = completed.stdout.decode("utf-8", "replace")
    signatures: list[dict[str, Any]] = []
    for line in output.splitlines():
        if _SIGNATURE.match(line):
            signatures.append({"total_document_signed": False})
            continue
        if not signatures:
            continue
        if line.strip() == "- Total document signed":
            signatures[-1]["total_document_signed"] = True
            continue
        match = _FIELD.match(line)
        if match and match["key"].strip() in _KEYS:
            signatures[-1][_KEYS[match["key"].strip()]] = match["value"].strip()
    report: dict[str, Any] = {
        "signed": bool(signatures),
        "exit_code": completed.returncode,
        "signatures": signatures,
        "output": output + completed.stderr.decode("utf-8", "replace"),
        "signature": "",
        "certificate": "",
    }
    if signatures:
        report.update(signatures[0])
    return report
