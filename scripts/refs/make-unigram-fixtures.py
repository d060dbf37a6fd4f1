"""Generates the Unigram / SentencePiece unit-test fixtures in test/fixtures/unigram/.

Three tiny SentencePiece models are trained on a generated corpus, each with the
expected outputs of the reference implementations on a list of test strings:

  rules-unigram  Unigram, a small custom normalization rule set (ligature, full-width
                 letters, e + combining acute, half-width kana with its voiced mark,
                 whitespace, zero-width space and soft hyphen removed), byte fallback, user-defined and control
                 symbols, T5's id layout (pad 0, eos 1, unk 2).
  plain-unigram  Unigram, identity normalization, extra whitespace kept, byte fallback.
  plain-bpe      BPE, identity normalization, extra whitespace kept, byte fallback
                 (the shape of Llama's tokenizer.model).

For the two Unigram models a tokenizer.json is built with huggingface/tokenizers
the way transformers' SpmConverter builds one (Precompiled + Strip + Replace,
Metaspace), with byte fallback on; plain-unigram uses prepend_scheme "first" and
no normalizer, to cover those paths. expected.json holds, per model and string,
tokenizers' ids, offsets (code points) and decoded text, and sentencepiece's ids
and decoded text.

Run with a Python that has sentencepiece and tokenizers (the versions used are
recorded in expected.json):
    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install sentencepiece tokenizers
    /tmp/ref/bin/python scripts/refs/make-unigram-fixtures.py
"""

import json
import os
import random

import sentencepiece as spm
import tokenizers
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "fixtures", "unigram")

WORDS = (
    "the cat sat on a mat and ran away quickly while dogs barked at night "
    "über naïve café résumé façade jalapeño straße "
    "日本 語 東京 ひらがな カタカナ 한국어 "
    "Москва привет Ελλάδα "
    "🙂 👍 🇫🇷 "
    "42 3.14 2024 100% "
    "don't it's we'll"
).split()

# Custom normalization rules: source code points -> replacement code points (hex).
RULES = [
    ("FB01", "66 69"),  # ﬁ -> fi
    ("2163", "49 56"),  # Ⅳ -> IV
    ("0065 0301", "E9"),  # e + combining acute -> é
    ("0041 030A", "C5"),  # A + combining ring -> Å
    ("FF8A FF9E", "30D0"),  # half-width ﾊﾞ -> バ (one rule for the pair)
    ("FF8A", "30CF"),  # ﾊ -> ハ
    ("FF9E", "3099"),  # ﾞ -> combining voiced mark
    ("0009", "20"),
    ("000A", "20"),
    ("000D", "20"),
    ("3000", "20"),
    ("00A0", "20"),
    ("200B", ""),  # zero-width space is removed
    ("00AD", ""),  # soft hyphen is removed
] + [(f"{0xFF21 + i:04X}", f"{0x41 + i:02X}") for i in range(26)]  # full-width A-Z

TEST_STRINGS = [
    "",
    " ",
    "   ",
    "a",
    "the cat sat on the mat.",
    "The quick brown fox jumps over the lazy dog!",
    "  leading spaces",
    "trailing spaces   ",
    "double  space and   triple",
    "tab\there\nnewline\r\ncrlf",
    "ﬁne ﬁsh",
    "Ⅳ and ＡＢＣ ｘ",
    "cafe\u0301 and caf\u00e9",
    "e\u0301\u0301 double accent",
    "A\u030a ring",
    "ｶﾀｶﾅ ﾊﾞｲﾄ ﾊ ﾞ",
    "nul\u0000inside",
    "\u0000start",
    "\u200bzero\u200bwidth\u00adsoft\u200b",
    "\u200b",
    "ideographic\u3000space and\u00a0nbsp",
    "日本語の東京へ行く",
    "한국어 한",
    "Москва привет Ελλάδα",
    "emoji 🙂👍 flags 🇫🇷🇩🇪 family 👨‍👩‍👧 skin 👍🏽",
    "keycap 1️⃣ and variation ☺️",
    "numbers 42, 3.14 and 2024-11-22",
    "don't it's we'll they're",
    "unknown ĳ ſ ǆ ₿ ∰ ꙮ",
    "private \ue000 and \U0010fffd",
    "combining at start \u0301x and alone \u0301",
    "x" + "\u0301" * 10,
    "sep<sep>here @@ and <mask> and </s> <pad>",
    "<unk> literal",
    "▁ literal lower one eighth block",
    "ab" * 100,
    "東" * 50,
    "😀" * 30,
    "a" + " " * 50 + "b",
    "mixed ﬁ　ＡＢ\tcafe\u0301 🙂 ﾊﾞ\u0000\u200b end",
]


def corpus(seed: int, lines: int) -> list:
    rng = random.Random(seed)
    extra = ["ﬁ", "Ⅳ", "ＡＢ", "cafe\u0301", "A\u030a", "ﾊﾞｲﾄ", "\t", "\u3000", "<sep>", "@@"]
    out = []
    for _ in range(lines):
        n = rng.randint(3, 12)
        words = [rng.choice(WORDS) if rng.random() > 0.1 else rng.choice(extra) for _ in range(n)]
        out.append(" ".join(words))
    return out


def train(name: str, **options) -> str:
    prefix = os.path.join(OUT, name)
    spm.set_random_generator_seed(13)
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus(7, 3000)),
        model_prefix=prefix,
        num_threads=1,
        minloglevel=2,
        shuffle_input_sentence=False,
        input_sentence_size=0,
        **options,
    )
    os.remove(prefix + ".vocab")
    return prefix + ".model"


def hf_tokenizer(model_file: str, *, charsmap: bool, prepend_scheme: str, unk_id: int, specials: list) -> Tokenizer:
    """A tokenizer.json as transformers' SpmConverter assembles it, with byte fallback kept."""
    proto = spm.SentencePieceProcessor(model_file=model_file)
    vocab = [(proto.id_to_piece(i), proto.get_score(i)) for i in range(proto.get_piece_size())]
    tok = Tokenizer(models.Unigram(vocab, unk_id=unk_id, byte_fallback=True))
    if charsmap:
        from sentencepiece import sentencepiece_model_pb2

        m = sentencepiece_model_pb2.ModelProto()
        with open(model_file, "rb") as f:
            m.ParseFromString(f.read())
        tok.normalizer = normalizers.Sequence(
            [
                normalizers.Precompiled(m.normalizer_spec.precompiled_charsmap),
                normalizers.Strip(left=False, right=True),
                normalizers.Replace(Regex(" {2,}"), "▁"),
            ]
        )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme=prepend_scheme)
    tok.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Metaspace(replacement="▁", prepend_scheme=prepend_scheme)])
    tok.add_special_tokens([tokenizers.AddedToken(s, normalized=False, special=True) for s in specials])
    return tok


def code_point_offsets(text: str, offsets) -> list:
    return [list(o) for o in offsets]


def expected_for(model_file: str, tok) -> list:
    sp = spm.SentencePieceProcessor(model_file=model_file)
    out = []
    for text in TEST_STRINGS:
        line = {"text": text, "spm_ids": sp.encode(text), "spm_decoded": sp.decode(sp.encode(text))}
        if tok is not None:
            enc = tok.encode(text)
            line.update(
                {
                    "ids": enc.ids,
                    "offsets": code_point_offsets(text, enc.offsets),
                    "decoded": tok.decode(enc.ids, skip_special_tokens=False),
                    "decoded_skip_special": tok.decode(enc.ids, skip_special_tokens=True),
                }
            )
        out.append(line)
    return out


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    rules_tsv = os.path.join(OUT, "rules.tsv")
    with open(rules_tsv, "w") as f:
        for src, dst in RULES:
            f.write(f"{src}\t{dst}\n")
    rules = train(
        "rules-unigram",
        model_type="unigram",
        vocab_size=400,
        hard_vocab_limit=False,
        normalization_rule_tsv=rules_tsv,
        byte_fallback=True,
        character_coverage=0.98,
        user_defined_symbols=["<sep>", "@@"],
        control_symbols=["<mask>"],
        pad_id=0,
        eos_id=1,
        unk_id=2,
        bos_id=-1,
    )
    os.remove(rules_tsv)
    plain = train(
        "plain-unigram",
        model_type="unigram",
        vocab_size=400,
        hard_vocab_limit=False,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        byte_fallback=True,
        character_coverage=0.98,
    )
    bpe = train(
        "plain-bpe",
        model_type="bpe",
        vocab_size=400,
        hard_vocab_limit=False,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        byte_fallback=True,
        character_coverage=0.98,
    )
    rules_tok = hf_tokenizer(rules, charsmap=True, prepend_scheme="always", unk_id=2, specials=["<pad>", "</s>", "<mask>"])
    rules_tok.save(os.path.join(OUT, "rules-unigram.tokenizer.json"))
    plain_tok = hf_tokenizer(plain, charsmap=False, prepend_scheme="first", unk_id=0, specials=["<unk>", "<s>", "</s>"])
    plain_tok.save(os.path.join(OUT, "plain-unigram.tokenizer.json"))
    expected = {
        "versions": {"sentencepiece": spm.__version__, "tokenizers": tokenizers.__version__},
        "rules-unigram": expected_for(rules, rules_tok),
        "plain-unigram": expected_for(plain, plain_tok),
        "plain-bpe": expected_for(bpe, None),
    }
    # One test string per line, so that diffs of regenerated files stay readable.
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        f.write("{\n")
        f.write(f'"versions": {json.dumps(expected["versions"])},\n')
        names = ["rules-unigram", "plain-unigram", "plain-bpe"]
        for n, name in enumerate(names):
            rows = ",\n".join(json.dumps(line, ensure_ascii=True, separators=(",", ":")) for line in expected[name])
            f.write(f'"{name}": [\n{rows}\n]{"," if n + 1 < len(names) else ""}\n')
        f.write("}\n")


if __name__ == "__main__":
    main()
