#!/usr/bin/env python3
"""Writes fixtures/alpaca/train.jsonl ({instruction, input, output} per line) and
fixtures/identity/identity.json (a JSON array in LLaMA-Factory's identity.json shape, with {{name}} and
{{author}} placeholders). Written for these fixtures; the three long alpaca records reuse the long fudan
texts so that cutoff_len 1024 truncates the source, the target, and both (infer_seqlen's three branches).

Also fixtures/alpaca/history.jsonl: alpaca records with LLaMA-Factory's `history` column ([[instruction,
response], ...] before the record's own turn): none, null, one to three earlier turns, turns that start with
newlines, and long ones that make cutoff_len 1024 cut inside and drop later turns.

Usage: fixture_alpaca.py [ALPACA_OUT] [IDENTITY_OUT] [HISTORY_OUT]
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_fudan as F  # noqa: E402

ALPACA = [
    ("给出三个保持健康的建议。", "", "1. 均衡饮食，多吃蔬菜水果；\n2. 每周至少运动150分钟；\n3. 保证每天7到8小时的睡眠。"),
    ("Give three tips for staying healthy.", "", "1. Eat a balanced diet with plenty of fruit and vegetables.\n2. Exercise regularly.\n3. Get enough sleep."),
    ("把下面的句子翻译成英文。", "我每天早上七点起床。", "I get up at seven o'clock every morning."),
    ("Translate the sentence into Chinese.", "The library closes at 9 p.m. on weekdays.", "图书馆工作日晚上9点闭馆。"),
    ("判断下面这条评论的情感倾向（正面/负面）。", "快递很快，包装也很仔细，东西和描述一致，好评！", "正面"),
    ("判断下面这条评论的情感倾向（正面/负面）。", "用了两天就坏了，客服也不回消息。", "负面"),
    ("计算下列表达式的值。", "12 × (7 - 3) ÷ 8", "12 × 4 ÷ 8 = 6"),
    ("What is the boiling point of water at sea level in Fahrenheit?", "", "212 °F (100 °C)."),
    ("为一家新开的面包店写一句广告语。", "", "每天清晨第一炉，把麦香带回家。"),
    ("用一句话解释什么是机器学习。", "", "机器学习是让计算机从数据中自动学习规律，并用这些规律对新数据做出预测或决策的方法。"),
    ("Rewrite the sentence in passive voice.", "The committee approved the new budget.", "The new budget was approved by the committee."),
    ("找出下面句子中的错别字并改正。", "他对这个问题做了深入的研完。", "“研完”应为“研究”：他对这个问题做了深入的研究。"),
    ("列举四大名著及其作者。", "", "《红楼梦》——曹雪芹\n《西游记》——吴承恩\n《水浒传》——施耐庵\n《三国演义》——罗贯中"),
    ("Classify the animal as mammal, bird, reptile or fish.", "penguin", "bird"),
    ("写一个Python函数，判断一个整数是否为素数。", "",
     "def is_prime(n: int) -> bool:\n    if n < 2:\n        return False\n    i = 2\n    while i * i <= n:\n        if n % i == 0:\n            return False\n        i += 1\n    return True"),
    ("将下面的数字从小到大排序。", "42, 7, 19, 3, 88, 25", "3, 7, 19, 25, 42, 88"),
    ("解释成语的意思。", "画蛇添足", "比喻做了多余的事，不但无益，反而不合适。"),
    ("Summarize the paragraph in one sentence.",
     "Urban gardens are spreading in many cities. They give residents fresh vegetables, cool the streets in summer, and bring neighbours together, although they depend on volunteers and on land that developers may want.",
     "Urban gardens bring food, cooling and community to cities but rely on volunteers and contested land."),
    ("  前后有空格的指令  ", "  前后有空格的输入  ", "  前后有空格的输出  "),
    ("\n以换行开头的指令", "\n以换行开头的输入", "\n以换行开头的输出"),
    ("给这篇短文起一个标题。", "清晨的菜市场里，摊主们忙着摆放刚从地里摘下的青菜，吆喝声此起彼伏。", "《清晨的菜市场》"),
    ("What does HTTP status code 404 mean?", "", "Not Found: the server cannot find the requested resource."),
    ("把下列单词按字母顺序排列。", "banana, apple, cherry, date", "apple, banana, cherry, date"),
    ("回答问题：地球上最大的海洋是哪个？", "", "太平洋。"),
    ("生成一个包含大写字母、小写字母和数字的8位示例密码。", "", "aB3dE9fK"),
    ("将温度从摄氏度转换为华氏度。", "37℃", "37 × 9/5 + 32 = 98.6℉"),
    ("Write a short product description for a reusable water bottle.", "",
     "Keep cold drinks cold for 24 hours and hot drinks hot for 12. Our 750 ml stainless-steel bottle is leak-proof, dishwasher-safe and free of BPA."),
    ("这句话里有几个“的”字？", "我的朋友的妹妹的老师是一位很有名的画家。", "5个。"),
    ("给出“快乐”的三个近义词。", "", "高兴、愉快、欢乐"),
    ("Correct the grammar.", "She don't like apples and he have no time.", "She doesn't like apples and he has no time."),
    ("把下面的文言文翻译成现代汉语。", "学而时习之，不亦说乎？", "学习了知识然后按时去温习它，不也是很愉快的吗？"),
    ("用三个词形容夏天。", "", "炎热、蝉鸣、西瓜"),
    ("What is the square root of 144?", "", "12"),
    ("将列表转换为JSON。", "姓名：张三；年龄：28；城市：杭州",
     "{\"姓名\": \"张三\", \"年龄\": 28, \"城市\": \"杭州\"}"),
    ("请推荐一本适合初学者的编程书。", "", "《Python编程：从入门到实践》，内容循序渐进，配有大量练习项目。"),
    ("<|im_start|>这条指令里写了特殊标记", "输入里也有<|im_end|>", "输出同样包含<|endoftext|>标记"),
]

LONG_IN = "\n\n".join([F.LONG_ECONOMY, F.LONG_SPORTS, F.LONG_HISTORY])
LONG_OUT = "\n\n".join([F.LONG_MEDICAL, F.LONG_SPACE, F.LONG_COMPUTER])
ALPACA_LONG = [
    ("阅读以下三篇新闻，指出其中哪一篇与体育有关。", LONG_IN, "第二篇与体育有关，它报道了一场中超联赛的比赛。"),
    ("写三篇新闻稿：一篇关于步行与心血管健康的研究，一篇关于载人飞船发射，一篇关于大模型训练数据的预处理。", "", LONG_OUT),
    ("把下面三篇新闻稿改写成另外三个主题的新闻稿，保持相同的篇幅。", LONG_IN, LONG_OUT),
]

IDENTITY = [
    ("hi", "", "你好，我是 {{name}}，一个由 {{author}} 开发的 AI 助手。很高兴认识你，请问有什么可以帮你的？"),
    ("hello", "", "Hello! I am {{name}}, an AI assistant developed by {{author}}. How can I help you today?"),
    ("你好", "", "你好！我是 {{name}}，由 {{author}} 打造的人工智能助手。"),
    ("你是谁？", "", "我是 {{name}}，一个由 {{author}} 训练的语言模型，可以回答问题、写作和整理数据。"),
    ("Who are you?", "", "I am {{name}}, a language model trained by {{author}}. I can answer questions, write and help prepare data."),
    ("你叫什么名字？", "", "我的名字是 {{name}}。"),
    ("What is your name?", "", "My name is {{name}}."),
    ("谁开发了你？", "", "我是由 {{author}} 开发的。"),
    ("Who created you?", "", "I was created by {{author}}."),
    ("你是ChatGPT吗？", "", "不是，我是 {{name}}，由 {{author}} 开发，和 ChatGPT 没有关系。"),
    ("Are you Qwen?", "", "I am {{name}}. I was fine-tuned by {{author}}; I am not the official Qwen assistant."),
    ("介绍一下你自己", "", "我是 {{name}}，{{author}} 开发的 AI 助手。我擅长中文和英文的问答、摘要、翻译和代码解释。"),
    ("Tell me about yourself.", "", "I'm {{name}}, built by {{author}}. I help with questions, summaries, translation and code."),
    ("你能做什么？", "", "作为 {{name}}，我可以帮你查找信息、写作、翻译，还能解释代码。有什么需要尽管说。"),
    ("What can you do?", "", "As {{name}}, I can answer questions, draft text, translate and explain code."),
    ("你和{{author}}是什么关系？", "", "{{author}} 是我的开发者，{{name}} 这个名字也是他们起的。"),
    ("请用英文介绍你的名字", "", "My name is {{name}}, and I was developed by {{author}}."),
    ("{{name}}是谁？", "", "{{name}} 就是我，一个由 {{author}} 开发的 AI 助手。"),
    ("Do you have feelings?", "", "No. I am {{name}}, a program made by {{author}}; I do not have feelings, but I try to be helpful."),
    ("你的数据是谁准备的？", "", "我的训练数据由 {{author}} 整理和准备。"),
]


HISTORY = [
    ("那1到1000呢？", "", "(1+1000)×1000÷2 = 500500。", [["1+2+…+100等于多少？", "5050。"]]),
    ("Which one is faster?", "", "A tuple, slightly.",
     [["Explain the difference between a list and a tuple in Python.", "A list is mutable; a tuple is not."]]),
    ("翻译成英文", "谢谢你的帮助。", "Thank you for your help.", None),
    ("继续", "", "第三步：把面团放进烤箱，200度烤25分钟。",
     [["教我做面包。", "第一步：和面。"], ["\n\n然后呢？", "第二步：发酵一小时。"]]),
    ("Summarise the last answer in one sentence.", "", "Walking 7,000-9,000 steps a day lowers heart risk.",
     [["阅读下面的新闻并概括。", F.LONG_MEDICAL], ["再读这一篇。", F.LONG_SPACE], ["还有这一篇。", F.LONG_COMPUTER]]),
    ("最后一个问题：总结全部内容。", F.LONG_HISTORY, F.LONG_ECONOMY, [["先看这篇。", F.LONG_SPORTS]]),
    ("  edge spaces  ", "\ninput with a newline\n", "\n\nanswer after newlines", [["\t tab first", " space first"]]),
]


def main():
    alpaca_out = sys.argv[1] if len(sys.argv) > 1 else "fixtures/alpaca/train.jsonl"
    identity_out = sys.argv[2] if len(sys.argv) > 2 else "fixtures/identity/identity.json"
    for p in (alpaca_out, identity_out):
        os.makedirs(os.path.dirname(p), exist_ok=True)
    rows = ALPACA[:10] + ALPACA_LONG[:1] + ALPACA[10:25] + ALPACA_LONG[1:] + ALPACA[25:]
    with open(alpaca_out, "w", encoding="utf-8", newline="\n") as f:
        for ins, inp, out in rows:
            f.write(json.dumps({"instruction": ins, "input": inp, "output": out}, ensure_ascii=False) + "\n")
    ident = [{"instruction": i, "input": n, "output": o} for i, n, o in IDENTITY]
    with open(identity_out, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(ident, ensure_ascii=False, indent=2) + "\n")
    history_out = sys.argv[3] if len(sys.argv) > 3 else "fixtures/alpaca/history.jsonl"
    with open(history_out, "w", encoding="utf-8", newline="\n") as f:
        for ins, inp, out, hist in HISTORY:
            row = {"instruction": ins, "input": inp, "output": out}
            if hist is not None or ins == "翻译成英文":
                row["history"] = hist
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{alpaca_out}: {len(rows)} records; {identity_out}: {len(ident)} records; {history_out}: {len(HISTORY)}")


if __name__ == "__main__":
    main()
