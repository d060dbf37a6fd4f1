"""Generates test/fixtures/sacrebleu/vectors.json: sacreBLEU's outputs on generated data.

The metrics in src/evaluation reproduce sacreBLEU; besides the test vectors of
sacreBLEU's own test suite (copied into the unit test), this records, with the
installed sacreBLEU:

  tokenizers  the 13a and intl tokenizations of strings full of punctuation,
              digits, HTML entities and Unicode whitespace;
  bleu        corpus and sentence BLEU over a grid of options (tokenizer, case,
              smoothing, effective order, n-gram order) on generated corpora
              with one to three references, some segments without one;
  chrf        chrF and chrF++ over a grid (orders, beta, case, whitespace,
              epsilon smoothing), corpus and sentence level.

Each case keeps the score (as a float), the statistics and sacreBLEU's
formatted line with its signature.

    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install sacrebleu
    /tmp/ref/bin/python scripts/refs/make-sacrebleu-vectors.py
"""

import json
import logging
import os
import random

import sacrebleu
from sacrebleu.metrics import BLEU, CHRF
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a
from sacrebleu.tokenizers.tokenizer_intl import TokenizerV14International

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "fixtures", "sacrebleu")

WORDS = (
    "the a cat dog sat on mat and ran away quickly while it was not unexpected man bit him first "
    "Haus Straße über naïve café 東京 日本語 привет мир 3.14 2,000 1-2 U.S. e-mail don't it's "
    "(see) [note] {x} \"quoted\" 'single' 50% $5 a&b <tag> #1 @home x/y ; : ! ? ... -- —"
).split()

TOKENIZER_STRINGS = [
    "Hello, world! It's 3.14 or 2,000 -- e.g. 1-2 (see p. 5).",
    "&quot;quoted&quot; &amp; &lt;b&gt; and <skipped> gone",
    "line-\nbreak and\nnewline",
    "a\u3000b\u00a0c\u2028d\u0085e\x1cf\ufeffg\u200bh",
    "numbers 1.000,50 and 1,000.50 and 2024-11-22 and -5 and 5- x",
    "emoji 🙂. CJK 日本語。「引用」 Русский, текст! ¿Qué? «guillemets» “curly” ‘quotes’",
    "symbols: € £ ¥ © ® ™ ± × ÷ → ∑ √ ∞ ≠ ≤ and math 2+2=4 a^b a~b a|b",
    "trailing dot. 2023. 3.5. end.",
    "tabs\tand  multiple   spaces \t mixed ",
    "",
    "   ",
    "...!!!???",
]


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 14)))


def perturb(rng: random.Random, text: str) -> str:
    words = text.split()
    out = []
    for w in words:
        r = rng.random()
        if r < 0.1:
            continue
        if r < 0.2:
            out.append(rng.choice(WORDS))
        elif r < 0.25:
            out.extend([w, rng.choice(WORDS)])
        else:
            out.append(w.upper() if rng.random() < 0.05 else w)
    if rng.random() < 0.2 and len(out) > 1:
        i = rng.randrange(len(out) - 1)
        out[i], out[i + 1] = out[i + 1], out[i]
    return " ".join(out)


def corpus(seed: int, segments: int, refs: int, missing: bool):
    rng = random.Random(seed)
    sources = [sentence(rng) for _ in range(segments)]
    hyps = [perturb(rng, s) for s in sources]
    streams = []
    for k in range(refs):
        stream = []
        for i, s in enumerate(sources):
            if missing and k > 0 and rng.random() < 0.3:
                stream.append(None)
            else:
                stream.append(s if k == 0 else perturb(rng, s))
        streams.append(stream)
    return hyps, streams


def bleu_case(metric: BLEU, score, kind: str, options: dict, data: str) -> dict:
    return {
        "kind": kind,
        "data": data,
        "options": options,
        "score": score.score,
        "counts": list(score.counts),
        "totals": list(score.totals),
        "sys_len": score.sys_len,
        "ref_len": score.ref_len,
        "bp": score.bp,
        "formatted": score.format(signature=str(metric.get_signature())),
    }


def main() -> None:
    logging.getLogger("sacrebleu").setLevel(logging.ERROR)
    os.makedirs(OUT, exist_ok=True)
    datasets = {
        "one-ref": corpus(1, 30, 1, False),
        "three-refs": corpus(2, 25, 3, False),
        "missing-refs": corpus(3, 25, 3, True),
        "tiny": (["the cat", "", "a"], [["the cat sat", "nothing here", "a"]]),
    }
    tok13a, intl = Tokenizer13a(), TokenizerV14International()
    tokenizers = [{"text": s, "13a": tok13a(s.rstrip()), "intl": intl(s.rstrip())} for s in TOKENIZER_STRINGS]

    bleu = []
    grid = [
        {},
        {"tokenize": "intl"},
        {"tokenize": "char"},
        {"tokenize": "none"},
        {"lowercase": True},
        {"smooth_method": "floor"},
        {"smooth_method": "floor", "smooth_value": 0.5},
        {"smooth_method": "add-k"},
        {"smooth_method": "add-k", "smooth_value": 2},
        {"smooth_method": "none"},
        {"effective_order": True},
        {"max_ngram_order": 2},
        {"max_ngram_order": 6, "smooth_method": "floor", "effective_order": True},
    ]
    for data, (hyps, refs) in datasets.items():
        for options in grid:
            metric = BLEU(**options)
            bleu.append(bleu_case(metric, metric.corpus_score(hyps, refs), "corpus", options, data))
    hyps, refs = datasets["one-ref"]
    for i in range(8):
        for options in [{}, {"smooth_method": "floor"}, {"smooth_method": "add-k"}, {"tokenize": "char"}, {"effective_order": False}]:
            metric = BLEU(**{"effective_order": True, **options})
            seg_refs = [stream[i] for stream in refs]
            bleu.append(bleu_case(metric, metric.sentence_score(hyps[i], seg_refs), "sentence", {"effective_order": True, **options}, f"one-ref[{i}]"))

    chrf = []
    chrf_grid = [
        {},
        {"word_order": 2},
        {"beta": 1},
        {"beta": 3, "eps_smoothing": True},
        {"char_order": 4, "word_order": 1},
        {"lowercase": True, "word_order": 2},
        {"whitespace": True},
        {"eps_smoothing": True, "word_order": 2},
    ]
    for data, (hyps, refs) in datasets.items():
        for options in chrf_grid:
            metric = CHRF(**options)
            score = metric.corpus_score(hyps, refs)
            chrf.append({"kind": "corpus", "data": data, "options": options, "score": score.score, "formatted": score.format(signature=str(metric.get_signature()))})
    for i in range(6):
        for options in [{}, {"word_order": 2}, {"eps_smoothing": True}]:
            metric = CHRF(**options)
            seg_refs = [stream[i] for stream in datasets["three-refs"][1]]
            score = metric.sentence_score(datasets["three-refs"][0][i], seg_refs)
            chrf.append({"kind": "sentence", "data": f"three-refs[{i}]", "options": options, "score": score.score, "formatted": score.format(signature=str(metric.get_signature()))})

    out = {
        "sacrebleu": sacrebleu.__version__,
        "datasets": {name: {"hypotheses": h, "references": r} for name, (h, r) in datasets.items()},
        "tokenizers": tokenizers,
        "bleu": bleu,
        "chrf": chrf,
    }
    with open(os.path.join(OUT, "vectors.json"), "w") as f:
        json.dump(out, f, ensure_ascii=True, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
