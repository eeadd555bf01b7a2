"""Safe XML parsing for office documents (OOXML, ODF) read out of a drop.

The reading stage never parses document XML: a ``.docx`` stays one Member. The document
stage (a later issue) must parse its parts only through ``safe_parse_xml``, which refuses
any DTD, entity declaration or external reference (billion laughs, quadratic blowup, XXE)
instead of expanding them.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from triage.errors import InputError

# Largest XML part parsed (document.xml of a 1,000-page report is ~20 MiB).
MAX_XML_BYTES = 64 * 1024 * 1024


def safe_parse_xml(data: bytes) -> Element:
    """Parse ``data`` as XML with DTDs, entities and external references forbidden.

    Raises InputError (one line) for a DTD, an entity, oversized or malformed XML.
    """
    if len(data) > MAX_XML_BYTES:
        raise InputError(f"XML part of {len(data)} bytes is over the {MAX_XML_BYTES}-byte limit")
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InputError(f"XML refused: {type(exc).__name__} (DTDs and entities are not allowed)") from None
    except Exception as exc:  # noqa: BLE001 - ParseError and friends: malformed XML
        raise InputError(f"XML is malformed: {' '.join(str(exc).split())[:200]}") from None
