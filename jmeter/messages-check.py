#!/usr/bin/env python3
"""Checks jmeter/messages.csv against python3's own semantics (the original
server's): strip(), last code point, count, prime -> "<n> sí" / "<n> no".
Exit 1 and print the row on any mismatch.   python3 jmeter/messages-check.py
"""
import csv
import pathlib
import sys


def answer(message):
    s = message.strip()
    n = s.count(s[-1])
    prime = n >= 2 and all(n % d for d in range(2, int(n ** 0.5) + 1))
    return f"{n} {'sí' if prime else 'no'}"


path = pathlib.Path(__file__).with_name('messages.csv')
with path.open(encoding='utf-8', newline='') as f:
    rows = list(csv.DictReader(f))
bad = [r for r in rows if answer(r['message']) != r['expected']]
for r in bad:
    print(f"mismatch: {r['message']!r} expected {r['expected']!r}, python3 says {answer(r['message'])!r}")
print(f'{len(rows)} messages, {len(bad)} mismatches')
sys.exit(1 if bad else 0)
