"""Fills msgstr entries of a .po file from a Python dict {msgid: msgstr}; keeps existing ones.

Usage: python scripts/fill_translations.py PO_FILE TABLE.py [TABLE.py ...]
(each TABLE.py defines T = {...})."""

import runpy
import sys

import polib


def main(po_path: str, *table_paths: str) -> int:
    table = {}
    for table_path in table_paths:
        table.update(runpy.run_path(table_path)["T"])
    po = polib.pofile(po_path)
    missing = []
    for entry in po:
        if entry.msgid in table:
            value = table[entry.msgid]
            if entry.msgid_plural:
                # Plural entries take a (singular, plural) pair.
                entry.msgstr_plural = dict(enumerate(value))
            else:
                entry.msgstr = value
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        elif "fuzzy" in entry.flags or not (entry.msgstr or any(entry.msgstr_plural.values())):
            missing.append(entry.msgid)
    po.save(po_path)
    for msgid in missing:
        print("untranslated:", msgid)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
