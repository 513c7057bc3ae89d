"""Reference data for the A1111 `parameters` tests (run once; outputs are committed).

Writes PNGs the way AUTOMATIC1111 does (its `quote` + `create_infotext` join, then Pillow's
`PngInfo.add_text`, which picks tEXt for Latin-1 text and iTXt otherwise) and records what A1111's
`parse_generation_parameters` reads back from each text. The functions below are copied from
AUTOMATIC1111/stable-diffusion-webui modules/infotext_utils.py (v1.10) so the tests compare
against A1111's own logic, not a re-reading of it.

    /usr/bin/python3 main/engine/output/testdata/make-a1111-reference.py
    /usr/bin/python3 main/engine/output/testdata/make-a1111-reference.py read FILE.png
        (prints {"text", "parsed"}: what Pillow + A1111 read from a PNG; used by a test)
"""
import sys
import json
import os
import re

from PIL import Image
from PIL.PngImagePlugin import PngInfo

HERE = os.path.dirname(os.path.abspath(__file__))

re_param_code = r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)'
re_param = re.compile(re_param_code)
re_imagesize = re.compile(r"^(\d+)x(\d+)$")


def quote(text):
    if ',' not in str(text) and '\n' not in str(text) and ':' not in str(text):
        return text
    return json.dumps(text, ensure_ascii=False)


def unquote(text):
    if len(text) == 0 or text[0] != '"' or text[-1] != '"':
        return text
    try:
        return json.loads(text)
    except Exception:
        return text


def create_infotext(prompt, negative, params):
    text = ", ".join([k if k == v else f'{k}: {quote(v)}' for k, v in params.items() if v is not None])
    negative_text = f"\nNegative prompt: {negative}" if negative else ""
    return f"{prompt}{negative_text}\n{text}".strip()


def parse_generation_parameters(x):
    """A1111's parser up to the point where it starts filling defaults."""
    res = {}
    prompt = ""
    negative_prompt = ""
    done_with_prompt = False
    *lines, lastline = x.strip().split("\n")
    if len(re_param.findall(lastline)) < 3:
        lines.append(lastline)
        lastline = ''
    for line in lines:
        line = line.strip()
        if line.startswith("Negative prompt:"):
            done_with_prompt = True
            line = line[16:].strip()
        if done_with_prompt:
            negative_prompt += ("" if negative_prompt == "" else "\n") + line
        else:
            prompt += ("" if prompt == "" else "\n") + line
    for k, v in re_param.findall(lastline):
        if v[0] == '"' and v[-1] == '"':
            v = unquote(v)
        m = re_imagesize.match(v)
        if m is not None:
            res[f"{k}-1"] = m.group(1)
            res[f"{k}-2"] = m.group(2)
        else:
            res[k] = v
    res["Prompt"] = prompt
    res["Negative prompt"] = negative_prompt
    return res


CASES = [
    {
        "name": "plain",
        "prompt": "a red circle on a blue background",
        "negative": "",
        "params": {"Steps": 20, "Sampler": "DPM++ 2M", "Schedule type": "Karras", "CFG scale": 5,
                   "Seed": 42, "Size": "64x64", "Model": "stepwise-shapes-64"},
    },
    {
        "name": "punctuation",
        "prompt": 'masterpiece, "best" quality: 8k\nsecond line, with (weights:1.2)',
        "negative": "blurry, lowres\nugly: very",
        "params": {"Steps": 25, "Sampler": "Euler a", "CFG scale": 6.5, "Seed": 2628670641,
                   "Size": "1024x768", "Model": "my model, v2: final", "Scheduler": "EulerAncestralDiscreteScheduler",
                   "CFG cutoff": 0.4, "Provider": "cpu"},
    },
    {
        "name": "unicode",
        "prompt": "猫 on a sofa 🐈, café au lait",
        "negative": "ñ, ü",
        "params": {"Steps": 4, "Sampler": "Euler", "CFG scale": 0, "Seed": 0, "Size": "64x64",
                   "Stopped at step": 2},
    },
]


def main():
    out = []
    for case in CASES:
        text = create_infotext(case["prompt"], case["negative"], case["params"])
        info = PngInfo()
        info.add_text("parameters", text)
        path = os.path.join(HERE, f"a1111-{case['name']}.png")
        Image.new("RGB", (2, 2), (10, 20, 30)).save(path, pnginfo=info)
        with Image.open(path) as im:
            chunk_types = [c for c in ("tEXt", "iTXt") if c.encode() in open(path, "rb").read()]
            assert im.info["parameters"] == text
        out.append({"name": case["name"], "file": os.path.basename(path), "text": text,
                    "chunk": chunk_types[0], "parsed": parse_generation_parameters(text)})
    with open(os.path.join(HERE, "a1111-reference.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=2)
        f.write("\n")


def read(path):
    with Image.open(path) as im:
        im.load()
        text = im.info["parameters"]
    print(json.dumps({"text": text, "parsed": parse_generation_parameters(text)}, ensure_ascii=False))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "read":
        read(sys.argv[2])
    else:
        main()
