"""A small, dependency-free CLIP-style byte-level BPE tokenizer.

It reproduces what openai/clip-vit-large-patch14's tokenizer does (``CLIPTokenizerFast`` /
the ``tokenizer.json`` that HF tokenizers and @huggingface/tokenizers read):

* normalizer: NFC, collapse every run of whitespace to one space, lowercase;
* pre-tokenizer: CLIP's split regex (specials, contractions, letter runs, single digits, runs of
  other non-space characters), whitespace removed, then GPT-2's byte -> unicode mapping;
* model: BPE over the byte-unicode characters with ``</w>`` appended to the last character of
  every word, merges applied lowest rank first;
* post-processing: ``<|startoftext|> ... <|endoftext|>``, padded/truncated by the caller.

It also *builds* such a tokenizer from a word list (every listed word becomes one token) and writes
a transformers-style tokenizer folder (vocab.json, merges.txt, tokenizer.json,
tokenizer_config.json, special_tokens_map.json).
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from functools import lru_cache

BOS = "<|startoftext|>"
EOS = "<|endoftext|>"

# CLIP's split pattern, exactly as written in CLIPTokenizerFast's tokenizer.json.
CLIP_SPLIT_REGEX = (
    r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"
)
_CONTRACTIONS = ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d")


@lru_cache()
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2 / CLIP byte -> printable unicode character table (same order as CLIP's vocab)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"\s+", " ", text)
    return text.lower()


def _is_letter(c: str) -> bool:
    return unicodedata.category(c).startswith("L")


def _is_number(c: str) -> bool:
    return unicodedata.category(c).startswith("N")


def pre_tokenize(text: str) -> list[str]:
    """Words as CLIP's split regex finds them (leftmost match, alternatives in order)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        matched = None
        for special in (BOS, EOS):
            if text.startswith(special, i):
                matched = special
                break
        if matched is None:
            for con in _CONTRACTIONS:
                if text.startswith(con, i):
                    matched = con
                    break
        if matched is None:
            j = i
            if _is_letter(c):
                while j < n and _is_letter(text[j]):
                    j += 1
            elif _is_number(c):
                j = i + 1
            else:
                while j < n and not (text[j].isspace() or _is_letter(text[j]) or _is_number(text[j])):
                    j += 1
            matched = text[i:j]
        out.append(matched)
        i += len(matched)
    return out


def _pairs(word: tuple[str, ...]) -> set[tuple[str, str]]:
    return {(word[k], word[k + 1]) for k in range(len(word) - 1)}


class ClipBPE:
    def __init__(self, vocab: dict[str, int], merges: list[tuple[str, str]], model_max_length: int = 77,
                 pad_token: str = EOS):
        self.vocab = vocab
        self.merges = merges
        self.ranks = {m: r for r, m in enumerate(merges)}
        self.model_max_length = model_max_length
        self.pad_token = pad_token
        self.byte_encoder = bytes_to_unicode()
        self._cache: dict[str, tuple[str, ...]] = {}

    @property
    def bos_id(self) -> int:
        return self.vocab[BOS]

    @property
    def eos_id(self) -> int:
        return self.vocab[EOS]

    @property
    def pad_id(self) -> int:
        return self.vocab[self.pad_token]

    def bpe(self, token: str) -> tuple[str, ...]:
        """CLIP's BPE loop over a byte-unicode word; returns the final symbols."""
        if token in self._cache:
            return self._cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        pairs = _pairs(word)
        while pairs:
            bigram = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if bigram not in self.ranks:
                break
            first, second = bigram
            new_word: list[str] = []
            i = 0
            while i < len(word):
                if i < len(word) - 1 and word[i] == first and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = _pairs(word)
        self._cache[token] = word
        return word

    def tokenize(self, text: str) -> list[str]:
        symbols: list[str] = []
        for w in pre_tokenize(normalize(text)):
            if w in (BOS, EOS):
                symbols.append(w)
                continue
            u = "".join(self.byte_encoder[b] for b in w.encode("utf-8"))
            symbols.extend(self.bpe(u))
        return symbols

    def encode_raw(self, text: str) -> list[int]:
        """Token ids without BOS/EOS/padding."""
        return [self.vocab[s] for s in self.tokenize(text)]

    def __call__(self, text: str, max_length: int | None = None) -> list[int]:
        """BOS + tokens + EOS, truncated (keeping EOS) and padded to max_length."""
        L = max_length or self.model_max_length
        body = self.encode_raw(text)[: L - 2]
        ids = [self.bos_id] + body + [self.eos_id]
        return ids + [self.pad_id] * (L - len(ids))

    def decode(self, ids: list[int]) -> str:
        inv = {v: k for k, v in self.vocab.items()}
        dec = {v: k for k, v in self.byte_encoder.items()}
        special = (self.bos_id, self.eos_id, self.pad_id if self.pad_token in (BOS, EOS) else None)
        words = [inv[i] for i in ids if i not in special]
        text = "".join(w.replace("</w>", " ") for w in words)
        return bytearray(dec[c] if c in dec else ord(" ") for c in text).decode("utf-8", errors="replace").strip()


def build_vocab_and_merges(words: list[str]) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Byte alphabet (+ ``</w>`` variants), then merges appended until every word is one token.

    A merge appended later has a lower priority than all earlier ones, and a word that already is a
    single token has no pairs left, so adding merges for one word never breaks an earlier word.
    """
    be = bytes_to_unicode()
    alphabet = list(be.values())
    vocab_list = alphabet + [c + "</w>" for c in alphabet]
    merges: list[tuple[str, str]] = []
    tok = ClipBPE({t: i for i, t in enumerate(vocab_list)}, merges)

    def word_symbols(w: str) -> tuple[str, ...]:
        tok.ranks = {m: r for r, m in enumerate(merges)}
        tok._cache.clear()
        u = "".join(be[b] for b in w.encode("utf-8"))
        return tok.bpe(u)

    seen = set(vocab_list)
    for w in words:
        assert pre_tokenize(normalize(w)) == [w], f"{w!r} is not one pre-token"
        while True:
            syms = word_symbols(w)
            if len(syms) == 1:
                break
            pair = (syms[0], syms[1])
            merges.append(pair)
            merged = pair[0] + pair[1]
            if merged not in seen:
                seen.add(merged)
                vocab_list.append(merged)
    vocab_list += [BOS, EOS]
    vocab = {t: i for i, t in enumerate(vocab_list)}
    final = ClipBPE(vocab, merges)
    for w in words:
        assert len(final.tokenize(w)) == 1, w
    return vocab, merges


def tokenizer_json(vocab: dict[str, int], merges: list[tuple[str, str]]) -> dict:
    """The tokenizer.json that CLIPTokenizerFast writes for openai/clip-vit-large-patch14."""
    def added(tok: str) -> dict:
        return {"id": vocab[tok], "content": tok, "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": True, "special": True}

    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [added(BOS), added(EOS)],
        "normalizer": {
            "type": "Sequence",
            "normalizers": [
                {"type": "NFC"},
                {"type": "Replace", "pattern": {"Regex": r"\s+"}, "content": " "},
                {"type": "Lowercase"},
            ],
        },
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": CLIP_SPLIT_REGEX}, "behavior": "Removed", "invert": True},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
            ],
        },
        "post_processor": {
            "type": "RobertaProcessing",
            "sep": [EOS, vocab[EOS]],
            "cls": [BOS, vocab[BOS]],
            "trim_offsets": False,
            "add_prefix_space": False,
        },
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": EOS,
            "continuing_subword_prefix": "",
            "end_of_word_suffix": "</w>",
            "fuse_unk": False,
            "byte_fallback": False,
            "vocab": vocab,
            "merges": [f"{a} {b}" for a, b in merges],
        },
    }


def write_tokenizer_folder(folder: str, vocab: dict[str, int], merges: list[tuple[str, str]],
                           model_max_length: int, pad_token: str = EOS) -> ClipBPE:
    os.makedirs(folder, exist_ok=True)

    def dump(name: str, obj) -> None:
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            json.dump(obj, f, ensure_ascii=False, indent=2)
            f.write("\n")

    dump("vocab.json", vocab)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    dump("tokenizer.json", tokenizer_json(vocab, merges))

    def added_decoder(tok: str) -> dict:
        return {"content": tok, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False,
                "special": True}

    decoder = {str(vocab[BOS]): added_decoder(BOS), str(vocab[EOS]): added_decoder(EOS)}
    if pad_token not in (BOS, EOS):
        decoder = {str(vocab[pad_token]): added_decoder(pad_token), **decoder}
    dump("tokenizer_config.json", {
        "add_prefix_space": False,
        "added_tokens_decoder": decoder,
        "bos_token": BOS,
        "clean_up_tokenization_spaces": True,
        "do_lower_case": True,
        "eos_token": EOS,
        "errors": "replace",
        "model_max_length": model_max_length,
        "pad_token": pad_token,
        "tokenizer_class": "CLIPTokenizer",
        "unk_token": EOS,
    })
    dump("special_tokens_map.json", {
        "bos_token": {"content": BOS, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False},
        "eos_token": {"content": EOS, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False},
        "pad_token": {"content": pad_token, "lstrip": False, "normalized": True, "rstrip": False,
                      "single_word": False},
        "unk_token": {"content": EOS, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False},
    })
    return ClipBPE(vocab, merges, model_max_length, pad_token)


def load_tokenizer_folder(folder: str) -> ClipBPE:
    with open(os.path.join(folder, "vocab.json"), encoding="utf-8") as f:
        vocab = json.load(f)
    with open(os.path.join(folder, "merges.txt"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    merges = [tuple(line.split(" ")) for line in lines[1:] if line]
    with open(os.path.join(folder, "tokenizer_config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    return ClipBPE(vocab, merges, cfg["model_max_length"], cfg["pad_token"])


# Words of the caption grammar: each becomes a single token.
COLOURS = ["red", "green", "blue", "yellow", "orange", "purple", "white", "black"]
SHAPES = ["circle", "square", "triangle"]
CAPTION_WORDS = (
    ["a", "an", "the", "on", "of", "in", "at", "and", "with", "background"]
    + COLOURS + SHAPES
    + ["small", "large", "big", "tiny", "medium", "left", "right", "top", "bottom", "center", "middle",
       "corner", "upper", "lower", "shape", "image", "picture", "circles", "squares", "triangles"]
)

# Texts for the reference tokenizations the engine's tests compare against.
REFERENCE_TEXTS = [
    "",
    "a red circle on a blue background",
    "a small green square on the left on a white background",
    "a large yellow triangle at the top of an orange background",
    "A RED CIRCLE ON A BLUE BACKGROUND",
    "  a   purple\tsquare\non  a black   background  ",
    "a red circle, on a blue background!",
    "red",
    "circle",
    "triangles and squares",
    "a magenta hexagon on a teal background",
    "photorealistic cat, 4k, trending on artstation",
    "12345 shapes",
    "3 circles",
    "it's a cat's toy; they're here, we've seen I'm sure we'll see you'd",
    "don't stop",
    "hello-world_foo.bar",
    "((masterpiece)), [best quality]",
    "café déjà vu",
    "Zürich",
    "emoji 🙂 test",
    "a\u00a0red circle",
    "redcircle",
    "bluebackground",
    "xyzzy",
    "a blue square in the center of a red background",
    "a white circle in the bottom right corner on a black background",
    "a",
    "!!!",
    "a red circle on a blue background " * 12,
]
