"""The consumers of the exports, run for real on a tiny local model (nothing downloaded).

- :func:`load_rows`: Hugging Face ``datasets`` reads a file, and the features it infers must not
  fall back to an untyped column (a file of mixed row shapes does).
- :func:`train_step`: one optimisation step of TRL's SFT, DPO or KTO trainer on a one-layer
  Llama built from a config, with a byte-level BPE tokenizer trained on the file's own text and
  a chat template that renders system, user, assistant, tool turns, tool calls and tools.
- :func:`openai_format_errors` / :func:`openai_warnings`: the checks of OpenAI's fine-tuning
  data-preparation notebook ("Data preparation and analysis for chat model fine-tuning"),
  with the function-calling shapes of the current fine-tuning guide (``tool_calls`` on assistant
  turns, ``tool`` turns, ``weight``) where the notebook predates them.
"""

from __future__ import annotations

import copy
import json
import math
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # (the Hub is off: see conftest)

CHAT_TEMPLATE = (
    "{% if tools %}<|tools|>{{ tools | tojson }}\n{% endif %}"
    "{% for m in messages %}"
    "<|{{ m['role'] }}|>"
    "{% if m['content'] %}{{ m['content'] }}{% endif %}"
    "{% if m['tool_calls'] %}{% for c in m['tool_calls'] %}"
    "<|call|>{{ c['function']['name'] }} {{ c['function']['arguments'] }}"
    "{% endfor %}{% endif %}"
    "<|end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
SPECIAL = ["<|pad|>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>", "<|tool|>",
           "<|tools|>", "<|call|>"]


def load_rows(path: Path) -> Any:
    """The file as ``datasets`` loads it (JSON lines, or CSV for ``.csv``)."""
    from datasets import load_dataset

    kind = "csv" if path.suffix == ".csv" else "json"
    return load_dataset(kind, data_files=str(path), split="train")


def untyped_columns(ds: Any) -> list[str]:
    """Columns ``datasets`` could not type (its ``Json`` fallback for mixed shapes)."""
    return [name for name, feature in ds.features.items() if "Json" in repr(feature)]


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def tiny_tokenizer(rows: list[dict[str, Any]]) -> Any:
    """A byte-level BPE tokenizer trained on the rows' text, with the chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=SPECIAL, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator([t for row in rows for t in _texts(row)] or ["x"], trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<|pad|>",
                                   eos_token="<|end|>", bos_token=None)
    fast.chat_template = CHAT_TEMPLATE
    return fast


def tiny_model(tokenizer: Any) -> Any:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32,
                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2,
                         max_position_embeddings=1024, pad_token_id=tokenizer.pad_token_id,
                         eos_token_id=tokenizer.eos_token_id, bos_token_id=None)
    return LlamaForCausalLM(config)


def train_step(trainer_name: str, path: Path, out: Path) -> float:
    """One step of TRL's ``SFTTrainer``/``DPOTrainer``/``KTOTrainer`` on ``path``; the loss."""
    import trl

    ds = load_rows(path)
    ds = ds.select(range(min(len(ds), 8)))  # two steps' worth: one is taken
    tokenizer = tiny_tokenizer(list(ds))
    model = tiny_model(tokenizer)
    common: dict[str, Any] = dict(
        output_dir=str(out), max_steps=1, per_device_train_batch_size=4, learning_rate=1e-3,
        report_to=[], save_strategy="no", logging_steps=1, use_cpu=True,
        dataloader_num_workers=0, disable_tqdm=True, seed=0,
    )
    if trainer_name == "sft":
        args: Any = trl.SFTConfig(**common, max_length=512)
        trainer: Any = trl.SFTTrainer(model=model, args=args, train_dataset=ds,
                                      processing_class=tokenizer)
    elif trainer_name == "dpo":
        args = trl.DPOConfig(**common, max_length=512)
        trainer = trl.DPOTrainer(model=model, ref_model=copy.deepcopy(model), args=args,
                                 train_dataset=ds, processing_class=tokenizer)
    elif trainer_name == "kto":
        args = trl.KTOConfig(**common, max_length=512)
        trainer = trl.KTOTrainer(model=model, ref_model=copy.deepcopy(model), args=args,
                                 train_dataset=ds, processing_class=tokenizer)
    else:
        raise ValueError(trainer_name)
    trainer.train()
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    assert losses and all(math.isfinite(x) for x in losses), trainer.state.log_history
    return float(losses[-1])


# -- OpenAI's data-preparation checks -------------------------------------------------------

MESSAGE_KEYS = ("role", "content", "name", "function_call", "weight", "tool_calls",
                "tool_call_id")
ROLES = ("system", "user", "assistant", "function", "tool")
MAX_TOKENS_PER_EXAMPLE = 16385


def openai_format_errors(dataset: list[Any]) -> dict[str, int]:
    """The notebook's format error checks, counted by kind (empty: the data is ready)."""
    errors: dict[str, int] = defaultdict(int)
    for ex in dataset:
        if not isinstance(ex, dict):
            errors["data_type"] += 1
            continue
        messages = ex.get("messages", None)
        if not messages:
            errors["missing_messages_list"] += 1
            continue
        for message in messages:
            if "role" not in message or "content" not in message:
                errors["message_missing_key"] += 1
            if any(k not in MESSAGE_KEYS for k in message):
                errors["message_unrecognized_key"] += 1
            if message.get("role", None) not in ROLES:
                errors["unrecognized_role"] += 1
            content = message.get("content", None)
            call = message.get("function_call", None) or message.get("tool_calls", None)
            if (not content and not call) or not isinstance(content, str):
                errors["missing_content"] += 1
            for tc in message.get("tool_calls") or []:
                fn = tc.get("function") or {}
                if tc.get("type") != "function" or not fn.get("name"):
                    errors["tool_call_shape"] += 1
                try:
                    arguments: Any = fn.get("arguments")  # None: a TypeError, counted below
                    if not isinstance(json.loads(arguments), dict):
                        errors["tool_call_arguments"] += 1
                except (TypeError, ValueError):
                    errors["tool_call_arguments"] += 1
        if not any(message.get("role", None) == "assistant" for message in messages):
            errors["example_missing_assistant_message"] += 1
        if any(m.get("tool_calls") for m in messages) and not ex.get("tools"):
            errors["tool_calls_without_tools"] += 1
    return dict(errors)


def _tokens(text: str) -> int:
    # The notebook counts cl100k_base tokens with tiktoken, whose encoding file is downloaded at
    # run time; about four characters a token is OpenAI's own rule of thumb.
    return math.ceil(len(text) / 4)


def openai_warnings(dataset: list[dict[str, Any]]) -> dict[str, int]:
    """The notebook's warnings: examples missing a system or user turn, or over the limit."""
    counts = {"missing_system": 0, "missing_user": 0, "too_long": 0}
    for ex in dataset:
        messages = ex["messages"]
        if not any(m["role"] == "system" for m in messages):
            counts["missing_system"] += 1
        if not any(m["role"] == "user" for m in messages):
            counts["missing_user"] += 1
        n = 3 + sum(3 + _tokens(json.dumps(m)) for m in messages)
        if n > MAX_TOKENS_PER_EXAMPLE:
            counts["too_long"] += 1
    return counts


def read_jsonl(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
