# Reference outputs of Hugging Face transformers' generate() on the tiny seq2seq
# models of ../shared/fixtures/seq2seq for generation options those fixtures do not
# cover: beam search with length penalties, early_stopping False / "never",
# several returned sequences, no-repeat n-grams, minimum lengths, the repetition
# penalty, and greedy decoding with those processors, each on top of the model's own
# generation_config.json (BART's min_length 8 and no_repeat_ngram_size 3 apply where
# the options do not override them). float64 models, eager attention, one thread.
# Writes test/conformance/seq2seq-generation-options.json, which
# test/conformance/seq2seq-options.test.ts compares lmscope with.
#
#   python3 -m venv /tmp/ref && /tmp/ref/bin/pip install torch transformers
#   /tmp/ref/bin/python scripts/refs/seq2seq-generation-options.py
import json
import pathlib

import torch
import transformers
from transformers import AutoModelForSeq2SeqLM

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT.parent / "shared" / "fixtures" / "seq2seq"
OUT = ROOT / "test" / "conformance" / "seq2seq-generation-options.json"

OPTIONS = [
    dict(num_beams=3, length_penalty=2.0, early_stopping=False, num_return_sequences=3, max_new_tokens=10),
    dict(num_beams=4, length_penalty=0.5, early_stopping="never", num_return_sequences=2, max_new_tokens=9, no_repeat_ngram_size=2),
    dict(num_beams=2, length_penalty=1.0, early_stopping=True, max_new_tokens=12, min_length=6),
    dict(num_beams=1, max_new_tokens=10, no_repeat_ngram_size=2, min_new_tokens=4, repetition_penalty=1.3),
    dict(num_beams=5, max_new_tokens=8, repetition_penalty=1.2, num_return_sequences=5),
]
INPUTS = {
    "t5-tiny": [[37, 5, 99, 12, 400, 3, 1], [8, 8, 300, 21, 1]],
    "bart-tiny": [[0, 136, 390, 25, 191, 2], [0, 7, 19, 400, 2]],
    "marian-tiny": [[136, 390, 25, 191, 0], [7, 19, 400, 12, 9, 0]],
}


def generated(sequence, eos, pad):
    """The generated ids: start token dropped, cut after the first eos, padding dropped."""
    ids = sequence[1:]
    for i, t in enumerate(ids):
        if t in eos:
            return ids[: i + 1]
    while ids and ids[-1] == pad:
        ids.pop()
    return ids


def main():
    torch.set_num_threads(1)
    cases = []
    for name, rows in INPUTS.items():
        model = AutoModelForSeq2SeqLM.from_pretrained(FIXTURES / name, attn_implementation="eager", dtype=torch.float64).eval()
        gen = model.generation_config
        eos = gen.eos_token_id if isinstance(gen.eos_token_id, list) else [gen.eos_token_id]
        for options in OPTIONS:
            for row in rows:
                with torch.no_grad():
                    out = model.generate(torch.tensor([row]), do_sample=False, output_scores=True, return_dict_in_generate=True, **options)
                scores = getattr(out, "sequences_scores", None)
                cases.append(
                    dict(
                        model=name,
                        generate_kwargs=options,
                        input_ids=row,
                        generated_ids=[generated(s, eos, gen.pad_token_id) for s in out.sequences.tolist()],
                        sequences_scores=None if scores is None else scores.tolist(),
                    )
                )
    OUT.write_text(
        json.dumps(
            dict(
                generator="scripts/refs/seq2seq-generation-options.py",
                transformers=transformers.__version__,
                torch=torch.__version__,
                note="sequences_scores are transformers' (float32 arithmetic); generated_ids exclude the decoder start token",
                cases=cases,
            ),
            indent=1,
        )
        + "\n"
    )
    print(f"{len(cases)} cases → {OUT}")


main()
