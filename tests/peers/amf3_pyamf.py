"""AMF3 peer for crates/rtmp/tests/peer_amf3.rs, on Py3AMF (the `pyamf` module).

Reads commands from stdin, one per line, answers one line each:

  rt HEX        decode HEX as one AMF3 value, answer "DESC HEX2": DESC
                describes what pyamf decoded, HEX2 is pyamf's own encoding of it
  body HEX      decode HEX as AMF0 values (an AVM+ switch starts an AMF3 value),
                answer the descriptions joined by "|"
  gen SEED N    generate N random values, answer N lines "DESC HEX" where HEX
                is pyamf's AMF3 encoding of the value DESC describes
  genbody SEED N  like gen, but each HEX is an AMF0 body: a name, a number,
                then an AVM+ switch and the value

A failure answers "ERR message". DESC is the description grammar that the
Rust test prints the same way:

  U N T F            undefined, null, true, false
  i<int>             integer           d<16 hex>   double (IEEE bits)
  s<hex>             string (UTF-8)    D<16 hex>   date (milliseconds, IEEE bits)
  B<hex>             byte array
  A[k<hex>=D,...;D,...]      array: associative part, then dense part
  O<hex>{k<hex>=D,...}       object: class name, then members in order
"""
import datetime
import random
import struct
import sys

import pyamf
from pyamf import amf0, amf3

EPOCH = datetime.datetime(1970, 1, 1)


def bits(number):
    return struct.pack(">d", number).hex()


def text(s):
    return s.encode("utf-8").hex()


def members(pairs):
    return ",".join("k%s=%s" % (text(k), desc(v)) for k, v in pairs)


def desc(value):
    if value is pyamf.Undefined:
        return "U"
    if value is None:
        return "N"
    if value is True:
        return "T"
    if value is False:
        return "F"
    if isinstance(value, int):
        return "i%d" % value
    if isinstance(value, float):
        return "d" + bits(value)
    if isinstance(value, str):
        return "s" + text(value)
    if isinstance(value, datetime.datetime):
        millis = (value.replace(tzinfo=None) - EPOCH) // datetime.timedelta(milliseconds=1)
        return "D" + bits(float(millis))
    if isinstance(value, amf3.ByteArray):
        return "B" + value.getvalue().hex()
    if isinstance(value, list):
        return "A[;%s]" % ",".join(desc(v) for v in value)
    if isinstance(value, pyamf.MixedArray):
        assoc = [(k, v) for k, v in value.items() if isinstance(k, str)]
        dense = [value[i] for i in range(len(value) - len(assoc))]
        return "A[%s;%s]" % (members(assoc), ",".join(desc(v) for v in dense))
    if isinstance(value, pyamf.TypedObject):
        return "O%s{%s}" % (text(value.alias), members(value.items()))
    if isinstance(value, pyamf.ASObject):
        return "O{%s}" % members(value.items())
    raise TypeError("no description for %r" % type(value))


def encode(value):
    encoder = amf3.Encoder()
    encoder.writeElement(value)
    return encoder.stream.getvalue()


def decode(data):
    decoder = amf3.Decoder(data)
    value = decoder.readElement()
    if decoder.stream.remaining():
        raise ValueError("%d byte(s) left" % decoder.stream.remaining())
    return value


def body(value):
    """An AMF0 command body: name, number, then the value as AMF3."""
    encoder = amf0.Encoder()
    encoder.writeElement("call")
    encoder.writeElement(1.0)
    encoder.writeAMF3(value)
    return encoder.stream.getvalue()


def decode_body(data):
    decoder = amf0.Decoder(data)
    values = []
    while decoder.stream.remaining():
        values.append(decoder.readElement())
    return values


class Generator:
    """Random values of the kinds pyamf encodes; some strings and objects
    repeat, so pyamf writes references to them."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.seen = []

    def string(self):
        r = self.rng.random()
        if r < 0.4:
            return self.rng.choice(["", "a", "ab", "live", "h\u00e9"])
        n = self.rng.randrange(0, 8)
        return "".join(self.rng.choice("xyz\u00e9\u4e2d\U0001f600") for _ in range(n))

    def key(self):
        return self.string() or "k"

    def leaf(self):
        kind = self.rng.randrange(9)
        if kind == 0:
            return pyamf.Undefined
        if kind == 1:
            return None
        if kind == 2:
            return self.rng.random() < 0.5
        if kind == 3:
            return self.rng.randrange(-(1 << 28), 1 << 28)
        if kind == 4:
            return self.rng.choice([0.5, -1.25, 1e300, float("inf"), self.rng.uniform(-1e9, 1e9)])
        if kind == 5:
            millis = self.rng.randrange(0, 4 * 10**12)
            return EPOCH + datetime.timedelta(milliseconds=millis)
        if kind == 6:
            return amf3.ByteArray(bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(6))))
        return self.string()

    def value(self, depth=0):
        if depth >= 3 or self.rng.random() < 0.4:
            return self.leaf()
        if self.seen and self.rng.random() < 0.15:
            return self.rng.choice(self.seen)
        kind = self.rng.randrange(3)
        n = self.rng.randrange(4)
        if kind == 0:
            result = [self.value(depth + 1) for _ in range(n)]
        elif kind == 1:
            result = pyamf.MixedArray()
            for _ in range(n):
                result[self.key()] = self.value(depth + 1)
            for i in range(self.rng.randrange(3)):
                result[i] = self.value(depth + 1)
        else:
            result = pyamf.ASObject()
            for _ in range(n):
                result[self.key()] = self.value(depth + 1)
        self.seen.append(result)
        return result


def answer(line):
    words = line.split()
    if words[0] == "rt":
        value = decode(bytes.fromhex(words[1]))
        return "%s %s" % (desc(value), encode(value).hex())
    if words[0] == "body":
        return "|".join(desc(v) for v in decode_body(bytes.fromhex(words[1])))
    if words[0] in ("gen", "genbody"):
        generator = Generator(int(words[1]))
        lines = []
        for _ in range(int(words[2])):
            generator.seen = []
            value = generator.value()
            data = encode(value) if words[0] == "gen" else body(value)
            lines.append("%s %s" % (desc(value), data.hex()))
        return "\n".join(lines)
    raise ValueError("unknown command %r" % words[0])


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            out = answer(line)
        except Exception as error:  # answered, not fatal: the test reports it
            out = "ERR %s: %s" % (type(error).__name__, str(error).replace("\n", " "))
        sys.stdout.write(out + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
