"""Which code points Hugging Face tokenizers' BertNormalizer (clean_text) removes
and which it turns into a space, over all of Unicode, as code point ranges.

Run with the `tokenizers` package installed:
    python3 scripts/refs/bert-clean-text.py > test/fixtures/bert-clean-text.json
The unit test test/unit/tokenizers/bert-normalizer.test.ts compares lmscope's
BertNormalizer with this file on every code point.
"""
import json
import sys

import tokenizers
from tokenizers.normalizers import BertNormalizer

normalizer = BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False)


def ranges(code_points):
    out = []
    for cp in code_points:
        if out and out[-1][1] == cp - 1:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return out


removed, spaced = [], []
for cp in range(0x110000):
    if 0xD800 <= cp <= 0xDFFF:  # surrogates cannot be in a Rust string
        continue
    piece = normalizer.normalize_str(chr(cp))
    if piece == "":
        removed.append(cp)
    elif piece == " " and cp != 0x20:
        spaced.append(cp)
    else:
        assert piece == chr(cp), (hex(cp), piece)

json.dump(
    {
        "source": f"tokenizers {tokenizers.__version__} BertNormalizer(clean_text=True)",
        "removed": ranges(removed),
        "space": ranges(spaced),
    },
    sys.stdout,
)
sys.stdout.write("\n")
