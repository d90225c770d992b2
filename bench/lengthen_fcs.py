#!/usr/bin/env python3
"""Write an FCS file with EVENTS events: SRC's DATA repeated (and cut), $TOT and the data offsets
rewritten in TEXT and HEADER, the version kept. For benches that need a large file with a real
instrument's keywords. Usage: lengthen_fcs.py SRC DST EVENTS"""
import re
import sys

src, dst, events = sys.argv[1], sys.argv[2], int(sys.argv[3])
b = open(src, 'rb').read()
ts, te, ds, de = (int(b[i:i + 8]) for i in (10, 18, 26, 34))
text = b[ts:te + 1].decode('latin-1')
d = text[0]
parts = text[1:].split(d)
keys = dict(zip(parts[0::2], parts[1::2]))
per_event = (de - ds + 1) // int(keys['$TOT'])
data = (b[ds:de + 1] * (-(-events // int(keys['$TOT']))))[:events * per_event]


def put(t, key, value):
    return re.sub(re.escape(d + key + d) + r'[^' + re.escape(d) + r']*', lambda m: d + key + d + value, t, count=1)


text = put(text, '$TOT', str(events))
text = put(put(text, '$BEGINDATA', '0'), '$ENDDATA', '0')
for _ in range(4):  # the offsets' digits change the TEXT length
    begin = 58 + len(text.encode('latin-1'))
    text = put(put(text, '$BEGINDATA', str(begin)), '$ENDDATA', str(begin + len(data) - 1))
t = text.encode('latin-1')
begin = 58 + len(t)
head = b[:10] + b''.join(f'{x:>8}'.encode() for x in (58, 58 + len(t) - 1, begin, begin + len(data) - 1, 0, 0))
open(dst, 'wb').write(head + t + data)
