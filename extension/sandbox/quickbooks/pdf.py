"""A small but valid PDF of an invoice (one page, Helvetica, correct xref offsets)."""

from __future__ import annotations

from typing import Any

__all__ = ["invoice_pdf"]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _lines(company_name: str, invoice: dict[str, Any]) -> list[str]:
    currency = invoice.get("CurrencyRef", {}).get("value", "")
    out = [
        company_name,
        f"Invoice {invoice.get('DocNumber') or invoice['Id']}",
        f"Bill to: {invoice['CustomerRef'].get('name', '')}",
        f"Date: {invoice.get('TxnDate', '')}   Due: {invoice.get('DueDate', '')}",
        "",
    ]
    for line in invoice.get("Line", []):
        if line.get("DetailType") == "SalesItemLineDetail":
            item = line["SalesItemLineDetail"]["ItemRef"].get("name", "")
            out.append(f"{item}  {line.get('Description', '')}  {line['Amount']:.2f} {currency}")
    out += ["", f"Total: {invoice['TotalAmt']:.2f} {currency}"]
    out.append(f"Balance due: {invoice['Balance']:.2f} {currency}")
    return out


def invoice_pdf(company_name: str, invoice: dict[str, Any]) -> bytes:
    text_ops = ["BT", "/F1 12 Tf", "50 780 Td", "16 TL"]
    for line in _lines(company_name, invoice):
        ascii_line = line.encode("latin-1", "replace").decode("latin-1")
        text_ops.append(f"({_escape(ascii_line)}) Tj T*")
    text_ops.append("ET")
    stream = "\n".join(text_ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref_at = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n"
    ).encode()
    return bytes(out)
