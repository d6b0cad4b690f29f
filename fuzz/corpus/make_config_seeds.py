"""Writes the seed inputs of the config_loader target (fuzz/corpus/config_loader/).

The byte format is the decoder of fuzz/python/config_loader.py (`build`). Raw seeds are
mode 0, an extension index, a byte that skips the schema, then the file's bytes; the
others are fixed bytes that decode to a tree of files or to a long pattern. Run from fuzz/.
"""

import os

EXT = {".json": 0, ".toml": 1, ".yaml": 2, ".yml": 3}
RAW = {
    "json_refs": (
        ".json",
        '{"data": {"root": "/d", "train": "${data.root}/t"}, "lr": "${env:HP_FUZZ_SET}",'
        ' "l": [1, "${l.0}"], "esc": "$${x}"}',
    ),
    "toml_tables": (
        ".toml",
        '[train]\nlr = 0.01\nbs = 0x40\nwhen = 2001-02-03\n[data]\nroot = "${train.lr}"\n',
    ),
    "yaml_anchors": (
        ".yaml",
        "base: &b {lr: 0.1, layers: [1, 2]}\nexp:\n  <<: *b\n  lr: 0.2\nwhen: 2001-12-14\n"
        "on: yes\nt: 12:30:45\n",
    ),
    "yaml_bad_date": (".yaml", "a: 2001-13-45\n"),
    "yaml_tags": (".yml", "a: !!set {x, y}\nb: !!omap [c: 1]\nc: !!binary aGVsbG8=\nd: !!float .inf\n"),
    "json_cycle": (".json", '{"a": "${b}", "b": "${a}", "c": {"d": "${c}"}}'),
    "yaml_defaults": (".yaml", "defaults: [main.yaml]\na: 1\n"),
}
os.makedirs("corpus/config_loader", exist_ok=True)
for name, (ext, text) in RAW.items():
    with open(f"corpus/config_loader/{name}", "wb") as f:
        f.write(bytes([0, EXT[ext], 1]) + text.encode())
# Trees over several files (mode 2..5) and long patterns (mode 6, 7): fixed byte strings.
TREES = {
    "tree_bases": bytes([2, 2, 0, 2, 4, 3, 0, 1, 2, 5, 1, 0, 7, 9, 2, 0, 0, 4, 1, 0, 1, 1, 6, 2, 9, 9]),
    "tree_schema": bytes([3, 0, 0, 3, 0, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1, 0, 4, 0, 2, 1, 3, 0, 5, 9, 11]),
    "tree_mutated": bytes([4, 1, 2, 1, 3, 1, 2, 3, 0, 0, 0, 6, 7, 0, 5, 0, 0, 3, 3, 1, 30, 2, 17]),
    "alias_bomb": bytes([6, 1, 20, 7, 1]),
    "reference_chain": bytes([6, 3, 0xF4, 0x01, 0, 1]),
    "deep_flow": bytes([6, 0, 0, 0x10, 0x27, 1]),
}
for name, data in TREES.items():
    with open(f"corpus/config_loader/{name}", "wb") as f:
        f.write(data)
