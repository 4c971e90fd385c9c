#!/usr/bin/env python3
"""Licences issued per second — ``license_issue``: face rendered, PAdES-signed with the seal's key, SM2 signature
over the metadata, PDF stored, row and audit written — beside pyHanko signing an already rendered face in the same
run (target ≥ 50 % of that rate); and public verifications per second (identifier look-up, and a PDF upload
checked by pyHanko against the trust list).

    .venv/bin/python bench/licenses.py [--count 200]
    .venv/bin/python tools/with_postgres.py .venv/bin/python bench/licenses.py

Two baselines, both signing the same rendered face: stock pyHanko (``SimpleSigner.load`` from the key file, as its
documentation shows) and our ``SealSigner`` (parsed key kept in memory, no dry run). The issue's target is
against pyHanko signing (the stock signer); the ratio to our own tuned signer is printed too, as the stricter
figure (a full issuance then costs about two signatures).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
import yiwang.testing.pytest_plugin  # noqa: F401 — production-like environment

os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp(prefix='yiwang-bench-')}/bench.sqlite3")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

TARGET = 0.5


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def run(count: int = 200) -> dict[str, float]:
    from pyhanko.sign import signers

    from yiwang.files.selectors import blob_read
    from yiwang.licenses import pades, services
    from yiwang.licenses.selectors import license_verify
    from yiwang.testing.licenses import person_license_type, seal_for
    from yiwang.testing.world import build_world

    call_command("migrate", verbosity=0)
    world = build_world()
    person = world.persons["owner"]
    department = world.dept_a_market
    kind = person_license_type(multiple_live=True)  # one holder, many licences: no conflict in the loop
    seal = seal_for(department)
    face = {"shop_name": "甲记小吃店", "scope": "餐饮"}

    # warm-up: caches (key decryption, fonts, signer) filled before anything is timed
    services.license_issue(kind=kind, issuer=department, person=person, face=face)

    start = time.perf_counter()
    issued = [services.license_issue(kind=kind, issuer=department, person=person, face=face) for _ in range(count)]
    issue_seconds = time.perf_counter() - start

    # The baseline signs the very face license_issue renders (same rows, same size): captured from one issue.
    captured: list[bytes] = []
    real_render = services.render_face

    def capture(**kwargs: object) -> bytes:
        pdf = real_render(**kwargs)  # type: ignore[arg-type]
        captured.append(pdf)
        return pdf

    services.render_face = capture  # type: ignore[assignment]
    try:
        services.license_issue(kind=kind, issuer=department, person=person, face=face)
    finally:
        services.render_face = real_render  # type: ignore[assignment]
    rendered = captured[0]
    signer, _sm2 = services._signer(seal.pk, seal.certificate_fingerprint)
    start = time.perf_counter()
    for _ in range(count):
        pades.sign_pdf(rendered, signer)
    tuned_seconds = time.perf_counter() - start

    key_pem = services.crypto.decrypt(seal.key_cipher, context=services.SEAL_KEY_CONTEXT).encode("ascii")
    folder = Path(tempfile.mkdtemp(prefix="yiwang-bench-keys-"))
    (folder / "key.pem").write_bytes(key_pem)
    (folder / "cert.pem").write_text(seal.certificate_pem)
    (folder / "ca.pem").write_text(seal.authority.certificate_pem)
    stock = signers.SimpleSigner.load(
        str(folder / "key.pem"), str(folder / "cert.pem"), ca_chain_files=(str(folder / "ca.pem"),)
    )
    assert stock is not None
    import io

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    stock_count = max(count // 4, 20)
    start = time.perf_counter()
    for _ in range(stock_count):
        writer = IncrementalPdfFileWriter(io.BytesIO(rendered))
        signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name="Seal"), signer=stock)
    stock_seconds = time.perf_counter() - start

    start = time.perf_counter()
    verdicts = [license_verify(license.identifier).verdict for license in issued]
    verify_seconds = time.perf_counter() - start
    assert set(verdicts) == {"authentic"}, verdicts

    roots = services.authority_certificates()
    pdf = blob_read(issued[0].pdf)
    pdf_count = max(count // 4, 20)
    start = time.perf_counter()
    for _ in range(pdf_count):
        result = pades.verify_pdf(pdf, trust_roots_pem=roots)
    pdf_seconds = time.perf_counter() - start
    assert result.intact and result.valid and result.trusted, result

    rates = {
        "issue": _rate(count, issue_seconds),
        "sign_tuned": _rate(count, tuned_seconds),
        "sign_stock": _rate(stock_count, stock_seconds),
        "verify_identifier": _rate(count, verify_seconds),
        "verify_pdf": _rate(pdf_count, pdf_seconds),
    }
    print(f"电子证照 — {connection.vendor}, Python {sys.version.split()[0]}, {count} licences")
    print(f"license_issue (render + PAdES + SM2 + store)    {rates['issue']:>8.1f} /s")
    print(f"pyHanko signing a rendered face (stock signer)  {rates['sign_stock']:>8.1f} /s")
    print(f"pyHanko signing a rendered face (SealSigner)    {rates['sign_tuned']:>8.1f} /s")
    stock_ratio = rates["issue"] / rates["sign_stock"]
    tuned_ratio = rates["issue"] / rates["sign_tuned"]
    verdict = "met" if stock_ratio >= TARGET else "MISSED"
    print(f"issue vs pyHanko signing the rendered face: {stock_ratio:.0%} (target ≥ {TARGET:.0%}: {verdict})")
    print(f"issue vs our tuned SealSigner alone (stricter, for information): {tuned_ratio:.0%}")
    print(f"public verification by identifier (SM2 check)  {rates['verify_identifier']:>8.1f} /s")
    print(f"public verification of an uploaded PDF          {rates['verify_pdf']:>8.1f} /s")
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    run(args.count)


if __name__ == "__main__":
    main()
