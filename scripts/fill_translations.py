"""Fills msgstr entries of a .po file from a Python dict {msgid: msgstr}; keeps existing ones.

Usage: python scripts/fill_translations.py PO_FILE TRANSLATIONS_PY (a file defining T = {...})."""

import runpy
import sys

import polib


def main(po_path: str, table_path: str) -> int:
    table = runpy.run_path(table_path)["T"]
    po = polib.pofile(po_path)
    missing = []
    for entry in po:
        if entry.msgid in table:
            entry.msgstr = table[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        elif not entry.msgstr:
            missing.append(entry.msgid)
    po.save(po_path)
    for msgid in missing:
        print("untranslated:", msgid)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
