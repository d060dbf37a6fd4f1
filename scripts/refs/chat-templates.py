"""Expected chat-template renderings from Hugging Face transformers.

1. Renders every conversation of test/fixtures/chat-templates/cases.json with every
template of test/fixtures/chat-templates/templates/ through transformers'
`apply_chat_template(..., tokenize=False)` and writes expected.json beside them.
The special tokens a model's tokenizer_config.json names (sources.json) are given
to a tokenizer made for the purpose, so they reach the template as transformers
passes them. A template that raises (raise_exception) records the message instead of text
("error"); one that fails on a missing value records "failure".

2. Loads each folder of test/fixtures/chat-templates/folders/ (tokenizer_config.json,
special_tokens_map.json, chat_template.jinja, additional_chat_templates/) with
AutoTokenizer, as a model folder is loaded, and records the special tokens the
templates see and which template each kind of call picks: expected-folders.json.

    python3 -m venv /tmp/ref-chat
    /tmp/ref-chat/bin/pip install transformers jinja2
    /tmp/ref-chat/bin/python scripts/refs/chat-templates.py
"""

import json
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from unittest import mock

import jinja2
import transformers
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from transformers import AutoTokenizer, PreTrainedTokenizerFast
from transformers.utils import chat_template_utils

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "test" / "fixtures" / "chat-templates"


def tokenizer_with(special_tokens):
    vocab = {"<unk-ref>": 0}
    for token in special_tokens.values():
        vocab.setdefault(token, len(vocab))
    model = Tokenizer(WordLevel(vocab, unk_token="<unk-ref>"))
    return PreTrainedTokenizerFast(tokenizer_object=model, **special_tokens)


class FixedClock(datetime):
    fixed = None

    @classmethod
    def now(cls, tz=None):
        return cls.fixed


def render(tokenizer, template, case, tools):
    kwargs = dict(case.get("kwargs", {}))
    try:
        text = tokenizer.apply_chat_template(
            case["messages"],
            tokenize=False,
            chat_template=template,
            add_generation_prompt=case.get("add_generation_prompt", False),
            continue_final_message=case.get("continue_final_message", False),
            tools=tools if case.get("tools") else None,
            documents=case.get("documents"),
            **kwargs,
        )
        return {"text": text}
    except jinja2.exceptions.UndefinedError as error:
        return {"failure": str(error)}
    except jinja2.exceptions.TemplateError as error:
        return {"error": str(error)}


FOLDER_CALLS = [
    {"name": "plain", "messages": [{"role": "user", "content": "hi"}], "add_generation_prompt": True},
    {"name": "with-tools", "messages": [{"role": "user", "content": "hi"}], "tools": True},
    {"name": "named-rag", "messages": [{"role": "user", "content": "hi"}], "template_name": "rag", "documents": [{"title": "t", "text": "x"}]},
]


def folder_expectations(tools):
    out = {}
    for folder in sorted((FIXTURES / "folders").iterdir()):
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / folder.name
            shutil.copytree(folder, copy)
            config = json.loads((copy / "tokenizer_config.json").read_text(encoding="utf-8"))
            words = {"<unk-ref>": 0}
            for value in config.values():
                if isinstance(value, str) and value.startswith("<") and len(value) < 12:
                    words.setdefault(value, len(words))
            Tokenizer(WordLevel(words, unk_token="<unk-ref>")).save(str(copy / "tokenizer.json"))
            tokenizer = AutoTokenizer.from_pretrained(str(copy))
            calls = {}
            for call in FOLDER_CALLS:
                try:
                    text = tokenizer.apply_chat_template(
                        call["messages"],
                        tokenize=False,
                        chat_template=call.get("template_name"),
                        add_generation_prompt=call.get("add_generation_prompt", False),
                        tools=tools if call.get("tools") else None,
                        documents=call.get("documents"),
                    )
                    calls[call["name"]] = {"text": text}
                except (ValueError, jinja2.exceptions.TemplateError) as error:
                    calls[call["name"]] = {"error": str(error).split("!")[0]}
            out[folder.name] = {"special_tokens": dict(sorted(tokenizer.special_tokens_map.items())), "calls": calls}
    return out


def main():
    cases = json.loads((FIXTURES / "cases.json").read_text(encoding="utf-8"))
    sources = json.loads((FIXTURES / "sources.json").read_text(encoding="utf-8"))
    FixedClock.fixed = datetime.fromisoformat(cases["now"])
    expected = {"transformers": transformers.__version__, "jinja2": jinja2.__version__, "renders": {}}
    with mock.patch.object(chat_template_utils, "datetime", FixedClock):
        for name in sorted(sources):
            template = (FIXTURES / "templates" / f"{name}.jinja").read_text(encoding="utf-8")
            tokenizer = tokenizer_with(sources[name]["specialTokens"])
            out = {}
            for case in cases["cases"]:
                if "templates" in case and name not in case["templates"]:
                    continue
                out[case["name"]] = render(tokenizer, template, case, cases["tools"])
            expected["renders"][name] = out
    folders = {"transformers": transformers.__version__, "calls": FOLDER_CALLS, "folders": folder_expectations(cases["tools"])}
    (FIXTURES / "expected-folders.json").write_text(json.dumps(folders, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    path = FIXTURES / "expected.json"
    path.write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    count = sum(len(v) for v in expected["renders"].values())
    errors = sum(1 for v in expected["renders"].values() for r in v.values() if "error" in r)
    failures = sum(1 for v in expected["renders"].values() for r in v.values() if "failure" in r)
    print(f"{path}: {count} renderings ({errors} raised, {failures} failed) with transformers {transformers.__version__}")


if __name__ == "__main__":
    main()
