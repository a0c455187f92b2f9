#!/usr/bin/env python3
"""Writes the monkey (pretraining) fixtures:

- fixtures/monkey/train.jsonl: 200 {"text"} documents taken from the dev corpus (see
  /work/shared/corpus/README.md; real text from Debian's documentation packages): three documents from
  the head of monkey_dev.jsonl for every one from the head of monkey_dev_zh.jsonl, each cut to at most
  MAX_CHARS characters at a line break, so the file mixes English, Chinese, code and lists and holds
  roughly 20 blocks of 2048 tokens.
- fixtures/monkey/train.jsonl.zst: the same bytes, `zstd -19`.
- fixtures/monkey/wiki.xml: a small MediaWiki export written for this fixture (entities, a CDATA section,
  a redirect page, a non-article namespace page), and fixtures/monkey/wiki.jsonl: the {"title", "text"}
  a reader should extract from it, produced here with xml.etree from the XML itself (pages of every
  namespace, in document order; text exactly as the parser yields it, entities resolved), plus
  fixtures/monkey/wiki_nonempty.jsonl: the same minus the page whose text is empty. Expected: 12 pages; the reader decides which namespaces to keep.

Usage: fixture_monkey.py [--corpus DIR] [--out DIR]
"""
import argparse
import json
import os
import subprocess
import xml.etree.ElementTree as ET

DOCS = 200
MAX_CHARS = 750


def cut(text, limit):
    if len(text) <= limit:
        return text
    head = text[:limit]
    nl = head.rfind("\n")
    return head[:nl] if nl > limit // 2 else head


def heads(path, n):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            out.append(json.loads(line)["text"])
            if len(out) == n:
                break
    return out


WIKI_PAGES = [
    ("Zstandard", 0, """'''Zstandard''' (or '''zstd''') is a lossless [[data compression]] algorithm developed by Yann Collet at Facebook.

== Design ==
Zstandard combines a dictionary-matching stage (LZ77) with a large search window and a fast entropy-coding stage, using both Huffman coding and finite-state entropy (tANS). Compression levels range from &minus;7 (fastest) to 22 (slowest in compression speed, but best compression ratio).

== Usage ==
* The Linux kernel has supported zstd for [[Btrfs]] and SquashFS since version 4.14.
* Arch Linux switched its packages from xz to zstd in 2019.
{{Infobox software | name = Zstandard | license = BSD &amp; GPLv2}}"""),
    ("字节对编码", 0, """'''字节对编码'''（Byte Pair Encoding，简称'''BPE'''）是一种简单的[[数据压缩]]算法，后来被广泛用于[[自然语言处理]]中的子词切分。

== 算法 ==
算法反复找出语料中出现次数最多的相邻符号对，并把它合并成一个新符号，直到词表达到预定大小。

== 在语言模型中的应用 ==
GPT-2 使用字节级（byte-level）BPE：先把文本映射为 256 个字节符号，因此任何字符串都不会出现未登录词。Qwen 系列模型的词表约有 15 万个词元。"""),
    ("HTML entities", 0, """In [[HTML]], some characters must be escaped: &lt;p&gt; is written for a paragraph tag, &amp;amp; for an ampersand, and &quot; for a double quote.

Numeric references such as &#169; (©) and &#x4E2D; (中) are also allowed."""),
    ("Template example", 0, """<![CDATA[This text sits in a CDATA section: <b>tags</b> & ampersands are kept literally.]]>"""),
    ("长城", 0, """'''长城'''是中国古代修筑的大型军事防御工程，东起山海关，西至嘉峪关，总长度超过2万千米。

== 历史 ==
最早的长城修建于春秋战国时期。秦始皇统一六国后，把各国原有的长城连接起来，形成“万里长城”。现存的长城大多为明代修筑。

== 保护 ==
1987年，长城被列入《世界遗产名录》。"""),
    ("Great Wall", 0, """#REDIRECT [[Great Wall of China]]"""),
    ("Talk:Zstandard", 1, """== Compression levels ==
Should the article mention the --ultra flag for levels 20&ndash;22? ~~~~"""),
    ("Python (programming language)", 0, """'''Python''' is a high-level, general-purpose programming language.

<syntaxhighlight lang="python">
def greet(name):
    return f"Hello, {name}!"
</syntaxhighlight>

Python 3.0 was released on 3 December 2008. Its design philosophy emphasizes code readability &amp; simplicity."""),
    ("Empty page", 0, ""),
    ("量子计算", 0, """'''量子计算'''利用量子叠加和量子纠缠进行计算。一个由 ''n'' 个量子比特组成的系统可以同时表示 2<sup>''n''</sup> 个状态。

参见：[[量子力学]]、[[Shor算法]] &amp; [[Grover算法]]。"""),
    ("Numeric references", 0, """RAW:Written with XML character references: &#x4E2D;&#25991; &amp; &lt;tag&gt; &quot;quoted&quot; &apos;x&apos;"""),
    ("Whitespace", 0, """

  Leading blank lines and indentation, trailing spaces   
"""),
]


def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_wiki(out_dir):
    parts = ['<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="en">\n',
             "  <siteinfo>\n    <sitename>PrepWiki</sitename>\n    <dbname>prepwiki</dbname>\n  </siteinfo>\n"]
    for i, (title, ns, body) in enumerate(WIKI_PAGES):
        # Page bodies are wikitext as a dump holds it: the entity references in WIKI_PAGES are part of the
        # wikitext (a dump escapes them once more), except the CDATA page, which is written raw.
        # Bodies marked RAW: go into the XML unescaped, to exercise XML-level character references.
        raw = body.startswith("<![CDATA[") or body.startswith("RAW:")
        body = body[4:] if body.startswith("RAW:") else body
        text = body if raw else escape(body)
        parts.append(f"  <page>\n    <title>{escape(title)}</title>\n    <ns>{ns}</ns>\n    <id>{i + 1}</id>\n")
        if body.startswith("#REDIRECT"):
            parts.append('    <redirect title="Great Wall of China" />\n')
        parts.append(f"    <revision>\n      <id>{1000 + i}</id>\n      <timestamp>2026-01-0{1 + i % 9}T12:00:00Z</timestamp>\n")
        parts.append('      <model>wikitext</model>\n      <format>text/x-wiki</format>\n')
        parts.append(f'      <text bytes="{len(body.encode())}" xml:space="preserve">{text}</text>\n')
        parts.append("    </revision>\n  </page>\n")
    parts.append("</mediawiki>\n")
    xml_path = os.path.join(out_dir, "wiki.xml")
    with open(xml_path, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(parts))
    # The expected extraction, from the XML file itself.
    ns = {"mw": "http://www.mediawiki.org/xml/export-0.10/"}
    root = ET.parse(xml_path).getroot()
    with open(os.path.join(out_dir, "wiki.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for page in root.findall("mw:page", ns):
            title = page.find("mw:title", ns).text or ""
            text = page.find("mw:revision/mw:text", ns).text or ""
            f.write(json.dumps({"title": title, "text": text}, ensure_ascii=False) + "\n")
    # The same without pages whose text is empty, for pipelines that reject empty documents.
    with open(os.path.join(out_dir, "wiki.jsonl"), encoding="utf-8") as f, \
         open(os.path.join(out_dir, "wiki_nonempty.jsonl"), "w", encoding="utf-8", newline="\n") as g:
        for line in f:
            if json.loads(line)["text"]:
                g.write(line)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--corpus", default="/work/corpus")
    p.add_argument("--out", default="fixtures/monkey")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    en = heads(os.path.join(a.corpus, "monkey_dev.jsonl"), DOCS)
    zh = heads(os.path.join(a.corpus, "monkey_dev_zh.jsonl"), DOCS)
    docs, ei, zi = [], 0, 0
    while len(docs) < DOCS:
        if len(docs) % 4 == 3:
            docs.append(zh[zi]); zi += 1
        else:
            docs.append(en[ei]); ei += 1
    path = os.path.join(a.out, "train.jsonl")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for d in docs:
            f.write(json.dumps({"text": cut(d, MAX_CHARS)}, ensure_ascii=False) + "\n")
    subprocess.run(["zstd", "-19", "-q", "-f", path, "-o", path + ".zst"], check=True)
    write_wiki(a.out)
    print(f"{path}: {len(docs)} documents, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
