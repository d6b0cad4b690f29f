"""Writes the seed inputs of the abi_sequences target (fuzz/corpus/abi_sequences/).

The byte format is the decoder of fuzz/src/checks.rs (`run_op`): one op byte, then its
arguments. This script spells a few meaningful sequences in it; run it from fuzz/.
"""

import os

VALID = ["a", "b", "a.b", "a.b.c", "A", "train.lr", "x_1", "x-1", "模型.学习率", "a.B"]
WORDS = ["", "true", "False", " yes ", "on", "1", "0", "t", "n", "maybe", "42", " -7 ", "+5",
         "3.0", "3.5", "1e3", "1e999", "-0", "nan", "inf", "-inf", "null", "None", "adam"]


class Seq:
    def __init__(self):
        self.out = bytearray()
        self.handles = 0

    def sel(self, index=None):  # None: NULL
        self.out.append(self.handles if index is None else index)

    def key(self, name):
        self.out += bytes([0, VALID.index(name)])

    def push(self):
        self.out.append(0)
        self.handles += 1
        return self

    def new(self, parent=None):
        self.out.append(1)
        self.sel(parent)
        self.handles += 1
        return self

    def new_empty(self):
        self.out.append(2)
        self.handles += 1
        return self

    def current(self):
        self.out.append(4)
        self.handles += 1
        return self

    def enter(self, h):
        self.out.append(6)
        self.sel(h)
        return self

    def exit(self, h):
        self.out.append(7)
        self.sel(h)
        return self

    def activate(self, h=None):
        self.out.append(9)
        self.sel(h)
        return self

    def set_int(self, key, value, scope=None):  # value: -128..127
        self.out.append(10)
        self.sel(scope)
        self.key(key)
        self.out += bytes([2, 1, value & 0xFF])
        return self

    def set_word(self, key, word, scope=None):
        self.out.append(10)
        self.sel(scope)
        self.key(key)
        self.out += bytes([4, 0, 0, WORDS.index(word)])
        return self

    def set_host(self, key, scope=None):
        self.out.append(10)
        self.sel(scope)
        self.key(key)
        self.out.append(5)
        return self

    def set_parsed(self, key, word, scope=None):
        self.out.append(11)
        self.sel(scope)
        self.out.append(3)
        self.key(key)
        self.out += bytes([0, WORDS.index(word)])
        return self

    def get(self, key, kind, scope=None):  # kind: 0 bool 1 i64 2 f64 3 str 4 value 5 source
        self.out.append(13)
        self.sel(scope)
        self.key(key)
        self.out += bytes([kind, 1])
        return self

    def by_hash(self, key, kind):  # kind: 0 bool 1 i64 2 f64 3 str
        self.out.append(14)
        self.key(key)
        self.out += bytes([kind, 1])
        return self

    def get_i64_or(self, key, default):
        self.out.append(15)
        self.key(key)
        self.out += bytes([1, 1, default & 0xFF])
        return self

    def keys(self, scope=None):
        self.out += bytes([16])
        self.sel(scope)
        self.out.append(1)
        return self

    def frozen(self):
        self.out.append(17)
        return self

    def clear(self, scope=None):
        self.out.append(18)
        self.sel(scope)
        return self

    def other_thread(self, key, exit_handle=None):
        self.out.append(20)
        self.sel(exit_handle)
        self.out.append(VALID.index(key))
        return self


def write(name, seq):
    with open(os.path.join("corpus", "abi_sequences", name), "wb") as f:
        f.write(bytes(seq.out))


os.makedirs(os.path.join("corpus", "abi_sequences"), exist_ok=True)
# Nesting and rollback, read by text and by hash (the read cache) on the way.
write("nesting", Seq().push().set_int("a", 1).by_hash("a", 1).push().by_hash("a", 1)
      .set_int("a", 2).by_hash("a", 1).get("a", 2).exit(1).by_hash("a", 1).get_i64_or("a", 9)
      .exit(0).by_hash("a", 1).get_i64_or("a", 9).keys())
# Out-of-order exits change nothing.
write("exit_order", Seq().push().push().exit(0).set_int("b", 3).exit(1).exit(1).exit(0).keys())
# The baseline: published, seen by another thread, shadowed, cleared.
write("baseline", Seq().push().set_word("train.lr", "3.5").set_parsed("a.b", "42").frozen()
      .exit(0).other_thread("train.lr").get("train.lr", 2).get("a.b", 5).by_hash("train.lr", 3)
      .set_int("train.lr", 1).clear().get("train.lr", 4).other_thread("a.b", 0))
# Host objects: overwritten, cleared, published, and dropped with their scope.
write("host_objects", Seq().push().set_host("a").set_host("a").set_host("b").get("a", 4)
      .get("a", 1).frozen().clear().set_host("A").exit(0).keys())
# Handles not entered, an empty scope, activation.
write("handles", Seq().new_empty().set_int("x_1", 5, scope=0).new(0).get("x_1", 1, scope=1)
      .activate(1).by_hash("x_1", 1).current().enter(2).set_int("x-1", -3).exit(2)
      .activate().by_hash("x_1", 1).keys(0).keys(1))
