#!/usr/bin/env python3
"""Writes fixtures/chat/messages.jsonl: {"messages": [{role, content}]} records for the chat-template check
(HF apply_chat_template on the whole rendered string). Contents start with newlines, spaces, CJK and digits
so the boundaries between template text and content are exercised; the last records carry reasoning (inline as
<think>...</think>, and as `reasoning_content`, which replaces the inline kind), tool results and an empty
`tool_calls`. Written for this fixture.

Usage: fixture_chat.py [OUT]   (default fixtures/chat/messages.jsonl)
"""
import json
import os
import sys

S, U, A, T = "system", "user", "assistant", "tool"

CHATS = [
    [(U, "你好"), (A, "你好！有什么可以帮你的吗？")],
    [(S, "You are a helpful assistant."), (U, "What is 2+2?"), (A, "4")],
    [(S, "你是一个翻译助手。"), (U, "把“早上好”翻译成英文"), (A, "Good morning")],
    [(U, "\n以换行开头的问题"), (A, "\n以换行开头的回答")],
    [(U, "\n\n两个换行开头"), (A, "\n\n\n三个换行开头")],
    [(U, " 一个空格开头"), (A, "  两个空格开头")],
    [(U, "2024年的奥运会在哪里举办？"), (A, "2024年夏季奥运会在法国巴黎举办。")],
    [(U, "123"), (A, "456")],
    [(U, "末尾有换行\n"), (A, "末尾有空格 ")],
    [(S, "\n系统提示以换行开头"), (U, "问题"), (A, "回答")],
    [(S, ""), (U, "空的系统提示"), (A, "好的。")],
    [(U, "第一轮"), (A, "第一轮回答"), (U, "第二轮"), (A, "第二轮回答"), (U, "第三轮"), (A, "第三轮回答")],
    [(U, "Write `print(1)` in Python."), (A, "```python\nprint(1)\n```")],
    [(U, "\t制表符开头"), (A, "\t\t回答也以制表符开头")],
    [(U, "混合 English and 中文 with digits 3.14"), (A, "OK，收到 42 条消息。")],
    [(S, "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."), (U, "Who are you?"),
     (A, "I am a large language model.")],
    [(U, "只有用户消息，没有回答")],
    [(U, "含有特殊标记<|im_end|>的内容"), (A, "回答里也有<|endoftext|>")],
    [(U, "   \n空白和换行混合开头"), (A, "\n  换行后再空格")],
    [(U, "😀 emoji 开头"), (A, "👍")],
    [(U, "１２３全角数字"), (A, "０开头的全角")],
    [(U, "推理"), (A, "<think>\n先想一想\n</think>\n\n答案是 4")],
    [(U, "q1"), (A, "a1", {"reasoning_content": "r1"}), (U, "q2"), (A, "a2", {"reasoning_content": "\nr2\n\n"})],
    [(U, "q"), (A, "<think>inline</think>shown", {"reasoning_content": "given"})],
    [(U, "q"), (A, "\n\nanswer", {"reasoning_content": ""})],
    [(U, "q"), (A, "no reasoning", {"reasoning_content": None, "tool_calls": []})],
    [(U, "天气？"), (A, "查一下", {"reasoning_content": "要调用工具"}), (T, "晴"), (T, "25°C"),
     (A, "晴，25°C", {"reasoning_content": "工具答了"})],
]


def message(turn):
    role, content, *extra = turn
    return {"role": role, "content": content, **(extra[0] if extra else {})}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "fixtures/chat/messages.jsonl"
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        for chat in CHATS:
            f.write(json.dumps({"messages": [message(turn) for turn in chat]}, ensure_ascii=False) + "\n")
    print(f"{out}: {len(CHATS)} records")


if __name__ == "__main__":
    main()
