#!/usr/bin/env python3
"""Writes fixtures/belle/train.jsonl: BelleGroup multi-turn records {id, conversations: [{from, value}]}.

Written for this fixture. Covers 1-5 turns, a few conversations that start with an assistant turn (the
recipe drops that turn), one conversation far longer than 2048 tokens (built from the long fudan texts, so
truncation at max_length is exercised), and values that start or end with spaces or newlines.

Usage: fixture_belle.py [OUT]   (default fixtures/belle/train.jsonl)
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_fudan as F  # noqa: E402

H, A = "human", "assistant"

CONVERSATIONS = [
    [(H, "你好，请介绍一下你自己。"), (A, "你好！我是一个人工智能助手，可以回答问题、写作、翻译和做简单的数据分析。有什么可以帮你的吗？")],
    [(H, "把下面这句话翻译成英文：今天天气很好，我们去公园散步吧。"), (A, "The weather is lovely today, let's go for a walk in the park.")],
    [(H, "写一首关于秋天的五言绝句。"), (A, "秋风扫落叶，\n雁字过长空。\n篱下黄花晚，\n斜阳一抹红。")],
    [(H, "1+2+3+…+100等于多少？"), (A, "用等差数列求和公式：(1+100)×100÷2 = 5050。"), (H, "那1到1000呢？"), (A, "同理，(1+1000)×1000÷2 = 500500。")],
    [(H, "我最近总是失眠，有什么办法吗？"),
     (A, "失眠的原因很多，可以先从生活习惯入手：\n1. 固定作息时间，周末也尽量不要睡懒觉；\n2. 睡前一小时不看手机；\n3. 下午以后避免喝咖啡和浓茶；\n4. 白天适量运动。\n如果持续超过一个月，建议去医院睡眠科就诊。"),
     (H, "褪黑素有用吗？"),
     (A, "褪黑素对倒时差和睡眠节律紊乱有一定帮助，但对于慢性失眠效果有限。长期使用前最好咨询医生。")],
    # starts with an assistant turn: the recipe drops it
    [(A, "欢迎使用智能客服，请问有什么可以帮您？"), (H, "我的快递三天了还没到。"), (A, "很抱歉给您带来不便。请提供一下运单号，我帮您查询物流信息。")],
    [(A, "您好，我是旅行助手。"), (H, "推荐一个适合十月份去的国内城市。"), (A, "十月份推荐去新疆的喀纳斯或者四川的稻城亚丁，秋色非常美。如果想轻松一些，杭州和苏州的气候也很舒适。")],
    [(A, "Hello! How can I help you today?"), (H, "What is the capital of Australia?"), (A, "The capital of Australia is Canberra, not Sydney as many people think.")],
    # whitespace and newlines at the edges of values
    [(H, "  请解释一下什么是区块链？  "), (A, "\n区块链是一种按时间顺序把数据块连接起来的分布式账本，每个区块都包含前一个区块的哈希值，因此很难被篡改。\n")],
    [(H, "\n\n帮我把这段代码改成Python 3的写法：\nprint \"hello\"\n"), (A, "  在Python 3中，print是一个函数：\n\n```python\nprint(\"hello\")\n```\n\n")],
    [(H, "\t列出三种常见的排序算法"), (A, "1. 冒泡排序\n2. 快速排序\n3. 归并排序   ")],
    [(H, "Write a haiku about the sea."), (A, "Grey waves fold and break,\nsalt wind carries gull voices,\nthe tide keeps its time.")],
    [(H, "Explain the difference between a list and a tuple in Python."),
     (A, "A list is mutable: you can append, remove or change items. A tuple is immutable once created, which makes it hashable (if its items are) and usable as a dictionary key."),
     (H, "Which one is faster?"),
     (A, "Creating and iterating a tuple is slightly faster and it uses a little less memory, but the difference rarely matters; choose by whether the data should change.")],
    [(H, "把“人工智能”翻译成英语、法语和日语。"), (A, "英语：Artificial Intelligence\n法语：intelligence artificielle\n日语：人工知能（じんこうちのう）")],
    [(H, "给我讲一个关于守株待兔的故事。"),
     (A, "战国时期，宋国有个农夫在田里干活，忽然一只兔子撞到树桩上死了。农夫白捡了一只兔子，从此便放下锄头，天天守在树桩旁边，希望再捡到兔子。结果兔子没有等到，田地却荒芜了。这个故事告诉我们，不能把偶然的运气当成必然，要靠自己的努力。"),
     (H, "这个故事出自哪本书？"),
     (A, "出自《韩非子·五蠹》。"),
     (H, "韩非子是哪个学派的代表人物？"),
     (A, "韩非子是战国末期法家思想的集大成者。")],
    [(H, "帮我写一封请假邮件，明天因为发烧不能上班。"),
     (A, "主题：请假申请\n\n王经理您好：\n\n我今天下午开始发烧，体温38.5℃，明天（11月24日）需要去医院就诊并休息，特此请假一天。手头的报表已经完成初稿，放在共享盘的“周报”目录下，如有急事可以电话联系我。\n\n谢谢！\n小李")],
    [(H, "解释一下“内卷”这个词。"), (A, "“内卷”原本是人类学概念，现在常用来形容在资源有限的情况下，人们为了竞争投入越来越多的努力，但整体收益并没有增加的现象。")],
    [(H, "计算 (3.5 - 1.25) × 4"), (A, "(3.5 - 1.25) × 4 = 2.25 × 4 = 9")],
    [(H, "如何用SQL查询每个部门工资最高的员工？"),
     (A, "可以用窗口函数：\n\nSELECT * FROM (\n  SELECT e.*, RANK() OVER (PARTITION BY dept_id ORDER BY salary DESC) AS r\n  FROM employees e\n) t WHERE r = 1;\n\n如果数据库不支持窗口函数，也可以先按部门求最大工资，再和原表连接。")],
    [(H, "你觉得猫和狗哪个更适合养在公寓里？"), (A, "一般来说猫更适合公寓：不需要每天遛，活动空间要求小，也比较安静。不过一些小型犬，比如贵宾犬、比熊，也能适应公寓生活。")],
    [(H, "将下列词语按拼音首字母排序：香蕉、苹果、橙子、梨"), (A, "梨（lí）、橙子（chéng zi）……抱歉，重新排列：橙子（c）、梨（l）、苹果（p）、香蕉（x）。")],
    [(H, "总结一下《西游记》的主要情节。"),
     (A, "《西游记》讲述了唐僧在孙悟空、猪八戒、沙僧和白龙马的保护下，前往西天取经，一路经历九九八十一难，降妖除魔，最终取得真经、修成正果的故事。")],
    [(H, "hi"), (A, "Hi there! 👋")],
    [(H, "用一句话描述量子纠缠。"), (A, "两个粒子处于纠缠态时，无论相隔多远，对其中一个的测量结果都会与另一个的测量结果相关联。")],
    [(H, "What's 15% of 240?"), (A, "15% of 240 is 36.")],
    [(H, "请给出三个提高英语听力的建议。"),
     (A, "1. 每天坚持精听10到15分钟，逐句听写；\n2. 泛听自己感兴趣的播客或美剧，培养语感；\n3. 学会跟读（shadowing），同时练习发音和反应速度。"),
     (H, "有推荐的播客吗？"),
     (A, "初学者可以听《6 Minute English》，中级可以听《TED Talks Daily》。"),
     (H, "谢谢"),
     (A, "不客气，祝你学习顺利！")],
    # one turn only (human, no answer)
    [(H, "今天是几号？")],
    [(H, "帮我想一个咖啡店的名字。"), (A, "可以叫“慢时光”，寓意在忙碌生活中给自己留一段慢下来的时间。")],
]


def long_conversation():
    """Far beyond 2048 tokens: the six long news texts to summarise, then follow-up questions."""
    articles = [F.LONG_ECONOMY, F.LONG_SPORTS, F.LONG_HISTORY, F.LONG_MEDICAL, F.LONG_SPACE, F.LONG_COMPUTER]
    body = "\n\n".join(f"【第{i + 1}篇】\n{a}" for i, a in enumerate(articles))
    return [
        (H, "请阅读下面六篇文章，分别用一两句话概括每篇的主要内容。\n\n" + body),
        (A, "1. 前三季度工业生产和消费稳步恢复，高技术制造业增长较快，但民间投资偏弱。\n2. 中超榜首大战主队2:1逆转取胜，重新登顶。\n3. 郑和七下西洋的经过、目的争议和历史影响。\n4. 一项大型队列研究发现每天步行7000至9000步可显著降低心血管风险。\n5. 神舟十九号发射成功，乘组将在轨驻留约6个月并开展86项实验。\n6. 大模型训练数据预处理中的分词一致性、效率与数据格式问题。"),
        (H, "第三篇里提到的“过洋牵星术”是什么？"),
        (A, "过洋牵星术是古代航海中通过观测恒星（如北极星、织女星）距离海平面的高度来确定船只所在纬度的方法，测量工具叫“牵星板”。"),
    ]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "fixtures/belle/train.jsonl"
    os.makedirs(os.path.dirname(out), exist_ok=True)
    convs = CONVERSATIONS[:12] + [long_conversation()] + CONVERSATIONS[12:]
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        for i, conv in enumerate(convs):
            rec = {"id": f"belle_{i:05d}", "conversations": [{"from": who, "value": v} for who, v in conv]}
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(f"{out}: {len(convs)} records")


if __name__ == "__main__":
    main()
