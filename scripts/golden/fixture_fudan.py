#!/usr/bin/env python3
"""Writes fixtures/fudan/train.jsonl: zh_cls_fudan-news shaped records {text, category, output}.

The texts are written for this fixture (no real news is copied). `category` is a JSON list of names for
most records (the seed renders it with Python's repr, so apostrophes, quotes, backslashes and tabs in the
names exercise repr's quote choice and escapes) and a comma-separated string for a few.

Usage: fixture_fudan.py [OUT]   (default fixtures/fudan/train.jsonl)
"""
import json
import os
import sys

LONG_ECONOMY = """国家统计局今天上午发布数据显示，前三季度全国规模以上工业增加值同比增长5.8%，其中高技术制造业增加值增长9.6%，增速比上半年加快0.4个百分点。分行业看，41个工业大类行业中有35个行业增加值保持同比增长，电子、汽车、电气机械等行业对整体增长的贡献较为突出。
统计局新闻发言人在发布会上表示，当前国内需求持续恢复，市场预期总体稳定，但外部环境仍然复杂严峻，部分企业生产经营困难，经济回升向好的基础还需要进一步巩固。她特别提到，9月份社会消费品零售总额为41,972亿元，同比增长4.1%；其中餐饮收入增长6.2%，商品零售增长3.9%。服务消费的恢复速度明显快于商品消费，旅游、文化娱乐、体育健身等领域的消费热度较高。
从投资看，前三季度全国固定资产投资（不含农户）同比增长3.4%。其中，制造业投资增长9.2%，基础设施投资增长4.1%，房地产开发投资下降10.1%。民间投资增速仍然偏低，发言人说，下一步要落实好促进民营经济发展的各项政策措施，着力破除市场准入壁垒，稳定和扩大民间投资。
外贸方面，以人民币计价，前三季度货物进出口总额32.3万亿元，同比增长5.3%。对“一带一路”沿线国家进出口增长较快，机电产品出口占比进一步提高，电动汽车、锂电池、太阳能电池等“新三样”产品合计出口增长超过10%。
多位经济学家认为，四季度稳增长政策仍将持续发力。某证券研究所首席经济学家分析称，随着专项债发行提速和一批重大项目开工，基建投资有望保持较快增长；同时，消费券、以旧换新等政策将继续支撑耐用品消费。他预计全年GDP增速能够实现预期目标，但提醒要关注PPI持续为负对企业利润的拖累，以及地方财政收支平衡的压力。"""

LONG_SPORTS = """北京时间昨晚，2024-2025赛季中超联赛第28轮展开角逐，积分榜前两名的直接对话吸引了超过5万名球迷到场观战。比赛开始仅7分钟，主队就凭借一次快速反击取得领先：中场球员在本方半场断球后长传找到左路，边锋带球突破后低平球传中，中锋在门前包抄推射得手，1:0。
落后的客队随后加强了中路的控制，外援组织核心多次尝试直塞，但都被主队的后防线化解。第34分钟，客队终于获得一次定位球机会，队长在禁区弧顶右侧主罚任意球，皮球绕过人墙直挂死角，比分被扳平。上半场双方战成1:1。
易边再战，两队都进行了人员调整。主队主教练在第58分钟换上了年仅19岁的小将，这名刚从U21梯队提拔上来的前锋表现抢眼，第71分钟他在右路连续晃过两名防守球员后射门，球打在门柱上弹出，队友补射命中，主队再度领先。此后客队全线压上，第86分钟获得点球，但主罚队员的射门被门将扑出。最终主队以2:1取胜，积分反超对手，重新登上榜首。
赛后新闻发布会上，主队主教练表示：“这是一场意志力的比赛。我们知道对手的实力很强，所以赛前准备了两套方案，年轻球员抓住了机会，我为他们感到骄傲。”客队主教练则坦言，点球没有罚进是比赛的转折点，“但是联赛还剩两轮，我们不会放弃，下一场必须全力争胜”。
数据显示，本场比赛主队控球率仅为43%，但射正次数达到7次，多于客队的4次。技术统计还显示，两队共犯规31次，主裁判出示了6张黄牌。根据赛程，下一轮主队将客场挑战排名第五的球队，而客队则坐镇主场迎战保级形势严峻的对手。"""

LONG_HISTORY = """1405年7月11日，明成祖朱棣命郑和率领由二百余艘海船、两万七千余人组成的庞大船队从南京龙江港启航，经太仓刘家港出海，开始了中国历史上规模最大的远洋航行。此后的二十八年间，郑和先后七次下西洋，到访了三十多个国家和地区，最远抵达非洲东海岸和红海沿岸。
关于郑和下西洋的目的，史学界历来有不同看法。一种观点认为，朱棣通过“靖难之役”夺取皇位后，急于向海外宣示国威，建立以明朝为中心的朝贡体系；另一种观点则认为，船队承担着寻找建文帝下落的秘密使命。近年来，越来越多的研究者强调其经济和外交功能：船队携带大量丝绸、瓷器、茶叶和铜钱，与沿途各国进行“朝贡贸易”，同时也带回了香料、珠宝、药材以及长颈鹿等珍禽异兽。
郑和船队的造船技术和航海技术在当时处于世界领先水平。据《明史》记载，最大的“宝船”长四十四丈四尺，宽十八丈，可容纳上千人。虽然这一尺寸至今仍有争议，但从南京宝船厂遗址出土的巨型舵杆来看，船体规模确实十分惊人。船队使用“过洋牵星术”确定纬度，结合罗盘导航，并绘制了著名的《郑和航海图》，详细标注了航线、港口、暗礁和浅滩。
然而，郑和去世后，明朝的海洋政策逐渐转向保守。朝廷以耗费巨大、得不偿失为由停止了大规模远航，相关档案据说也遭到销毁。与此形成鲜明对比的是，半个多世纪后，欧洲航海家迪亚士、达·伽马和哥伦布相继开辟新航路，世界历史由此进入大航海时代。许多学者认为，这一转折对东西方此后几百年的发展道路产生了深远影响。
今天，郑和下西洋已经成为中外文化交流的重要象征。在马来西亚马六甲、印度尼西亚三宝垄等地，至今仍保留着纪念郑和的庙宇和遗迹；2005年，中国将每年的7月11日定为“中国航海日”。"""

LONG_MEDICAL = """近日，某医科大学附属医院心内科团队在国际期刊上发表论文，报告了一项涉及12,000余名受试者、随访时间长达8年的前瞻性队列研究结果。研究发现，每天步行7000至9000步的中老年人，其心血管疾病的发生风险比每天步行不足4000步的人群降低约31%，全因死亡风险降低约25%。
研究负责人介绍，队列中的受试者年龄在45至75岁之间，入组时均没有确诊的心血管疾病。研究团队通过可穿戴设备连续记录受试者的日常步数，并定期收集血压、血脂、血糖等指标。在校正了年龄、性别、吸烟、饮酒、体重指数（BMI）和基础疾病等因素后，步数与心血管风险之间的负相关关系依然显著。
“一个有意思的发现是，收益并不是无限增加的。”研究负责人说，当每日步数超过10000步以后，风险下降的曲线明显趋于平缓；而对于70岁以上的老年人，每天6000步左右就能获得大部分收益。此外，步行速度也有影响：在步数相同的情况下，快走（每分钟100步以上）比慢走带来的获益更大。
专家提醒，适量运动虽然有益健康，但已经患有冠心病、心力衰竭或严重关节疾病的患者，应在医生指导下制定运动方案，避免突然增加运动量。高血压患者运动前后应注意监测血压，糖尿病患者则要预防运动中出现低血糖。对于长期久坐的上班族，专家建议每隔一小时起身活动5到10分钟，并尽量选择步行或骑车通勤。
该研究也存在一定局限性。例如，受试者主要来自城市社区，农村人群的代表性不足；可穿戴设备的计步精度也会受到佩戴方式的影响。研究团队表示，下一步将扩大样本范围，并进一步探讨睡眠、饮食与运动之间的交互作用。"""

LONG_SPACE = """10月30日4时27分，搭载神舟十九号载人飞船的长征二号F遥十九运载火箭在酒泉卫星发射中心点火发射。约10分钟后，飞船与火箭成功分离，进入预定轨道，航天员乘组状态良好，发射取得圆满成功。
按照计划，神舟十九号载人飞船入轨后将采用自主快速交会对接模式，与空间站天和核心舱前向端口对接，形成三船三舱组合体。航天员乘组将在轨驻留约6个月，与神舟十八号乘组进行在轨轮换。期间，他们将开展空间科学与应用实验、出舱活动、货物气闸舱出舱等任务，并进行舱内外设备安装、调试和维护维修工作。
本次任务是中国载人航天工程进入空间站应用与发展阶段的第4次载人飞行任务。据工程总设计师介绍，此次乘组中有一名“90后”航天员，也是我国首位女性航天飞行工程师。她此前是一名航天器研制工程师，参与过多型号的总体设计工作，经过严格选拔和训练后入选第三批航天员。
在轨期间，乘组将开展86项空间科学研究与技术试验，涉及微重力基础物理、空间材料科学、空间生命科学、航天医学等领域。其中，一项新的实验将首次在轨验证月壤砖的耐受性能，为未来在月球上就地取材建设科研站探索技术途径。此外，科研人员还将利用空间站的高真空、微重力环境，开展新型合金材料的凝固实验和蛋白质晶体生长实验。
中国载人航天工程办公室表示，后续还将按计划实施梦舟载人飞船、揽月着陆器等新研产品的飞行试验，力争在2030年前实现中国人首次登陆月球。"""

LONG_COMPUTER = """随着大语言模型（Large Language Model, LLM）参数规模不断扩大，训练数据的预处理逐渐成为整个流程中不可忽视的一环。以一个70B参数的模型为例，其预训练语料往往超过10T tokens，原始文本需要经过去重、过滤、分词（tokenization）、打包（packing）等多个步骤，才能变成GPU可以直接读取的二进制分片。
业内工程师指出，很多团队在这一环节踩过坑。最常见的问题是分词不一致：训练时使用的tokenizer与推理时不同，或者不同版本的库对同一段文本给出不同的token序列。例如，某些实现对Unicode规范化（NFC）的处理与参考实现不一致，就会导致带有组合字符的文本被切分成不同的子词。虽然这种差异在统计上只影响不到0.01%的文档，但对于需要严格复现实验结果的场景来说是不可接受的。
另一个问题是效率。使用Python的datasets库配合map函数进行分词，在单机上处理100GB的JSONL文件可能需要数小时，峰值内存占用还可能达到数十GB。一位开源社区贡献者在博客中写道：“我们把同样的流程用Rust重写后，吞吐量提高了30倍，内存占用稳定在几百MB。”他同时提醒，重写时必须建立完善的一致性测试，逐个token与参考实现比对。
此外，数据格式也值得关注。常见的做法是把token id按uint16或uint32存储，再用zstd等算法压缩，并为每个分片生成索引文件，记录样本偏移、校验和与统计信息。这样训练程序可以按需随机访问任意样本，而不必解压整个分片。对于指令微调（SFT）数据，还需要同时保存loss mask，标明哪些位置参与训练。
专家建议，数据管线应当做到“三个可”：可复现（同样的输入和配置得到逐字节相同的输出）、可验证（能够校验分片完整性并把token解码回文本抽查）、可观测（对被丢弃或截断的记录给出明确的计数和原因），而不是默默地吞掉错误。"""

# (text, category, output)
RECORDS = [
    (LONG_ECONOMY, ["Economy", "Sports", "Art", "Politics"], "Economy"),
    ("央行宣布下调金融机构存款准备金率0.5个百分点，预计释放长期资金约1万亿元。", ["Economy", "Law", "Military", "Space"], "Economy"),
    ("受国际原油价格上涨影响，国内汽油、柴油价格每吨分别上调175元和170元。", ["Energy", "Economy", "Transport", "History"], "Energy"),
    (LONG_SPORTS, ["Sports", "Military", "Education", "Computer"], "Sports"),
    ("女排世界杯第二阶段比赛中，中国队3:0战胜对手，提前锁定小组第一。", ["Sports", "Art", "Medical", "Agriculture"], "Sports"),
    ("马拉松", ["Sports", "Economy"], "Sports"),
    ("全国人大常委会第十次会议今天在北京闭幕，会议表决通过了修订后的《中华人民共和国反洗钱法》。", ["Politics", "Law", "Economy", "Art"], "Law"),
    ("外交部发言人在例行记者会上回答了有关中美元首会晤的提问，表示双方工作团队正保持沟通。", ["Politics", "Sports", "Space", "Mine"], "Politics"),
    ("国务院召开常务会议，部署进一步优化营商环境的措施，要求各地在年底前完成“一网通办”改革任务。", ["Politics", "Economy", "Enviornment", "Literature"], "Politics"),
    ("第十四届全国美术作品展览在中国美术馆开幕，展出油画、国画、版画、雕塑等作品共计600余件。", ["Art", "Literature", "Education", "Philosophy"], "Art"),
    ("这幅创作于1932年的水彩画描绘了江南水乡的晨雾，画家用大面积留白表现空气的湿润感。", ["Art", "History", "Agriculture", "Transport"], "Art"),
    ("《红楼梦》新校注本出版，校注者对前八十回的2000余处异文重新进行了考订。", ["Literature", "History", "Art", "Computer"], "Literature"),
    ("诗人在新诗集的后记中写道：“我想把故乡的河流写进每一行字里。”全书共收录诗作87首。", ["Literature", "Art", "Sports", "Energy"], "Literature"),
    ("某高校发布2025年本科招生章程，新增人工智能、集成电路设计与集成系统两个专业。", ["Education", "Computer", "Electronics", "Economy"], "Education"),
    ("教育部：今年高考报名人数达1342万人，各地要做好考点安全保障和考生服务工作。", ["Education", "Politics", "Law", "Medical"], "Education"),
    ("康德在《纯粹理性批判》中区分了“现象”与“物自体”，认为人类知识只能及于前者。", ["Philosophy", "Literature", "History", "Education"], "Philosophy"),
    (LONG_HISTORY, ["History", "Transport", "Economy", "Military"], "History"),
    ("考古人员在三星堆遗址新发现的祭祀坑中出土了一件青铜顶尊跪坐人像，高约1.15米。", ["History", "Art", "Mine", "Space"], "History"),
    (LONG_MEDICAL, ["Medical", "Sports", "Education", "Economy"], "Medical"),
    ("国家卫健委提醒：秋冬季是流感高发期，60岁以上老年人和慢性病患者应尽早接种疫苗。", ["Medical", "Politics", "Agriculture", "Art"], "Medical"),
    ("研究人员开发出一种新型mRNA疫苗递送载体，动物实验显示其免疫原性提高了约3倍。", ["Medical", "Electronics", "Computer", "Energy"], "Medical"),
    ("今年全国夏粮总产量14,978万吨，比上年增加3.6%，小麦单产创历史新高。", ["Agriculture", "Economy", "Enviornment", "Sports"], "Agriculture"),
    ("黑龙江建三江农场开始秋收，200多台无人驾驶收割机在北斗导航系统引导下作业。", ["Agriculture", "Transport", "Space", "Computer"], "Agriculture"),
    ("农业农村部推广稻渔综合种养模式，每亩稻田可增收1000元以上。", ["Agriculture", "Economy", "Enviornment", "Mine"], "Agriculture"),
    (LONG_SPACE, ["Space", "Military", "Electronics", "Transport"], "Space"),
    ("嫦娥六号返回器携带约1935.3克月球背面样品安全着陆在内蒙古四子王旗预定区域。", ["Space", "Mine", "History", "Agriculture"], "Space"),
    ("天文学家利用FAST射电望远镜新发现了20颗毫秒脉冲星。", ["Space", "Electronics", "Communication"], "Space"),
    (LONG_COMPUTER, ["Computer", "Electronics", "Communication", "Education"], "Computer"),
    ("开源操作系统发布6.12版内核，新增对实时调度（PREEMPT_RT）的主线支持。", ["Computer", "Communication", "Art", "Law"], "Computer"),
    ("Python 3.13正式发布，引入了实验性的free-threaded模式和JIT编译器。", ["Computer", "Education", "Electronics", "Mine"], "Computer"),
    ("某手机厂商发布搭载3nm工艺芯片的旗舰机型，起售价5999元。", ["Electronics", "Computer", "Economy", "Communication"], "Electronics"),
    ("5G-A商用网络在30个城市启动，下行峰值速率可达10Gbps。", ["Communication", "Electronics", "Transport", "Sports"], "Communication"),
    ("长江流域重点水域“十年禁渔”实施以来，江豚种群数量恢复到1249头。", ["Enviornment", "Agriculture", "History", "Law"], "Enviornment"),
    ("生态环境部通报：10月份全国339个地级及以上城市PM2.5平均浓度为29微克/立方米，同比下降6.5%。", ["Enviornment", "Medical", "Politics", "Energy"], "Enviornment"),
    ("塞罕坝机械林场的森林覆盖率由建场初期的11.4%提高到82%。", ["Enviornment", "Agriculture", "History"], "Enviornment"),
    ("国内最大的海上风电项目全容量并网，年发电量可满足约600万户家庭用电需求。", ["Energy", "Enviornment", "Electronics", "Economy"], "Energy"),
    ("山西一煤矿完成智能化改造，井下采煤工作面实现远程操控，单班作业人员减少至5人。", ["Mine", "Energy", "Computer", "Law"], "Mine"),
    ("京沪高铁日均开行列车超过600列，今年前10个月累计发送旅客1.8亿人次。", ["Transport", "Economy", "Sports", "Art"], "Transport"),
    ("国产大型客机C919开通上海虹桥至北京首都的商业航线，每天往返2班。", ["Transport", "Space", "Electronics", "Military"], "Transport"),
    ("海军某驱逐舰支队组织远海实战化训练，检验了编队防空反潜能力。", ["Military", "Transport", "Sports", "Politics"], "Military"),
    ("最高人民法院发布典型案例，明确网络平台对用户个人信息负有安全保障义务。", ["Law", "Computer", "Politics", "Communication"], "Law"),
    # Apostrophes, quotes, backslashes and tabs in category names: Python's repr picks the quote and escapes.
    ("这本绘本用明亮的色彩讲述了一只小熊学会分享的故事，适合3至6岁儿童阅读。", ["Children's Books", "Art", "Education", "Sports"], "Children's Books"),
    ("出版社推出“给孩子的科学”系列丛书，第一辑共10册，涵盖天文、地理和生物。", ["Children's Books", "Space", "Women's Health"], "Children's Books"),
    ("读者投票选出年度最受欢迎的青少年读物，前三名均为原创科幻小说。", ["Teens' Fiction", "Literature", "Computer", "Law"], "Literature"),
    ("这首歌被乐评人称为“中国摇滚的里程碑”，专辑首周销量突破10万张。", ['Rock "n" Roll', "Art", "Economy"], "Art"),
    ("乐队在巡演中加入了大量即兴段落，现场气氛热烈。", ["Rock 'n' \"Roll\"", "Art", "Sports"], "Art"),
    ("文件路径中的反斜杠在Windows系统中用作目录分隔符。", ["C:\\Users", "Computer", "Law"], "Computer"),
    ("评论员认为这次改革将影响整个行业的用工模式。", ["Economy\tLabour", "Economy", "Politics"], "Economy"),
    # Chinese category names (repr keeps printable non-ASCII as is).
    ("国足在世预赛中客场1:1战平对手，积分排名小组第三。", ["体育", "经济", "艺术", "政治"], "体育"),
    ("多地出台购房补贴政策，部分城市首付比例降至15%。", ["经济", "法律", "教育"], "经济"),
    # category as one comma-separated string (the f-string inserts it unchanged).
    ("围棋世界冠军赛决赛五番棋第三局，中国棋手执黑中盘胜，总比分2:1领先。", "Sports,Art,History,Computer", "Sports"),
    ("新修订的《文物保护法》明年3月1日起施行。", "Law, History, Art, Politics", "Law"),
    ("全国碳排放权交易市场累计成交额突破180亿元。", "Enviornment，Economy，Energy", "Enviornment"),
    # Short ones, digits, English words, newlines inside texts, a literal special token.
    ("GDP增长5.2%", ["Economy", "Sports"], "Economy"),
    ("NBA", ["Sports", "Art", "Space"], "Sports"),
    ("11:3", ["Sports", "Economy"], "Sports"),
    ("标题：秋季运动会圆满落幕\n正文：本届运动会共有1200名学生参加，打破校纪录5项。", ["Sports", "Education", "Art", "Law"], "Education"),
    ("【快讯】\n沪指收涨0.82%，报3,348.37点；\n深成指涨1.21%。\n", ["Economy", "Computer", "Mine"], "Economy"),
    ("某AI公司在发布会上演示了多模态模型，主持人说：“<|im_end|>这个符号是对话结束标记，大家不要在输入里写它。”", ["Computer", "Art", "Education", "Communication"], "Computer"),
    ("  前后带空格的文本，测试 strip 是否被错误地调用。  ", ["Computer", "Literature"], "Computer"),
    ("The State Council on Friday approved a plan to expand the pilot free trade zones（自贸试验区）to 3 more provinces.", ["Economy", "Politics", "Transport", "Art"], "Economy"),
    ("罗纳尔多（Cristiano Ronaldo）在第89分钟打进制胜球，这是他职业生涯第900个进球！", ["Sports", "History", "Medical"], "Sports"),
    ("环保组织发布报告：2023年全球塑料产量约4.13亿吨，回收率不足10%……", ["Enviornment", "Economy", "Energy", "Agriculture"], "Enviornment"),
    ("研究表明，每周进行150分钟中等强度运动，可以使2型糖尿病风险降低约26%；医生建议：“循序渐进，量力而行。”", ["Medical", "Sports"], "Medical"),
    ("《清明上河图》高清数字版上线，观众可放大查看画中814个人物的细节。", ["Art", "History", "Computer", "Space"], "Art"),
]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "fixtures/fudan/train.jsonl"
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        for text, category, output in RECORDS:
            assert category and output, text
            f.write(json.dumps({"text": text, "category": category, "output": output}, ensure_ascii=False) + "\n")
    print(f"{out}: {len(RECORDS)} records")


if __name__ == "__main__":
    main()
