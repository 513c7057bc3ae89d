"""Reference data for the engine's tokenizer and its prompt-text fixing.

    venv/bin/python tools/make_tokenizer_reference.py

Needs ftfy, regex and transformers (a venv, see tools/README.md) and npx (prettier). Writes:

* fixtures/tokenizer-reference.json — for each tokenizer folder (fixtures/models/*/tokenizer*,
  resources/models/*/tokenizer*):
  - ``cases``: every text of clip_bpe.REFERENCE_TEXTS tokenized without text fixing (BOS, tokens,
    EOS, padded with the pad id to model_max_length, truncated keeping EOS — what diffusers'
    pipelines feed the text encoder: padding="max_length", truncation=True). Computed with
    tools/clip_bpe.py; checked against @huggingface/tokenizers by tools/verify_onnx.mjs.
  - ``fixing_cases``: the texts of FIXING_PROMPTS tokenized three ways (see ``prepare``):
    ``ids_ftfy`` as transformers 4's CLIPTokenizer does with ftfy installed (diffusers' default
    tokenizer), ``ids_clip`` as OpenAI CLIP's training tokenizer, ``ids_none`` as
    CLIPTokenizerFast (and transformers 5's CLIPTokenizer, which dropped ftfy). The BPE is
    transformers' own CLIPTokenizer, fed the prepared text.
* fixtures/text-fix-reference.json — ftfy.fix_text, html.unescape and the prepared prompt text
  of each mode for hand-picked strings, generated mojibake and seeded random strings.
* main/engine/tokenizer/text-fix-tables.ts — the tables the TypeScript port reads: Python's HTML5
  entity table and its invalid character references, ftfy's all-caps entities, the single-byte
  codecs ftfy tries, its ligature and width maps, and its two mojibake-detecting regexes
  translated to JavaScript syntax.

Reruns are byte-identical.
"""

from __future__ import annotations

import glob
import html
import html.entities
import json
import os
import random
import subprocess
import sys
import unicodedata

import ftfy
import ftfy.bad_codecs  # noqa: F401  (registers the sloppy-* and utf-8-variants codecs)
import regex
from ftfy import badness, chardata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clip_bpe  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLES_TS = os.path.join(ROOT, "main", "engine", "tokenizer", "text-fix-tables.ts")

# --------------------------------------------------------------------------------------------
# The three ways of preparing prompt text before CLIP's BPE
# --------------------------------------------------------------------------------------------

# transformers' slow CLIPTokenizer: `whitespace_clean` uses the `regex` module's \s.
_WS = regex.compile(r"\s+")


def whitespace_clean(text: str) -> str:
    return _WS.sub(" ", text).strip()


def clip_basic_clean(text: str) -> str:
    """OpenAI CLIP's simple_tokenizer.basic_clean."""
    text = ftfy.fix_text(text)
    text = html.unescape(html.unescape(text))
    return text.strip()


def split_on_specials(text: str, specials: list[str]) -> list[str]:
    """The slow tokenizer's added-token split: earliest match first, longest at a position."""
    out: list[str] = []
    start = pos = 0
    ordered = sorted(specials, key=len, reverse=True)
    while pos < len(text):
        hit = next((s for s in ordered if text.startswith(s, pos)), None)
        if hit is None:
            pos += 1
            continue
        if pos > start:
            out.append(text[start:pos])
        out.append(hit)
        pos += len(hit)
        start = pos
    if start < len(text):
        out.append(text[start:])
    return out


def prepare(text: str, mode: str, specials: list[str]) -> str:
    """The text each tokenizer hands to CLIP's split pattern and BPE.

    ftfy: transformers 4.x CLIPTokenizer._tokenize with ftfy installed, on every piece between
          added tokens: whitespace_clean(ftfy.fix_text(piece)).lower()
    clip: OpenAI CLIP's SimpleTokenizer.encode: whitespace_clean(basic_clean(text)).lower()
    none: the text unchanged (CLIPTokenizerFast normalizes with NFC, \\s+ -> " ", lowercase)
    """
    if mode == "none":
        return text
    if mode == "clip":
        return whitespace_clean(clip_basic_clean(text)).lower()
    pieces = split_on_specials(text, specials)
    return "".join(p if p in specials else whitespace_clean(ftfy.fix_text(p)).lower() for p in pieces)


# --------------------------------------------------------------------------------------------
# Texts
# --------------------------------------------------------------------------------------------

# Prompts whose token ids are compared (every tokenizer folder, all three modes).
FIXING_PROMPTS = [
    "a red circle on a blue background",
    "\u201ccurly quotes\u201d and it\u2019s \u2018single\u2019",
    "\uff41\uff52\uff45\uff44\u3000\uff23\uff29\uff32\uff23\uff2c\uff25 \uff11\uff12\uff13",
    "\ufb01ne \ufb02at \ufb03 o\ufb04e",
    "\ufeffa red circle",
    "red &amp; blue &quot;circle&quot; it&#39;s &#x27;here&#x27;",
    "&lt;b&gt; red &amp;amp; blue",
    "<b>red &amp; blue</b>",
    "&copy 2024 red&nbsp;circle",
    "emoji \U0001f642 \U0001f44d\U0001f3fd red",
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u062f\u0627\u0626\u0631\u0629 \u062d\u0645\u0631\u0627\u0621",
    "\u65e5\u672c\u8a9e\u306e\u8d64\u3044\u5186 \ud55c\uad6d\uc5b4",
    "caf\u00c3\u00a9 d\u00c3\u00a9j\u00c3\u00a0 vu",
    "\u00e2\u20ac\u0153quoted\u00e2\u20ac\x9d red",
    "sch\u00c3\u00b6n \u00c3 la mode",
    "\u00d0\u00ba\u00d1\u20ac\u00d0\u00b0\u00d1\u0081\u00d0\u00bd\u00d1\u2039\u00d0\u00b9 circle",
    "red\r\nblue\u2028green\x85end",
    "red\x00\x07\x1b[31mcircle\x1b[0m\u206a",
    "a <|endoftext|> &amp; <|startoftext|>b",
    "\uff8a\uff9d\uff76\uff78 \uff79\uff9d\uff84\uff9e",
    "\u0132sselmeer \u01c6em \u01c9ubljana",
    "it\u02bcs a \u201fquote\u201e",
    "  A   Purple\tSQUARE\n on  a black   background  ",
    "Zu\u0308rich and \u00c5ngstr\u00f6m",
    "\u00bd cup \u2013 \u00a3 5 \u2014 10\u00b0",
]

# Strings whose fixed text is compared (fix_text, html.unescape and the prepared text).
FIX_TEXTS = FIXING_PROMPTS + [
    "",
    "plain ascii",
    "&ntilde; &Ntilde; &NTILDE; &nTILDE;",
    "P&EACUTE;REZ BUNDESSTRA&SZLIG;E",
    "&Jscr;ohn &HilbertSpace;ancock &checkmark;",
    "this&not that &notin; &notit; &amp &ampx &AMP;",
    "&#0; &#13; &#128; &#150; &#x80; &#xD800; &#1114112; &#99999999999999999999; &#65535; &#x1F642;",
    "&#65 &#x41 &#65; &#0065; &#X41; &#x0041;",
    "&;&#;&#x;&#xZZ;&abcdefghijklmnopqrstuvwxyz1234567890;",
    "line1 <tag>\nline2 &amp; more",
    "line1 &amp;\nline2 <tag> &amp;\nline3 &amp;",
    "\u00c3\u00a0 \u00c3 la \u00c3 s fa\u00c3 cil",
    "voil\u00c3 le travail",
    "\u00e2\u20ac\u0153 like this \u00e2\u20ac\ufffd",
    "\u00e2\u0153\u201d No problems",
    "&macr;\\_(\u00e3\x83\x84)_/&macr;",
    "Broken text&hellip; it&#x2019;s \ufb02ubberi\ufb01c!",
    "\uff2c\uff2f\uff35\uff24\u3000\uff2e\uff2f\uff29\uff33\uff25\uff33",
    "\uff35\uff80\uff70\uff9d",
    "\u00c2\u00a3 5 and \u00c2 a",
    "\u00d8\u00b9\u00d8\u00b1\u00d8\u00a8\u00d9\u0160",
    "\u0432\u0402\u045a test",
    "\u00c3\u0192\u00c2\u00a9",
    "\u00c3\u00a9\u00c3\u00a8 mixed caf\u00e9",
    "\x80\x81\x8d\x9f c1 controls",
    "\ud83d lone high \udc00 lone low",
    "\ud83d\ude42 pair",
    "zero\u200bwidth \u200d joiner \u202e rtl \ufff9x\ufffa\ufffb\ufffc",
    "tab\there\x0bvt\x0cff\x1c\x1d\x1e\x1f",
    "\u2018a\u2019 \u201ab\u201b \u201cc\u201d \u201ed\u201f \u02bc",
    "\u0130stanbul \u03a3\u039f\u03a6\u039f\u03a3",
    "\ufb05 \ufb06 \u0149",
    "\u00c3\u00a9\u00c3\u00a9\u00c3\u00a9 \u00ef\u00bb\u00bf bom mojibake",
    "\u00ed\u00a0\u00bd\u00ed\u00b8\u0080 cesu",
    "\u00c0\u0080 java null",
    "\u00e2\u20ac\u2122 ok \u00e2\u20ac\u02dc",
    "A\u0300 decomposed e\u0301",
    "\u2126 ohm \u212b angstrom \u00b5 micro",
    "\u00c3\u00a2\u00c2\u20ac\u00c2\u0153 double mojibake",
]

MOJIBAKE_WORDS = [
    "café", "naïve", "Zürich", "façade", "smörgåsbord", "Łódź", "Ağaç", "Škoda", "crème brûlée",
    "смотреть", "Ελληνικά", "日本語", "한국어", "العربية", "עברית", "हिन्दी", "emoji 🙂👍🏽",
    "“quoted”", "it’s", "—", "…", "€100", "½", "ß", "¿Qué?", "¡Olé!", "©2024", "™", "±5°",
    "à la mode", "São Paulo", "Ærøskøbing", "Þórshöfn", "ĳssel", "œuvre", "Œil", "ñandú",
]


def generated_texts() -> list[str]:
    out: list[str] = []
    encs = ["latin-1", "windows-1252", "sloppy-windows-1252", "windows-1251", "sloppy-windows-1251",
            "windows-1250", "windows-1253", "windows-1254", "windows-1257", "iso-8859-2", "macroman",
            "cp437"]
    rng = random.Random(20240517)
    for word in MOJIBAKE_WORDS:
        raw = word.encode("utf-8")
        for enc in ("latin-1", "windows-1252", rng.choice(encs[2:])):
            once = raw.decode(enc, errors="replace")
            out.append(f"a {once} b")
            if enc != "latin-1":
                out.append(once.encode("utf-8").decode(enc, errors="replace"))
                out.append(once.replace("\xa0", " "))
    pool = (
        list("abcdefghij ABC.,!?'\"&;<#0123")
        + [chr(c) for c in range(0x80, 0x100)]
        + list("€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ")
        + list("ВГРСвЂΒΓΞΟβ€√≈ā│┌┐▀░")
        + ["\ufffd", "\x1a", "\ufeff", "\r", "\n", "\u2028", "\U0001f642", "&amp;", "&#39;", "&eacute;"]
    )
    for _ in range(250):
        out.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 14))))
    # UTF-8 of random accented text decoded in a random single-byte codec, sometimes mixed
    letters = "àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿčšžłńśźżőűąęėįųāēīūğışçαβγδεζηθλμπσωабвгдежзиклмнопрстуфхцчшщыэюя"
    for _ in range(150):
        word = "".join(rng.choice(letters + "  ") for _ in range(rng.randint(2, 10)))
        enc = rng.choice(encs)
        text = word.encode("utf-8").decode(enc, errors="replace")
        if rng.random() < 0.3:
            text = word + " " + text
        out.append(text)
    return out


# --------------------------------------------------------------------------------------------
# Tables for the TypeScript port
# --------------------------------------------------------------------------------------------

PY_SPACE_CLASS = "\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
PY_WORD_CLASS = "\\p{L}\\p{N}_"


def js_regex(pattern: str, verbose: bool) -> str:
    """A Python `re` pattern (str, default flags, optionally VERBOSE) as a JavaScript regex body
    for the `u` flag: same matches for the constructs ftfy uses. Non-ASCII characters become
    \\u{...} escapes, Python's Unicode \\s and \\w become explicit classes, `.` excludes only \\n."""
    out: list[str] = []
    i, n, in_class = 0, len(pattern), False

    def lit(ch: str) -> str:
        if ch == "/":
            return "\\/"
        if ord(ch) < 0x20 or ord(ch) > 0x7E:
            return "\\u{%x}" % ord(ch)
        return ch

    while i < n:
        ch = pattern[i]
        if ch == "\\":
            nxt = pattern[i + 1]
            if nxt in "sw":
                body = PY_SPACE_CLASS if nxt == "s" else PY_WORD_CLASS
                out.append(body if in_class else f"[{body}]")
                i += 2
            elif nxt == "x":
                out.append(pattern[i:i + 4])
                i += 4
            elif nxt in "\\[]().|*+?{}^$-/":
                out.append("\\" + nxt)
                i += 2
            else:
                raise ValueError(f"unhandled escape \\{nxt} in {pattern[i - 10:i + 10]!r}")
            continue
        if in_class:
            if ch == "]":
                in_class = False
                out.append(ch)
            elif ch in "-^":
                out.append(ch)
            else:
                out.append(lit(ch))
            i += 1
            continue
        if verbose and ch in " \t\n\r\f\v":
            i += 1
            continue
        if verbose and ch == "#":
            while i < n and pattern[i] != "\n":
                i += 1
            continue
        if ch == "[":
            in_class = True
            out.append(ch)
            if i + 1 < n and pattern[i + 1] == "^":
                out.append("^")
                i += 1
        elif ch == ".":
            out.append("[^\\n]")
        else:
            out.append(lit(ch))
        i += 1
    return "".join(out)


def hex_points(s: str) -> str:
    return ".".join("%x" % ord(c) for c in s)


def ts_string(s: str) -> str:
    """A single-quoted TS string literal; everything outside [A-Za-z0-9 :;.,-] is \\u-escaped."""
    parts = []
    for c in s:
        if c.isascii() and (c.isalnum() or c in " :;.,-"):
            parts.append(c)
        elif ord(c) > 0xFFFF:
            parts.append("\\u{%x}" % ord(c))
        else:
            parts.append("\\u%04x" % ord(c))
    return "'" + "".join(parts) + "'"


def codec_table(encoding: str) -> str:
    """The characters bytes 0x80-0xFF decode to (the lower half is checked to be ASCII, except
    0x1A, which the sloppy codecs decode as U+FFFD). Undefined bytes are U+FFFD."""
    full = bytes(range(256)).decode(encoding, errors="replace")
    for b in range(128):
        expected = "\ufffd" if (b == 0x1A and encoding.startswith("sloppy")) else chr(b)
        assert full[b] == expected, (encoding, b)
    return full[128:]


def write_tables() -> None:
    html5 = html.entities.html5
    entities = " ".join(f"{name}:{hex_points(value)}" for name, value in sorted(html5.items()))
    assert all(set(name) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789;")
               for name in html5)
    caps = {k[1:]: v for k, v in chardata.HTML_ENTITIES.items() if k[1:] not in html5}
    assert all(html5.get(k[1:]) == v for k, v in chardata.HTML_ENTITIES.items() if k[1:] in html5)
    caps_str = " ".join(f"{name}:{hex_points(value)}" for name, value in sorted(caps.items()))
    invalid_refs = " ".join(f"{k:x}:{hex_points(v)}" for k, v in sorted(html._invalid_charrefs.items()))
    invalid_points = sorted(html._invalid_codepoints)
    ranges: list[list[int]] = []
    for cp in invalid_points:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    invalid_str = " ".join(f"{a:x}" if a == b else f"{a:x}-{b:x}" for a, b in ranges)
    codecs_ts = "\n".join(
        f"  {json.dumps(enc)}: {ts_string(codec_table(enc))}," for enc in chardata.CHARMAP_ENCODINGS[1:]
    )
    win1252 = codec_table("windows-1252")
    undefined_1252 = [0x80 + i for i, c in enumerate(win1252) if c == "\ufffd"]
    ligatures = " ".join(f"{k:x}:{hex_points(v)}" for k, v in sorted(chardata.LIGATURES.items()))
    widths = " ".join(f"{k:x}:{hex_points(v)}" for k, v in sorted(chardata.WIDTH_MAP.items()))
    badness_js = js_regex(badness.BADNESS_RE.pattern, verbose=True)
    detector_js = js_regex(chardata.UTF8_DETECTOR_RE.pattern, verbose=True)

    text = f"""// Generated by tools/make_tokenizer_reference.py — do not edit.
//
// Data for the prompt-text fixing in fix-text.ts: Python {sys.version_info.major}.{sys.version_info.minor}'s HTML5 entity table
// (html.entities.html5) and the character references html.unescape treats specially; and, derived
// from ftfy {ftfy.__version__} (Apache-2.0, Robyn Speer), its all-caps entities, the single-byte codecs
// it tries when repairing mojibake, its ligature and character-width maps, and its two mojibake
// detectors (badness.BADNESS_RE and chardata.UTF8_DETECTOR_RE) rewritten in JavaScript syntax.
// Entry lists are "name:hex.hex" (name, then the code points of the value), space-separated.
/* eslint-disable no-control-regex -- ftfy's patterns use Python's \\s, which includes U+001C–U+001F */

/** `html.entities.html5`: entity name (with or without `;`) → value. */
export const HTML5_ENTITIES =
  {ts_string(entities)}

/** ftfy's extra upper-case entities (`&EACUTE;` → `É`): name → value. */
export const FTFY_UPPERCASE_ENTITIES =
  {ts_string(caps_str)}

/** `html._invalid_charrefs`: numeric reference (hex) → replacement. */
export const INVALID_CHARREFS =
  {ts_string(invalid_refs)}

/** `html._invalid_codepoints` as hex ranges: numeric references that decode to nothing. */
export const INVALID_CODEPOINTS =
  {ts_string(invalid_str)}

/**
 * What bytes 0x80–0xFF decode to in the single-byte codecs ftfy tries after Latin-1, in its
 * order; bytes 0x00–0x7F are ASCII, except that the `sloppy-` codecs decode 0x1A as U+FFFD.
 */
export const SINGLE_BYTE_CODECS: Readonly<Record<string, string>> = {{
{codecs_ts}
}}

/** Bytes Python's strict windows-1252 codec cannot decode (sloppy-windows-1252 passes them through). */
export const WINDOWS_1252_UNDEFINED: readonly number[] = [{", ".join("0x%02x" % b for b in undefined_1252)}]

/** ftfy's `LIGATURES`: code point (hex) → replacement. */
export const LIGATURES =
  {ts_string(ligatures)}

/** ftfy's `WIDTH_MAP`: code point (hex) → standard-width replacement. */
export const WIDTH_MAP =
  {ts_string(widths)}

/** ftfy's `badness.BADNESS_RE`: any match means the text looks like mojibake. */
export const BADNESS_RE =
  /{badness_js}/u

/** ftfy's `chardata.UTF8_DETECTOR_RE`: runs that look like UTF-8 decoded as a single-byte codec. */
export const UTF8_DETECTOR_RE =
  /{detector_js}/gu
"""
    with open(TABLES_TS, "w", encoding="utf-8") as f:
        f.write(text)
    # The file is held to the repository's formatting like any other source file.
    subprocess.run(["npx", "prettier", "--write", "--log-level", "warn", TABLES_TS], cwd=ROOT, check=True)


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------

def write_text_fix_reference() -> None:
    specials = [clip_bpe.BOS, clip_bpe.EOS]
    seen: set[str] = set()
    cases = []
    for text in FIX_TEXTS + generated_texts():
        if text in seen:
            continue
        seen.add(text)
        cases.append({
            "text": text,
            "fix_text": ftfy.fix_text(text),
            "html_unescape": html.unescape(text),
            "ftfy": prepare(text, "ftfy", specials),
            "clip": prepare(text, "clip", specials),
        })
    out = {
        "_comment": ("fix_text = ftfy.fix_text(text) (ftfy %s); html_unescape = html.unescape(text) (Python %s); "
                     "ftfy / clip = the prompt text transformers 4's CLIPTokenizer with ftfy / OpenAI CLIP's "
                     "tokenizer hands to the BPE. Generated by tools/make_tokenizer_reference.py."
                     % (ftfy.__version__, sys.version.split()[0])),
        "cases": cases,
    }
    with open(os.path.join(ROOT, "fixtures", "text-fix-reference.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=True, indent=1)
        f.write("\n")
    print("text-fix-reference:", len(cases), "strings")


def transformers_ids(tok, text: str, max_length: int) -> list[int]:
    return tok(text, padding="max_length", max_length=max_length, truncation=True)["input_ids"]


def main() -> None:
    from transformers import CLIPTokenizer

    write_tables()
    write_text_fix_reference()
    folders = sorted(glob.glob(os.path.join(ROOT, "fixtures", "models", "*", "tokenizer*"))
                     + glob.glob(os.path.join(ROOT, "resources", "models", "*", "tokenizer*")))
    out = {
        "_comment": ("cases: ids = [BOS] + tokens + [EOS], truncated to model_max_length keeping EOS, then padded "
                     "with pad_id to model_max_length; 'tokens' are the BPE tokens before BOS/EOS/padding; no text "
                     "fixing. fixing_cases: the same ids after preparing the text as transformers 4's CLIPTokenizer "
                     "with ftfy (ids_ftfy), OpenAI CLIP's tokenizer (ids_clip) or CLIPTokenizerFast (ids_none) do. "
                     "Generated by tools/make_tokenizer_reference.py."),
    }
    for folder in folders:
        tok = clip_bpe.load_tokenizer_folder(folder)
        hf = CLIPTokenizer.from_pretrained(folder)
        # transformers splits every added token of tokenizer_config.json out of the text before the
        # BPE, the pad token "!" of SD 2.x / SDXL's second tokenizer included; the engine (like
        # tokenizer.json) only BOS and EOS. Texts containing another added token are left out of
        # the cross-checks below (docs/diffusers-compatibility.md lists the difference).
        specials = [clip_bpe.BOS, clip_bpe.EOS]
        others = [t for t in hf.added_tokens_encoder if t not in specials]

        def comparable(prepared: str) -> bool:
            return not any(t in prepared for t in others)

        cases = []
        for text in clip_bpe.REFERENCE_TEXTS:
            ids = tok(text)
            # Fixing changes none of these texts, so the engine's default reproduces them as well.
            prepared = prepare(text, "ftfy", specials)
            if comparable(prepared):
                assert transformers_ids(hf, prepared, tok.model_max_length) == ids, text
            cases.append({"text": text, "tokens": tok.tokenize(text), "ids": ids})
        fixing_cases = []
        for text in FIXING_PROMPTS:
            assert all(comparable(prepare(text, mode, specials)) for mode in ("ftfy", "clip", "none")), text
            case = {"text": text}
            for mode in ("ftfy", "clip", "none"):
                case[f"ids_{mode}"] = transformers_ids(hf, prepare(text, mode, specials), tok.model_max_length)
            fixing_cases.append(case)
        rel = os.path.relpath(folder, ROOT)
        out[rel] = {
            "model_max_length": tok.model_max_length,
            "bos_id": tok.bos_id,
            "eos_id": tok.eos_id,
            "pad_token": tok.pad_token,
            "pad_id": tok.pad_id,
            "vocab_size": len(tok.vocab),
            "cases": cases,
            "fixing_cases": fixing_cases,
        }
        changed = sum(c["ids_ftfy"] != c["ids_none"] for c in fixing_cases)
        print(rel, "max", tok.model_max_length, "pad", tok.pad_id, "vocab", len(tok.vocab),
              f"fixing changes {changed}/{len(fixing_cases)} prompts")
    text = json.dumps(out, ensure_ascii=False, indent=1)
    # One line per id list keeps the file readable and a fraction of the size.
    text = regex.sub(r"\[\s*(-?\d+(?:,\s*-?\d+)*)\s*\]", lambda m: "[" + regex.sub(r"\s+", "", m.group(1)) + "]", text)
    with open(os.path.join(ROOT, "fixtures", "tokenizer-reference.json"), "w", encoding="utf-8") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
