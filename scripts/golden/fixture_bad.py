#!/usr/bin/env python3
"""Writes fixtures/bad/mixed.jsonl (fudan-shaped records, good lines mixed with bad ones) and
fixtures/bad/mixed.expected.json (for each bad line: 1-based line number, byte offset of the line's first
byte in the file, and the reason key; the blank lines; the good lines and their count).

The file starts with a UTF-8 BOM (a reader skips it; line 1 is a good record whose offset is 0, the BOM
being part of line 1), some lines end with CRLF, one line is blank, and the last line has no newline.
Reason keys: malformed_json, not_an_object, missing_field, wrong_field_type, invalid_utf8, empty_text.
Also fixtures/bad/long_line.jsonl (+ .expected.json): line_too_long, which depends on the reader's limit:
with input.max_line_bytes = 1024 its second line (~6 KB) is rejected, with the default every line is good.

Usage: fixture_bad.py [OUT_DIR]   (default fixtures/bad)
"""
import json
import os
import sys


def rec(text, category=("Economy", "Sports", "Art"), output="Economy", **extra):
    d = {"text": text, "category": list(category), "output": output}
    d.update(extra)
    return json.dumps(d, ensure_ascii=False).encode("utf-8")


# (line bytes without terminator, terminator, reason or None for good, or "blank")
LINES = [
    (b"\xef\xbb\xbf" + rec("央行宣布下调存款准备金率0.25个百分点。"), b"\n", None),
    (rec("女排联赛第三轮，主队3:1取胜。", output="Sports"), b"\r\n", None),
    (b'{"text": "\xe6\x96\x87\xe6\x9c\xac\xe6\x9c\xaa\xe9\x97\xad\xe5\x90\x88", "category": ["Art"], "output": "Art"',
     b"\n", "malformed_json"),
    (rec("国家统计局发布10月份居民消费价格指数，同比上涨0.3%。"), b"\n", None),
    (b'["text", "category", "output"]', b"\n", "not_an_object"),
    (b'{"text": "\xe7\xbc\xba\xe5\xb0\x91output\xe5\xad\x97\xe6\xae\xb5", "category": ["Law", "Art"]}', b"\n", "missing_field"),
    (b"", b"\n", "blank"),
    (rec("博物馆新展开幕，展出青铜器120件。", category=("Art", "History"), output="History"), b"\r\n", None),
    (b'{"text": 12345, "category": ["Economy", "Sports"], "output": "Economy"}', b"\n", "wrong_field_type"),
    (b'{"text": "\xe6\x97\xa0\xe6\x95\x88\xff\xfe\xe5\xad\x97\xe8\x8a\x82", "category": ["Computer"], "output": "Computer"}',
     b"\n", "invalid_utf8"),
    (rec("", category=("Sports", "Art"), output="Sports"), b"\n", "empty_text"),
    (rec("Python 3.13 发布，新增 free-threaded 模式。", category=("Computer", "Education"), output="Computer"), b"\r\n", None),
    (b"{'text': 'single quotes are not JSON', 'category': ['Art'], 'output': 'Art'}", b"\n", "malformed_json"),
    (b'"just a string"', b"\n", "not_an_object"),
    (b'{"text": "\xe7\xb1\xbb\xe5\x88\xab\xe6\x98\xaf\xe6\x95\xb0\xe5\xad\x97", "category": ["Art"], "output": 7}', b"\n",
     "wrong_field_type"),
    (rec("嫦娥六号返回器安全着陆。", category=("Space", "Mine"), output="Space"), b"\n", None),
    (b'{"category": ["Space"], "output": "Space"}', b"\n", "missing_field"),
    (b'{"text": "\xe6\x88\xaa\xe6\x96\xad\xe7\x9a\x84 UTF-8 \xe5\xad", "category": ["Art"], "output": "Art"}', b"\n",
     "invalid_utf8"),
    (rec("长江十年禁渔成效显著，江豚数量回升。", category=("Enviornment", "Agriculture"), output="Enviornment"), b"", None),
]


LIMIT = 1024  # input.max_line_bytes for long_line.jsonl


def write_long_line(out_dir):
    """long_line.jsonl: short good lines around one record of ~6 KB; with max_line_bytes 1024 it is
    line_too_long, with the default limit every line is good."""
    body = "。".join(f"第{i}段：这是一条很长的新闻正文，用来检查读取器对超长记录的处理" for i in range(60))
    lines = [rec("短新闻一：沪指小幅收涨。"), rec(body), rec("短新闻二：国足客场战平。", output="Sports")]
    assert len(lines[1]) > 2 * LIMIT and all(len(x) < LIMIT // 2 for x in (lines[0], lines[2]))
    data = b"".join(x + b"\n" for x in lines)
    with open(os.path.join(out_dir, "long_line.jsonl"), "wb") as f:
        f.write(data)
    expected = {
        "file": "long_line.jsonl",
        "max_line_bytes": LIMIT,
        "lines": 3,
        "good_records": 2,
        "good_lines": [1, 3],
        "bad": [{"line": 2, "byte_offset": len(lines[0]) + 1, "reason": "line_too_long", "bytes": len(lines[1])}],
        "notes": "with the default limit (64 MiB) all 3 lines are good records",
    }
    with open(os.path.join(out_dir, "long_line.expected.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(expected, ensure_ascii=False, indent=2) + "\n")


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "fixtures/bad"
    os.makedirs(out_dir, exist_ok=True)
    data, offset, bad, blank, good = bytearray(), 0, [], [], []
    for number, (body, end, reason) in enumerate(LINES, start=1):
        if reason == "blank":
            blank.append({"line": number, "byte_offset": offset})
        elif reason:
            bad.append({"line": number, "byte_offset": offset, "reason": reason})
        else:
            good.append(number)
        data += body + end
        offset += len(body) + len(end)
    # Sanity: every good line parses; every bad line fails for the stated reason class.
    for number, (body, _, reason) in enumerate(LINES, start=1):
        if reason is None:
            json.loads(body.decode("utf-8-sig"))
        elif reason == "invalid_utf8":
            try:
                body.decode("utf-8")
                raise AssertionError(number)
            except UnicodeDecodeError:
                pass
    with open(os.path.join(out_dir, "mixed.jsonl"), "wb") as f:
        f.write(bytes(data))
    expected = {
        "file": "mixed.jsonl",
        "bytes": len(data),
        "lines": len(LINES),
        "good_records": len(good),
        "good_lines": good,
        "blank_lines": blank,
        "bad": bad,
        "notes": "line and byte_offset are 1-based line number and 0-based offset of the line's first byte "
                 "(line 1 starts with a UTF-8 BOM at offset 0); CRLF on lines 2, 8, 12; last line has no newline; "
                 "blank lines are skipped, not rejected.",
    }
    with open(os.path.join(out_dir, "mixed.expected.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(expected, ensure_ascii=False, indent=2) + "\n")
    write_long_line(out_dir)
    print(f"{out_dir}/mixed.jsonl: {len(LINES)} lines, {len(good)} good, {len(bad)} bad")


if __name__ == "__main__":
    main()
