#!/usr/bin/env python3
"""Generate one realistic month (2026-03) of front-desk telephony data for the
reconciler: Asterisk cdr_csv Master.csv, MixMonitor WAVs (packed in
recordings.zip), ASR-like transcripts, the front desk's own 台账 (xlsx + csv),
and truth.json listing the injected faults.

Deterministic: same seed -> byte-identical output.  Needs openpyxl for the
xlsx (everything else is stdlib).

    python3 make_month.py                 # writes everything next to this file
    python3 make_month.py --unpack DIR    # extract recordings.zip into DIR/recordings/
    python3 make_month.py --with-dir      # also write recordings/ (~500 MB, not committed)
"""
import csv
import datetime as dt
import io
import json
import os
import random
import struct
import sys
import zipfile

SEED = 20260301
OUT = os.path.dirname(os.path.abspath(__file__))
TZ = dt.timezone(dt.timedelta(hours=8))
YEAR, MONTH, NDAYS = 2026, 3, 31
DESK = "8001"
DID = "057188880000"
RATE = 8000

rng = random.Random(SEED)


def epoch(t):
    return int(t.replace(tzinfo=TZ).timestamp())


def fmt(t):
    return t.strftime("%Y-%m-%d %H:%M:%S") if t else ""


def S(n):
    return dt.timedelta(seconds=n)


# ----------------------------------------------------------------- residents
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢钟姜崔谭陆范汪廖石金贾夏韦付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平",
         "刚", "桂英", "建华", "志强", "海燕", "晓东", "丹", "玉兰", "国庆", "红梅", "文博", "子涵", "雨萱", "浩然", "欣怡", "建国",
         "卫东", "春梅", "秀兰", "立新", "俊", "婷", "鹏", "辉", "斌", "宇", "琳", "颖", "凤英", "德明"]
MISSPELL = {"张": "章", "王": "汪", "李": "黎", "陈": "程", "刘": "柳", "杨": "阳", "徐": "许", "林": "琳", "吴": "武", "周": "邹"}
PREFIX = ["138", "139", "136", "135", "137", "150", "151", "152", "158", "159", "186", "187", "188", "189", "133", "177",
          "180", "181", "199", "130", "131", "132", "155", "156", "185", "176", "153", "173", "198"]

households = []
used_phones = set()
for b in range(1, 13):
    units = 3 if b in (1, 2, 5, 6, 9) else 2
    for _ in range(34):
        u = rng.randint(1, units)
        floor = rng.randint(2, 18)
        room = f"{floor}{rng.randint(1, 2):02d}"
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        while True:
            ph = rng.choice(PREFIX) + "".join(str(rng.randint(0, 9)) for _ in range(8))
            if ph not in used_phones:
                used_phones.add(ph)
                break
        households.append(dict(b=b, u=u, r=room, name=name, phone=ph,
                               sex=rng.choice(["先生", "女士"])))
# de-dup addresses
seen = set()
households = [h for h in households if not ((h["b"], h["u"], h["r"]) in seen or seen.add((h["b"], h["u"], h["r"])))]
# one resident who runs a shop and calls from the shop's landline
LANDLINE = "057188123456"

# ----------------------------------------------------------------- spoken forms
CN = "零一二三四五六七八九"


def cn_small(n):
    if n < 10:
        return CN[n]
    if n == 10:
        return "十"
    if n < 20:
        return "十" + CN[n % 10]
    return CN[n // 10] + "十" + (CN[n % 10] if n % 10 else "")


def cn_digits(s, yao=False):
    out = "".join(CN[int(c)] for c in s)
    return out.replace("一", "幺") if yao else out


def say_building(b):
    return rng.choice([f"{b}栋", f"{cn_small(b)}栋", f"{b}号楼", f"{cn_small(b)}号楼", f"{cn_small(b)} 栋"])


def say_unit(u):
    return rng.choice([f"{u}单元", f"{cn_small(u)}单元", f"{cn_small(u)} 单元"])


def say_room(r):
    opts = [r, cn_digits(r), cn_digits(r) + "室", r + "室"]
    if len(r) == 3 and r[1] == "0":
        opts.append(f"{CN[int(r[0])]}百零{CN[int(r[2])]}")
    return rng.choice(opts)


def say_phone(p):
    if len(p) == 11:
        a, b_, c = p[:3], p[3:7], p[7:]
        return rng.choice([f"{a} {b_} {c}", f"{cn_digits(a, True)} {cn_digits(b_, True)} {cn_digits(c, True)}",
                           cn_digits(p, True)])
    return rng.choice([p, cn_digits(p, True)])


def say_addr(h, style):
    if style == "full":
        sep = rng.choice(["", " ", " "])
        return say_building(h["b"]) + sep + say_unit(h["u"]) + sep + say_room(h["r"])
    if style == "no_unit":
        return say_building(h["b"]) + rng.choice(["", " "]) + say_room(h["r"])
    return ""


# ----------------------------------------------------------------- content
# cat, dept, urgent, public, caller variants ({A} = spoken address clause), ledger paraphrases
T = []


def tpl(key, cat, dept, urgent, public, caller, ledger):
    T.append(dict(key=key, cat=cat, dept=dept, urgent=urgent, public=public, caller=caller, ledger=ledger))


tpl("leak", "报修", "工程维修部", False, False,
    ["我是 {A} 的 我家 厨房 水管 在 漏水 滴滴答答 的 麻烦 派个 师傅 来 看看",
     "你好 {A} 厨房 水槽 下面 的 水管 漏水 了 地上 都是 水 能不能 来 修 一下",
     "喂 我 {A} 的 那个 洗手池 下面 接头 漏水 你们 什么时候 能 来"],
    ["厨房水管漏水，需上门维修", "洗手池下水管接头漏水", "厨房水槽下水管渗漏，派工程部"])
tpl("toilet", "报修", "工程维修部", False, False,
    ["我 {A} 卫生间 马桶 堵 了 冲 不 下去 能 派 人 来 通 一下 吗",
     "{A} 这边 马桶 堵住 了 水 都 快 漫 出来 了 你们 师傅 今天 能 来 吗"],
    ["卫生间马桶堵塞，需疏通", "马桶堵塞请求上门疏通"])
tpl("burst", "报修", "工程维修部", True, False,
    ["喂 喂 我 是 {A} 的 我家 水管 爆 了 水 一直 在 喷 快 派 人 来",
     "快 快 {A} 卫生间 的 水管 爆裂 了 到处 都是 水 总阀 在 哪里 关",
     "你好 我 {A} 家里 热水管 爆 了 水 喷 得 到处 都是 赶紧 派 人"],
    ["户内水管爆裂，紧急派工程部关阀维修", "卫生间水管爆裂，已指导关总阀，工程部紧急上门"])
tpl("flood", "报修", "工程维修部", True, False,
    ["我 {A} 家里 进水 了 楼上 往下 灌水 地板 都 泡 了 快 来 人",
     "{A} 我家 淹 了 天花板 一直 往下 流水 快 派 人 上 楼 看看"],
    ["楼上漏水导致户内进水，紧急处理", "户内被淹，天花板大量流水，紧急派单"])
tpl("power", "报修", "工程维修部", True, False,
    ["我 {A} 家里 突然 停电 了 整个 屋 都 没 电 别人家 都 有 电",
     "{A} 我家 跳闸 了 推 不 上去 全屋 没 电 冰箱 里 还有 东西"],
    ["户内全屋停电，电闸推不上，紧急派电工", "户内断电，派工程部电工紧急处理"])
tpl("gas", "报修", "工程维修部", True, False,
    ["你好 {A} 我 闻到 家里 有 很 大 的 燃气 味 是 不是 漏气 了",
     "我 {A} 的 厨房 煤气 味道 很 重 我 已经 开 窗 了 你们 快 来 看 一下"],
    ["户内燃气异味，疑似漏气，已嘱开窗勿用明火，紧急派单", "厨房燃气味重，紧急处理并通知燃气公司"])
tpl("lock", "报修", "工程维修部", False, False,
    ["{A} 我家 入户门 的 锁 坏 了 关 不 上 麻烦 找 个 师傅",
     "我 是 {A} 的 防盗门 门锁 转 不 动 了 能 来 修 吗"],
    ["入户门锁损坏无法关闭", "防盗门锁芯故障，需维修"])
tpl("window", "报修", "工程维修部", False, False,
    ["我 {A} 卧室 窗户 关 不 严 一 下雨 就 往 里 渗水",
     "{A} 阳台 推拉窗 滑轮 掉 了 拉 不 动 了"],
    ["卧室窗户密封不严，雨天渗水", "阳台推拉窗滑轮脱落"])
tpl("ceiling", "报修", "工程维修部", False, False,
    ["我 {A} 卫生间 顶上 有 水渍 应该 是 楼上 渗 下来 的 麻烦 看 一下",
     "{A} 家里 天花板 有 一块 发黄 有点 渗水 不 严重 但是 想 让 人 看看"],
    ["卫生间吊顶有水渍，疑楼上渗漏", "天花板轻微渗水，需上门查看"])
tpl("drain", "报修", "工程维修部", False, False,
    ["我 {A} 厨房 下水道 返味 很 臭 能 来 处理 一下 吗",
     "{A} 地漏 一直 往 上 冒 臭味 是不是 存水弯 坏 了"],
    ["厨房下水道返味", "地漏返臭味，需检查存水弯"])
tpl("heat", "报修", "工程维修部", False, False,
    ["{A} 我家 地暖 不 热 已经 两天 了 阀门 都 开着 的",
     "我 {A} 的 暖气片 一直 是 凉 的 麻烦 派 人 看看"],
    ["地暖不热，需检查分水器", "暖气片不热"])
tpl("corridor", "报修", "工程维修部", False, True,
    ["我 是 {B} 的 我们 {U} 楼道 的 灯 坏 了 好几天 了 晚上 黑乎乎 的",
     "你好 {B} 那边 {U} 好几层 楼道 灯 都 不 亮 了 麻烦 修 一下"],
    ["{B}{U}楼道灯不亮，公共区域报修", "{B}{U}楼道照明故障"])
tpl("liftstuck", "报修", "工程维修部", True, True,
    ["快 快 {B} {U} 的 电梯 困 人 了 我 被 关 在 里面 了 门 打 不 开",
     "喂 我 在 {B} 电梯 里 电梯 停 在 半层 不动 了 里面 还有 小孩 快 来 人"],
    ["{B}{U}电梯困人，紧急通知电梯维保及安管", "{B}电梯故障困人，紧急救援"])
tpl("liftnoise", "报修", "工程维修部", False, True,
    ["{B} {U} 的 电梯 运行 的 时候 有 很 大 的 异响 咯噔 咯噔 的 不 太 放心",
     "你好 我们 {B} 电梯 最近 老 是 晃 有 声音 能 不能 叫 人 检查 一下"],
    ["{B}{U}电梯运行异响", "{B}电梯晃动有异响，通知维保检查"])
tpl("door", "报修", "工程维修部", False, True,
    ["{B} {U} 的 单元 门禁 坏 了 刷 卡 没 反应 门 一直 开着",
     "我们 {B} 大堂 的 玻璃门 关 不 上 了 一直 敞 着"],
    ["{B}{U}单元门禁失灵", "{B}大堂玻璃门闭门器故障"])
tpl("garage", "报修", "工程维修部", True, True,
    ["地下 车库 B2 {B} 那边 积水 很 深 了 水 还在 往 里 灌 车 都 要 泡 了",
     "喂 {B} 下面 地库 进水 了 水 有 脚踝 深 了 快 派 人 抽水"],
    ["地库{B}附近大面积积水，紧急抽排", "地下车库进水，紧急派工程部抽水"])
tpl("noise", "投诉", "客服部", False, False,
    ["我 要 投诉 我 是 {A} 的 楼上 装修 太 吵 了 天天 早上 七点 就 开始 砸",
     "{A} 我 要 反映 一下 楼上 周末 也 在 装修 电钻 声 吵 得 孩子 没法 睡觉",
     "你好 我 {A} 的 楼下 晚上 十一点 了 还在 唱 卡拉OK 太 吵 了 你们 管 不 管"],
    ["投诉楼上装修噪音，作业时间过早", "投诉邻居噪音扰民", "反映装修违规时间施工噪音"])
tpl("garbage", "投诉", "环境部", False, True,
    ["我 要 投诉 {B} 门口 的 垃圾桶 两天 没 清 了 都 臭 了",
     "{B} 楼下 垃圾 堆 得 满满 的 保洁 怎么 没 人 收 啊"],
    ["投诉{B}楼下垃圾未及时清运", "{B}垃圾桶满溢未清理"])
tpl("guard", "投诉", "安管部", False, True,
    ["我 要 投诉 你们 东门 的 保安 态度 太 差 了 我 问 一下 路 他 爱理不理 的",
     "东门 那个 保安 不 让 我 的 快递 进来 说话 还 很 冲 我 要 投诉"],
    ["投诉东门岗保安服务态度差", "投诉门岗保安言语生硬"])
tpl("parking", "投诉", "安管部", False, True,
    ["我 是 {A} 的 我 的 车位 又 被 别人 占 了 B1 区 的 你们 管 一下",
     "{A} 我 的 固定 车位 被 一辆 白色 的 车 停 了 一上午 了"],
    ["投诉固定车位被他人占用", "反映车位被占，请安管处理"])
tpl("dog", "投诉", "安管部", False, True,
    ["我 要 反映 一下 小区 里 有人 遛狗 不 拴 绳 把 我家 孩子 吓哭 了 在 {B} 旁边",
     "{B} 那边 草坪 上 好多 狗 屎 没 人 管 狗 也 不 拴 绳"],
    ["投诉{B}附近遛狗不拴绳", "{B}草坪宠物粪便无人清理，遛狗未牵绳"])
tpl("fee", "咨询", "客服部", False, False,
    ["请问 物业费 在 哪里 交 可以 微信 交 吗",
     "你好 我 想 问 一下 今年 的 物业费 可以 线上 交 吗 能不能 开 发票",
     "请问 物业费 是 按 季度 交 还是 按 年 交 的"],
    ["咨询物业费缴纳方式", "咨询物业费线上缴费及开票", "咨询物业费缴费周期"])
tpl("water", "咨询", "客服部", False, False,
    ["我 看到 电梯 里 贴 了 通知 说 明天 停水 请问 几点 到 几点",
     "你好 问 一下 这 周 是不是 要 停水 清洗 水箱 大概 停 多久"],
    ["咨询停水通知具体时间", "咨询二次供水水箱清洗停水时间"])
tpl("reno", "咨询", "客服部", False, False,
    ["我 是 {A} 的 我家 准备 装修 要 办 什么 手续 要 交 押金 吗",
     "你好 装修 申请 需要 带 什么 材料 过来"],
    ["咨询装修申报手续", "咨询装修备案所需材料"])
tpl("card", "咨询", "客服部", False, False,
    ["我 的 门禁卡 丢 了 补办 一张 要 多少 钱 去 哪里 办",
     "请问 车位 月卡 怎么 办 需要 什么 证件"],
    ["咨询门禁卡补办", "咨询车辆月卡办理"])
tpl("parcel", "咨询", "客服部", False, False,
    ["请问 快递 柜 满 了 快递 员 放 你们 前台 了 吗 我 姓 {N}",
     "你好 我 有 一个 大件 快递 是不是 放在 物业 这边 了"],
    ["咨询快递是否寄存前台", "查询大件快递寄存"])
tpl("keys", "求助", "安管部", False, False,
    ["我 {A} 的 钥匙 锁 家里 了 你们 能 帮忙 联系 个 开锁 的 吗",
     "不好意思 我 把 钥匙 反锁 在 屋里 了 {A} 能 不能 帮 我 找 个 开锁 师傅"],
    ["钥匙反锁屋内，协助联系开锁", "求助开锁，已联系合作开锁师傅并核实身份"])
tpl("elder", "求助", "客服部", False, False,
    ["我 是 {A} 的 家里 老人 腿脚 不 方便 想 请 你们 帮忙 把 一袋 大米 搬 上去",
     "我 妈妈 一个 人 在 {A} 电话 一直 没 人 接 能 不能 麻烦 你们 上去 敲 个 门 看看"],
    ["独居老人求助搬运物品", "家属联系不上独居老人，请管家上门查看"])
tpl("lost", "求助", "安管部", False, True,
    ["我家 的 猫 跑 出去 了 橘色 的 在 {B} 附近 能 不能 帮忙 调 一下 监控",
     "我 孩子 的 自行车 在 {B} 楼下 不见 了 能 帮 我 查 一下 监控 吗"],
    ["宠物走失，请求协助查看{B}附近监控", "{B}楼下自行车丢失，请求调阅监控"])
tpl("charger", "建议", "客服部", False, False,
    ["我 有 个 建议 地库 能不能 多 装 几个 充电桩 现在 根本 抢 不到",
     "建议 一下 小区 新能源 车 越来越多 充电桩 是不是 可以 增加 一些"],
    ["建议地库增设充电桩", "建议增加新能源车充电桩"])
tpl("shade", "建议", "客服部", False, False,
    ["我 建议 儿童 游乐区 那边 装 个 遮阳棚 夏天 太 晒 了",
     "能不能 在 中心 花园 多 放 几 张 长椅 老人 走 累 了 没 地方 坐"],
    ["建议儿童游乐区加装遮阳棚", "建议中心花园增设休息座椅"])
tpl("recycle", "建议", "环境部", False, False,
    ["建议 把 {B} 门口 的 垃圾 分类 点 挪 远 一点 夏天 味道 太 大",
     "我 觉得 垃圾 分类 的 投放 时间 能不能 晚 一点 上班族 赶 不 上"],
    ["建议调整{B}垃圾分类点位置", "建议延长垃圾分类定时投放时间"])

TPL = {t["key"]: t for t in T}
CAT_WEIGHTS = {"报修": 46, "投诉": 14, "咨询": 24, "求助": 9, "建议": 7}
URGENT_KEYS = [t["key"] for t in T if t["urgent"]]


def pick_tpl(allow_urgent=True):
    cat = rng.choices(list(CAT_WEIGHTS), weights=list(CAT_WEIGHTS.values()))[0]
    cands = [t for t in T if t["cat"] == cat and (allow_urgent or not t["urgent"])]
    # urgent ones are rarer
    w = [0.25 if t["urgent"] else 1.0 for t in cands]
    return rng.choices(cands, weights=w)[0]


HOMOPHONE = {"水管": "水关", "漏水": "露水", "物业": "无业", "电梯": "电提", "马桶": "马通", "师傅": "师父",
             "装修": "装休", "投诉": "头速", "门禁": "门进", "麻烦": "马烦", "楼道": "楼到", "充电桩": "充电装",
             "垃圾": "拉几", "保安": "报安", "停水": "停税", "遮阳棚": "遮阳篷", "钥匙": "要是"}


def asr(text, err=0.0):
    """ASR-ish: random word boundaries kept as spaces, a few homophone errors."""
    words = text.split(" ")
    words = [HOMOPHONE.get(w, w) if (w in HOMOPHONE and rng.random() < err) else w for w in words]
    out = words[0]
    for w in words[1:]:
        out += (" " if rng.random() < 0.55 else "") + w
    return out


# ----------------------------------------------------------------- calls
class Ctr:
    uid = 120
    chan = 0x1a


def next_uid(t, legs=2):
    Ctr.uid += legs
    return f"{epoch(t)}.{Ctr.uid - legs}"


def next_chan():
    Ctr.chan += rng.randint(1, 3)
    return f"{Ctr.chan:08x}"


def day_arrivals(d):
    n = rng.randint(20, 30)
    base = dt.datetime(YEAR, MONTH, d)
    ts = []
    for _ in range(n):
        x = rng.random()
        if x < 0.86:   # working hours, two peaks
            h = rng.choice([rng.uniform(8.0, 12.0), rng.uniform(13.5, 18.5), rng.uniform(8.5, 18.0)])
        elif x < 0.96:
            h = rng.uniform(18.5, 22.0)
        else:
            h = rng.choice([rng.uniform(22.0, 23.9), rng.uniform(0.2, 7.5)])
        ts.append(base + S(int(h * 3600)))
    return sorted(ts)


calls = []        # inbound call specs
for d in range(1, NDAYS + 1):
    for t in day_arrivals(d):
        h = rng.choice(households)
        c = dict(day=d, t0=t, hh=h, src=h["phone"], kind="answered", quirk=None, tpl=pick_tpl(),
                 ring=rng.choice([2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 8, 9, 10, 11, 12]),
                 billsec=None, fault=None, near=None, addr_style=None, resolution=None)
        x = rng.random()
        if x < 0.045:
            c["kind"] = "missed"
        elif x < 0.052:
            c["kind"] = "busy"
        calls.append(c)

# quirks on specific calls (fixed by the seed)
def pick(pred, k):
    cands = [c for c in calls if pred(c)]
    return rng.sample(cands, k)


def plain(c):
    return c["kind"] == "answered" and c["quirk"] is None and c["fault"] is None and c["near"] is None \
        and 2 <= c["day"] <= 30


def workhours(c):
    return 9 <= c["t0"].hour < 17


for c in pick(lambda c: plain(c) and workhours(c) and c["tpl"]["cat"] == "报修" and c["tpl"]["public"], 2):
    c["quirk"] = "transfer"            # second leg to 8002 (engineering)
calls_transfer = [c for c in calls if c["quirk"] == "transfer"]
calls_transfer[1]["quirk"] = "transfer_app"   # first leg's lastapp is Transfer
for c in pick(lambda c: plain(c) and workhours(c), 2):
    c["quirk"] = "park"
for c in pick(lambda c: plain(c), 3):
    c["quirk"] = "nameonly"
for c in pick(lambda c: plain(c), 3):
    c["quirk"] = "anonymous"
SHOP = households[7]
for c in pick(lambda c: plain(c) and workhours(c), 3):
    c["quirk"] = "landline"
    c["hh"] = SHOP
# internal calls from colleagues (not trunk, not recorded, not registered)
for d in rng.sample(range(1, NDAYS + 1), 4):
    t = dt.datetime(YEAR, MONTH, d, rng.randint(9, 16), rng.randint(0, 59), rng.randint(0, 59))
    ext, nm = rng.choice([("8002", "工程部 李师傅"), ("8003", "安管 值班岗"), ("8002", "工程部 赵工")])
    calls.append(dict(day=d, t0=t, hh=None, src=ext, clidname=nm, kind="internal", quirk="internal", tpl=None,
                      ring=rng.randint(3, 9), billsec=rng.randint(20, 70), fault=None, near=None,
                      addr_style=None, resolution=None))

truth_faults = []


def fault(c, kind, why, **kw):
    c["fault"] = kind
    c["why"] = why
    c.update(kw)


# --- fault plan on answered calls
for c, rg in zip(pick(lambda c: plain(c), 6), [15, 15, 16, 18, 23, 31]):
    fault(c, "SLOW_ANSWER", f"answered {rg} s after start = ring {rg // 5 + 1}", ring=rg)
for c, rg in zip(pick(lambda c: plain(c), 7), [13, 13, 14, 14, 14, 12, 13]):
    c["near"] = f"answered {rg} s after start = ring {rg // 5 + 1}: within three rings, not SLOW_ANSWER"
    c["ring"] = rg
for c in pick(lambda c: plain(c), 6):
    fault(c, "UNLOGGED_CALL", "answered inbound call, recording present, no ledger row")
for c, lag in zip(pick(lambda c: plain(c) and c["t0"].hour < 20, 6), [61, 75, 90, 600, 1860, 2400]):
    fault(c, "LATE_REGISTRATION", f"ledger row registered {lag} s after hangup (> 60 s)", reglag=lag)
for c, lag in zip(pick(lambda c: plain(c), 6), [55, 58, 59, 60, 57, -6]):
    c["near"] = (f"registered {lag} s after hangup: within 1 minute" if lag >= 0 else
                 "registered 6 s BEFORE hangup (agent saved the row while still on the line): not late")
    c["reglag"] = lag
for c, how in zip(pick(lambda c: plain(c), 4), ["exact", "exact", "near", "near"]):
    fault(c, "DUPLICATE_ENTRY", "same call registered twice: second row is "
          + ("an exact copy" if how == "exact" else "a re-typed near-identical copy a few minutes later"),
          dup=how)
for c in pick(lambda c: plain(c), 3):
    fault(c, "RECORDING_MISSING", "answered inbound call, ledger row present, no WAV in recordings/")
for c, (bs, fl) in zip(pick(lambda c: plain(c), 3), [(60, 20), (85, 31), (47, 12)]):
    fault(c, "DURATION_MISMATCH", f"billsec {bs} s but recording only {fl} s", billsec=bs, filelen=fl)
# content mismatches
in_unit = lambda c: plain(c) and not c["tpl"]["public"] and c["tpl"]["cat"] in ("报修", "投诉")
for c in pick(in_unit, 2):
    fault(c, "CONTENT_MISMATCH", "", cm="building", addr_style="full")
for c in pick(in_unit, 1):
    fault(c, "CONTENT_MISMATCH", "", cm="room", addr_style="full")
for c in pick(in_unit, 1):
    fault(c, "CONTENT_MISMATCH", "", cm="partial", addr_style="no_unit")
for c in pick(lambda c: plain(c), 2):
    c["tpl"] = TPL[rng.choice(["leak", "toilet", "lock", "drain"])]
    fault(c, "CONTENT_MISMATCH", "", cm="category", addr_style="full")
for c, v in zip(pick(lambda c: plain(c), 2), ["否", ""]):
    c["tpl"] = TPL[rng.choice(["burst", "flood"])]
    fault(c, "CONTENT_MISMATCH", "", cm="urgency", urg_val=v, addr_style="full")
# clean partial-address counterparts
for c in pick(in_unit, 2):
    c["near"] = "caller gave building+room without unit; ledger has the full address of the same flat: not a mismatch"
    c["addr_style"] = "no_unit"
# callback overdue on repairs (registered in working hours)
rep = lambda c: plain(c) and c["tpl"]["cat"] == "报修" and 8 <= c["t0"].hour < 15 and c["day"] <= 29
for c, m in zip(pick(rep, 5), [121, 150, 370, None, None]):
    fault(c, "CALLBACK_OVERDUE", f"repair returned, callback {m} min later (> 120)" if m else
          "repair returned (返单) but never called back", cbmin=m)
calls_overdue = [c for c in calls if c["fault"] == "CALLBACK_OVERDUE"]
calls_overdue[4]["closed_anyway"] = True
for c in pick(rep, 3):
    c["near"] = "repair callback 118 min (1 h 58 min) after 返单: within 2 h"
    c["cbmin"] = 118

# missed calls: resolution
missed = [c for c in calls if c["kind"] in ("missed", "busy") and c["day"] <= 30 and 8 <= c["t0"].hour < 19]
rng.shuffle(missed)
plan = ["none", "none", "late125", "late150", "cb_noanswer", "cb115", "cb115", "cb115", "repeat", "repeat", "repeat"]
for c in [c for c in calls if c["kind"] in ("missed", "busy")]:
    c["resolution"] = "cb"
for c, p in zip(missed, plan):
    c["resolution"] = p
    if p in ("none", "late125", "late150", "cb_noanswer"):
        why = {"none": "missed call, never called back",
               "late125": "missed call, desk called back only after 2 h 05 min",
               "late150": "missed call, desk called back only after 2 h 30 min",
               "cb_noanswer": "missed call, one callback attempt 30 min later was NOT answered and no other contact"}[p]
        fault(c, "MISSED_NO_CALLBACK", why)
    elif p == "cb115":
        c["near"] = "missed call called back (ANSWERED) 1 h 55 min later: within 2 h"
    elif p == "repeat":
        c["near"] = "missed call; the resident rang again 20-50 min later, was answered and registered"
        t = c["t0"] + S(rng.randint(20 * 60, 50 * 60))
        calls.append(dict(day=c["day"], t0=t, hh=c["hh"], src=c["src"], kind="answered", quirk=None,
                          tpl=pick_tpl(), ring=rng.randint(3, 10), billsec=None, fault=None,
                          near="repeat call after an earlier missed call from the same number", addr_style=None,
                          resolution=None))

# ----------------------------------------------------------------- schedule
calls.sort(key=lambda c: c["t0"])
free = dt.datetime(YEAR, MONTH, 1)
for c in calls:
    if c["kind"] in ("missed", "busy"):
        c["start"] = c["t0"]
        continue
    if c["t0"] < free + S(5):
        c["t0"] = free + S(rng.randint(8, 90))
    c["start"] = c["t0"]
    if c["billsec"] is None:
        c["billsec"] = int(min(150, max(18, rng.lognormvariate(3.75, 0.35))))
    c["answer"] = c["start"] + S(c["ring"])
    c["end"] = c["answer"] + S(c["billsec"])
    free = c["end"]
for c in calls:
    if c["kind"] == "missed":
        dur = rng.choice([30, 30, 30, rng.randint(6, 28)])
        c["answer"] = None
        c["end"] = c["start"] + S(dur)
        c["billsec"] = 0
    elif c["kind"] == "busy":
        c["answer"] = None
        c["end"] = c["start"] + S(rng.randint(0, 2))
        c["billsec"] = 0

# ----------------------------------------------------------------- CDR
cdr = []   # (end, row)


def q(s):
    return s


def cdr_row(src, dst, dctx, clid, chan, dchan, app, data, start, answer, end, disp, uid):
    dur = int((end - start).total_seconds())
    bill = int((end - answer).total_seconds()) if answer else 0
    return ["", src, dst, dctx, clid, chan, dchan, app, data, fmt(start), fmt(answer), fmt(end),
            str(dur), str(bill), disp, "DOCUMENTATION", uid, ""]


def inbound_clid(c):
    h = c["hh"]
    q_ = c["quirk"]
    if q_ == "anonymous":
        return "anonymous", '"Anonymous" <anonymous>'
    if q_ == "nameonly":
        return "", h["name"]
    if q_ == "landline":
        return LANDLINE, f'"{LANDLINE}" <{LANDLINE}>'
    src = c["src"]
    return src, rng.choice([f'"{src}" <{src}>', f'"{src}" <{src}>', f'"{h["name"]}" <{src}>', f'"" <{src}>'])


outbound = []  # outbound call specs: dict(t, phone, answered, why)

for c in calls:
    if c["kind"] == "internal":
        uid = next_uid(c["start"])
        c["uid"] = uid
        row = cdr_row(c["src"], DESK, "from-internal", f'"{c["clidname"]}" <{c["src"]}>',
                      f"SIP/{c['src']}-{next_chan()}", f"SIP/{DESK}-{next_chan()}", "Dial", f"SIP/{DESK},30,tr",
                      c["start"], c["answer"], c["end"], "ANSWERED", uid)
        cdr.append((c["end"], row))
        continue
    if c["quirk"] == "landline":
        c["src"] = LANDLINE
    src, clid = inbound_clid(c)
    c["cdr_src"] = src
    dst = DID if rng.random() < 0.4 else DESK
    uid = next_uid(c["start"], 2 if c["quirk"] not in ("transfer", "transfer_app") else 3)
    c["uid"] = uid
    ch = f"SIP/trunk-{next_chan()}"
    dch = f"SIP/{DESK}-{next_chan()}"
    if c["kind"] in ("missed", "busy"):
        disp = "NO ANSWER" if c["kind"] == "missed" else "BUSY"
        cdr.append((c["end"], cdr_row(src, dst, "from-trunk", clid, ch, dch, "Dial", f"SIP/{DESK},30,tr",
                                      c["start"], None, c["end"], disp, uid)))
        continue
    app, data = "Dial", f"SIP/{DESK},30,tr"
    if c["quirk"] == "park":
        app, data = "Park", "701"
    if c["quirk"] in ("transfer", "transfer_app"):
        if c["quirk"] == "transfer_app":
            app, data = "Transfer", "SIP/8002"
        cdr.append((c["end"], cdr_row(src, dst, "from-trunk", clid, ch, dch, app, data,
                                      c["start"], c["answer"], c["end"], "ANSWERED", uid)))
        # second leg: engineering colleague takes the caller
        t2 = c["end"]
        a2 = t2 + S(rng.randint(4, 9))
        e2 = a2 + S(rng.randint(40, 110))
        uid2 = f"{uid.split('.')[0]}.{int(uid.split('.')[1]) + 2}"
        c["uid2"] = uid2
        cdr.append((e2, cdr_row(src, "8002", "from-internal", clid, ch, f"SIP/8002-{next_chan()}", "Dial",
                                "SIP/8002,30,tr", t2, a2, e2, "ANSWERED", uid2)))
        continue
    cdr.append((c["end"], cdr_row(src, dst, "from-trunk", clid, ch, dch, app, data,
                                  c["start"], c["answer"], c["end"], "ANSWERED", uid)))

# missed-call callbacks
for c in calls:
    if c["kind"] not in ("missed", "busy") or c["quirk"] is not None:
        continue
    r = c["resolution"]
    base = c["start"]
    if r == "cb":
        delay = rng.randint(4 * 60, 15 * 60) if c["kind"] == "busy" else rng.randint(3 * 60, 95 * 60)
        outbound.append(dict(t=base + S(delay), phone=c["src"], answered=True, hh=c["hh"], why="missed-callback", of=c))
    elif r == "cb115":
        outbound.append(dict(t=base + S(115 * 60), phone=c["src"], answered=True, hh=c["hh"], why="missed-callback", of=c))
    elif r == "late125":
        outbound.append(dict(t=base + S(125 * 60), phone=c["src"], answered=True, hh=c["hh"], why="missed-callback", of=c))
    elif r == "late150":
        outbound.append(dict(t=base + S(150 * 60), phone=c["src"], answered=True, hh=c["hh"], why="missed-callback", of=c))
    elif r == "cb_noanswer":
        outbound.append(dict(t=base + S(30 * 60), phone=c["src"], answered=False, hh=c["hh"], why="missed-callback", of=c))

# ----------------------------------------------------------------- ledger rows
HEAD = ["序号", "登记时间", "来电时间", "来电/来访", "业主姓名", "联系电话", "楼栋", "单元", "房号", "类别", "事由",
        "是否紧急", "派单部门", "工单号", "状态", "返单时间", "回访时间", "回访结果", "备注"]
rows = []   # dicts with keys; 序号 assigned after sorting by reg time


def led_name(h):
    x = rng.random()
    if x < 0.12:
        return h["name"][0] + h["sex"]
    if x < 0.18 and h["name"][0] in MISSPELL:
        return MISSPELL[h["name"][0]] + h["name"][1:]
    return h["name"]


def led_phone(p):
    x = rng.random()
    if len(p) == 11 and x < 0.06:
        return f"{p[:3]} {p[3:7]} {p[7:]}"
    if len(p) == 11 and x < 0.09:
        return f"{p[:3]}-{p[3:7]}-{p[7:]}"
    if len(p) == 12 and p.startswith("0571"):
        return "0571-" + p[4:]
    return p


def led_addr(b, u, r):
    bs = rng.choice([f"{b}栋", f"{b}栋", f"{b}", f"{b}号楼"])
    us = rng.choice([f"{u}单元", f"{u}", f"{u}"]) if u else ""
    rs = (r + "室" if rng.random() < 0.18 else r) if r else ""
    return bs, us, rs


wo_counter = {}


def work_order(t):
    k = t.strftime("%Y%m%d")
    wo_counter[k] = wo_counter.get(k, 0) + 1
    return f"GD{k}-{wo_counter[k]:03d}"


def minute(t):
    return t.replace(second=0)


def lifecycle(row, cat, reg, c=None):
    """Fill 派单/状态/返单/回访 for a row."""
    if cat in ("报修", "投诉"):
        row["工单号"] = work_order(reg)
        if c is not None and c.get("cbmin") is not None or (c is not None and c.get("fault") == "CALLBACK_OVERDUE"):
            ret = minute(reg + S(rng.randint(30, 80) * 60))
            row["返单时间"] = ret
            m = c.get("cbmin")
            if m is None:
                row["回访时间"] = None
                row["状态"] = "已结案" if c.get("closed_anyway") else rng.choice(["已返单", "返单"])
                row["备注"] = "" if c.get("closed_anyway") else "师傅已处理完"
            else:
                row["回访时间"] = ret + S(m * 60)
                row["回访结果"] = "满意"
                row["状态"] = rng.choice(["已回访", "已结案", "结案", "办结"])
            return
        if reg.day == NDAYS and reg.hour >= 15 or rng.random() < 0.06:
            row["状态"] = rng.choice(["已派单", "处理中", "跟进", "已登记"])
            return
        if reg.hour >= 20 or reg.hour < 7:
            nd = reg.date() + dt.timedelta(days=1) if reg.hour >= 20 else reg.date()
            ret = dt.datetime.combine(nd, dt.time(8, 0)) + S(rng.randint(20, 110) * 60)
        else:
            ret = minute(reg + S(rng.randint(20, 110) * 60))
        if ret.month != MONTH:
            row["状态"] = "处理中"
            return
        row["返单时间"] = ret
        cbm = rng.randint(5, 95)
        row["回访时间"] = ret + S(cbm * 60)
        res = rng.choices(["满意", "基本满意", "不满意"], [80, 15, 5])[0]
        row["回访结果"] = res
        if res == "不满意":
            row["状态"] = "跟进"
            row["备注"] = "业主不满意，重新派单"
        else:
            row["状态"] = rng.choice(["已回访", "已结案", "结案", "办结", "完成"])
    else:
        row["状态"] = rng.choice(["已处理", "完成", "办结", "关闭", "已处理", "已结案"])


def make_row(c, reg, src_kind="来电"):
    h, t = c["hh"], c["tpl"]
    row = {k: "" for k in HEAD}
    row["登记时间"] = reg
    row["来电时间"] = c["start"].strftime("%H:%M")
    row["来电/来访"] = src_kind
    row["业主姓名"] = led_name(h)
    phone = h["phone"] if c["quirk"] in ("anonymous", "nameonly") else c["src"]
    row["联系电话"] = led_phone(phone)
    b, u, r = h["b"], h["u"], h["r"]
    if t["public"]:
        bs, us, rs = led_addr(b, u if "{U}" in " ".join(t["caller"]) else None, None)
    else:
        bs, us, rs = led_addr(b, u, r)
    row["楼栋"], row["单元"], row["房号"] = bs, us, rs
    row["类别"] = t["cat"]
    summ = rng.choice(t["ledger"]).replace("{B}", f"{b}栋").replace("{U}", f"{u}单元")
    row["事由"] = summ
    row["是否紧急"] = "是" if t["urgent"] else rng.choice(["否", "否", ""])
    row["派单部门"] = t["dept"] if t["cat"] in ("报修", "投诉", "求助") else ""
    if c["quirk"] == "landline":
        row["备注"] = "座机来电（底商）"
    if c["quirk"] == "transfer" or c["quirk"] == "transfer_app":
        row["备注"] = "已转工程部8002"
    return row


registered = []
for c in calls:
    if c["kind"] != "answered":
        continue
    lag = c.get("reglag", rng.randint(18, 50))
    reg = c["end"] + S(lag)
    c["reg"] = reg
    if c["fault"] == "UNLOGGED_CALL":
        continue
    row = make_row(c, reg)
    cm = c.get("cm")
    h = c["hh"]
    if cm == "building":
        wrong = h["b"] + rng.choice([-1, 1]) if h["b"] > 1 else 2
        row["楼栋"] = led_addr(wrong, None, None)[0]
        c["why"] = f"caller said building {h['b']}, ledger says {wrong}"
    elif cm == "room":
        r = h["r"]
        wrong = r[:-2] + r[-1] + r[-2] if r[-1] != r[-2] else str(int(r) + 100)
        if wrong == r or wrong[-2:] == "00" or wrong[-2] == "0" and wrong[-1] == "0":
            wrong = str(int(r) + 100)
        row["房号"] = wrong
        c["why"] = f"caller said room {r}, ledger says {wrong}"
    elif cm == "partial":
        wrong = str(int(h["r"]) + 100)
        row["房号"] = wrong
        c["why"] = (f"caller said building {h['b']} room {h['r']} (no unit); ledger has "
                    f"{h['b']}-{h['u']}-{wrong}: room contradicts")
    elif cm == "category":
        row["类别"] = "咨询"
        row["派单部门"] = ""
        c["why"] = f"caller reported a repair ({c['tpl']['key']}), ledger category 咨询"
    elif cm == "urgency":
        row["是否紧急"] = c["urg_val"]
        c["why"] = ("caller reported burst pipe / flooding (urgent), ledger 是否紧急 = "
                    + (c["urg_val"] or "blank"))
    lifecycle(row, row["类别"], reg, c)
    c["row"] = row
    rows.append(row)
    if c["fault"] == "DUPLICATE_ENTRY":
        dup = dict(row)
        if c["dup"] == "near":
            dup["登记时间"] = reg + S(rng.randint(100, 260))
            dup["事由"] = rng.choice(c["tpl"]["ledger"]).replace("{B}", f"{h['b']}栋").replace("{U}", f"{h['u']}单元")
            dup["业主姓名"] = led_name(h)
            if dup["工单号"]:
                dup["工单号"] = work_order(reg)
        dup["_dup_of"] = c
        c["duprow"] = dup
        rows.append(dup)

# missed-call callbacks that turned into a registration (the resident explains the issue on the callback)
cb_reg = [o for o in outbound if o["answered"] and o["of"]["resolution"] == "cb"]
for o in rng.sample(cb_reg, 3):
    c = o["of"]
    fake = dict(hh=c["hh"], tpl=pick_tpl(allow_urgent=False), quirk=None, src=c["src"], start=o["t"])
    o["billsec"] = rng.randint(40, 90)
    o["regd"] = True
    end = o["t"] + S(8 + o["billsec"])
    reg = end + S(rng.randint(20, 45))
    row = make_row(fake, reg)
    row["备注"] = "未接来电回拨，业主反映"
    lifecycle(row, row["类别"], reg)
    o["row"] = row
    rows.append(row)

# walk-ins
for d in range(1, NDAYS + 1):
    for _ in range(rng.randint(2, 4)):
        h = rng.choice(households)
        t = dt.datetime(YEAR, MONTH, d, rng.randint(8, 17), rng.randint(0, 59), rng.randint(0, 59))
        fake = dict(hh=h, tpl=pick_tpl(allow_urgent=False), quirk=None, src=h["phone"], start=t)
        row = make_row(fake, t + S(rng.randint(60, 600)), "来访")
        row["来电时间"] = t.strftime("%H:%M")
        lifecycle(row, row["类别"], row["登记时间"])
        rows.append(row)

def regkey(r):
    t = r["登记时间"]
    if isinstance(t, str):
        dpart, tpart = t.split(" ")
        y, mo, da = map(int, dpart.split("/"))
        hh, mm = map(int, tpart.split(":"))
        return dt.datetime(y, mo, da, hh, mm, 30)
    return t


# orphans: 来电 rows with no call at all that day from that number
called_days = {}
for c in calls:
    called_days.setdefault(c.get("src"), set()).add(c["day"])
for o in outbound:
    called_days.setdefault(o["phone"], set()).add(o["t"].day)
for r in rows:
    called_days.setdefault(r["联系电话"].replace(" ", "").replace("-", ""), set()).update(
        {regkey(r).day, (r.get("回访时间") or regkey(r)).day})
orph = []
for d in rng.sample(range(3, 30), 4):
    while True:
        h = rng.choice(households)
        if not ({d - 1, d, d + 1} & called_days.get(h["phone"], set())):
            break
    t = dt.datetime(YEAR, MONTH, d, rng.randint(9, 17), rng.randint(0, 59), rng.randint(0, 59))
    fake = dict(hh=h, tpl=rng.choice([x for x in T if x["cat"] in ("咨询", "求助", "建议")]), quirk=None,
                src=h["phone"], start=t)
    row = make_row(fake, t + S(rng.randint(60, 110)))
    lifecycle(row, row["类别"], row["登记时间"])
    row["_orphan"] = True
    orph.append(row)
    rows.append(row)

# 回访 outbound calls (the desk phones the resident back after 返单)
for row in rows:
    if row.get("回访时间") and "_dup_of" not in row:
        p = row["联系电话"].replace(" ", "").replace("-", "")
        if p.startswith("0571") or not p:
            continue
        ans = row["回访时间"] + S(rng.randint(0, 40))
        outbound.append(dict(t=ans - S(rng.randint(6, 14)), ans=ans, phone=p, answered=True, why="回访"))

for o in outbound:
    start = o["t"]
    uid = next_uid(start)
    o["uid"] = uid
    if o["answered"]:
        ans = o.get("ans", start + S(rng.randint(5, 14)))
        end = ans + S(o.get("billsec", rng.randint(20, 70)))
        disp = "ANSWERED"
    else:
        ans, end, disp = None, start + S(30), "NO ANSWER"
    cdr.append((end, cdr_row(DESK, o["phone"], "from-internal", f'"前台" <{DESK}>', f"SIP/{DESK}-{next_chan()}",
                             f"SIP/trunk-{next_chan()}", "Dial", f"SIP/trunk/{o['phone']},60,T",
                             start, ans, end, disp, uid)))

# clerical noise: some registration times typed by hand ("2026/3/5 9:31")
for c in rng.sample([c for c in calls if c.get("row") is not None and c["fault"] is None and c["near"] is None
                     and c["quirk"] is None and 15 <= (c["reg"] - c["end"]).total_seconds() <= 40], 8):
    r = c["row"]
    t = r["登记时间"]
    r["登记时间"] = f"{t.year}/{t.month}/{t.day} {t.hour}:{t.minute:02d}"
    c["near"] = "登记时间 hand-typed with minute precision ('2026/3/5 9:31'); true lag 15-40 s"

# number rows
rows.sort(key=regkey)
for i, r in enumerate(rows, 1):
    r["序号"] = i

# ----------------------------------------------------------------- recordings + transcripts
GREET = ["您好 {X}物业 客服中心 请问 有 什么 可以 帮 您", "您好 物业 客服 很 高兴 为 您 服务",
         "你好 {X}物业 前台 请讲", "您好 客服中心 请问 您 需要 什么 帮助"]
ESTATE = "绿城"


def fill(text, c, style):
    h = c["hh"]
    a = say_addr(h, style) if style else ""
    if not a and "{A}" in text:
        text = text.replace("我 是 {A} 的 ", "").replace("我 {A} 的 ", "我家 ").replace("{A} ", "").replace("{A}", "")
    text = text.replace("{A}", a).replace("{B}", say_building(h["b"])).replace("{U}", say_unit(h["u"]))
    return text.replace("{N}", h["name"][0])


def transcript(c, flen):
    t = c["tpl"]
    style = c.get("addr_style")
    if style is None:
        style = rng.choices(["full", "no_unit", None], [72, 10, 18])[0] if not t["public"] else "full"
        c["addr_style"] = style
    h = c["hh"]
    err = 0.12
    lines = [("agent", asr(rng.choice(GREET).replace("{X}", ESTATE), 0.05))]
    ctext = fill(rng.choice(t["caller"]), c, style)
    lines.append(("caller", asr(ctext, err)))
    if t["cat"] in ("报修", "投诉", "求助") and style is None and not t["public"]:
        lines.append(("agent", asr("好的 请问 您 是 几栋 几单元 几号", 0.03)))
        c["addr_style"] = style = "full"
        lines.append(("caller", asr(say_addr(h, "full"), 0)))
    lines.append(("agent", asr(rng.choice(["好的 请问 您 贵姓", "好的 请问 怎么 称呼 您", "好的 麻烦 留 一个 您 的 姓氏"]), 0.03)))
    lines.append(("caller", asr(rng.choice([f"我 姓 {h['name'][0]}", f"姓 {h['name'][0]}", f"{h['name']}"]), 0)))
    if c["quirk"] in ("anonymous", "nameonly") or rng.random() < 0.2:
        lines.append(("agent", asr("方便 留 一个 联系 电话 吗", 0.03)))
        lines.append(("caller", asr(say_phone(h["phone"]), 0)))
    if t["urgent"]:
        lines.append(("agent", asr("好的 您 别 着急 我们 马上 派 人 过去 先 把 总阀 关掉", 0.03)))
    elif t["cat"] == "报修":
        lines.append(("agent", asr("好的 已经 给 您 登记 了 马上 安排 维修 师傅 联系 您", 0.05)))
    elif t["cat"] == "投诉":
        lines.append(("agent", asr("非常 抱歉 给 您 带来 不便 我们 记录 下来 马上 跟进 处理", 0.05)))
    else:
        lines.append(("agent", asr("好的 我 这边 帮 您 记录 一下", 0.05)))
    lines.append(("caller", asr(rng.choice(["好 谢谢", "好的 麻烦 了", "行 那 快点 啊", "嗯 好 的 谢谢 啊"]), 0)))
    # lay out in time over the recording
    n = len(lines)
    weights = [max(2, len(x[1]) / 4.5) for x in lines]
    total = sum(weights)
    scale = (flen - 1.5) / total
    cur = 0.6
    utts = []
    for (spk, text), w in zip(lines, weights):
        dur = w * scale
        st, en = cur, cur + dur * 0.88
        if st >= flen - 0.3:
            break
        en = min(en, flen - 0.2)
        utts.append(dict(speaker=spk, start=round(st, 2), end=round(en, 2), text=text))
        cur += dur
    return utts


def wav_bytes(nsec, r):
    n = nsec * RATE
    block = b"".join(struct.pack("<h", r.randint(-24, 24)) for _ in range(400))
    reps, rem = divmod(n, 400)
    data = block * reps + block[:rem * 2]
    hdr = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE" + b"fmt " + struct.pack(
        "<IHHIIHH", 16, 1, 1, RATE, RATE * 2, 2, 16) + b"data" + struct.pack("<I", len(data))
    return hdr + data


def wav_name(c):
    num = c.get("cdr_src") or "unknown"
    return f"in-{DESK}-{num}-{c['start'].strftime('%Y%m%d-%H%M%S')}-{c['uid']}.wav"


recs = []
trans = []
for c in calls:
    if c["kind"] != "answered" or c["quirk"] == "internal":
        continue
    flen = c.get("filelen", c["billsec"])
    if c["fault"] is None and c["near"] is None and c["quirk"] is None and rng.random() < 0.08:
        flen = c["billsec"] - 1     # MixMonitor starts a moment after answer: not a fault
        c["near"] = "recording 1 s shorter than billsec (MixMonitor start latency): not DURATION_MISMATCH"
    utts = transcript(c, c.get("filelen", c["billsec"]) if c["fault"] == "DURATION_MISMATCH" else flen)
    if c["fault"] == "RECORDING_MISSING":
        continue
    c["flen"] = flen
    recs.append((wav_name(c), flen, random.Random(c["uid"])))
    trans.append(dict(uniqueid=c["uid"], utterances=utts))

# ----------------------------------------------------------------- write
def write_all(with_dir):
    cdr.sort(key=lambda x: (x[0], x[1][16]))
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for _, row in cdr:
        w.writerow(row)
    with open(os.path.join(OUT, "Master.csv"), "w", encoding="utf-8", newline="") as f:
        f.write(buf.getvalue())

    with open(os.path.join(OUT, "transcripts.jsonl"), "w", encoding="utf-8") as f:
        for t in trans:
            f.write(json.dumps(t, ensure_ascii=False) + "\n")

    zpath = os.path.join(OUT, "recordings.zip")
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, flen, r in recs:
            zi = zipfile.ZipInfo("recordings/" + name, date_time=(2026, 4, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            data = wav_bytes(flen, r)
            z.writestr(zi, data, compresslevel=9)
            if with_dir:
                os.makedirs(os.path.join(OUT, "recordings"), exist_ok=True)
                with open(os.path.join(OUT, "recordings", name), "wb") as f:
                    f.write(data)

    def cellval(k, v):
        if isinstance(v, dt.datetime):
            return fmt(v) if k == "登记时间" else v.strftime("%Y-%m-%d %H:%M")
        return "" if v is None else v

    with open(os.path.join(OUT, "台账.csv"), "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(HEAD)
        for r in rows:
            w.writerow([cellval(k, r.get(k, "")) for k in HEAD])

    import openpyxl
    from openpyxl.styles import Alignment, Font
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "3月台账"
    ws.append([f"{ESTATE}物业客服中心 来电来访登记台账（2026年3月）"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEAD))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(HEAD)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for r in rows:
        vals = [r.get(k, "") for k in HEAD]
        vals = [None if v == "" else v for v in vals]
        ws.append(vals)
        rr = ws.max_row
        for j, k in enumerate(HEAD, 1):
            cell = ws.cell(rr, j)
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm:ss" if k == "登记时间" else "yyyy-mm-dd hh:mm"
            elif k in ("联系电话", "房号", "单元", "楼栋", "来电时间") and cell.value is not None:
                cell.value = str(cell.value)
                cell.number_format = "@"
    widths = [6, 20, 8, 8, 10, 15, 7, 7, 8, 6, 36, 8, 11, 16, 8, 17, 17, 8, 22]
    for j, wdt in enumerate(widths, 1):
        ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width = wdt
    ws.freeze_panes = "A3"
    wb.properties.creator = "前台"
    wb.properties.created = dt.datetime(2026, 3, 1, 8, 0, 0)
    wb.properties.modified = dt.datetime(2026, 4, 1, 8, 0, 0)
    xpath = os.path.join(OUT, "台账.xlsx")
    wb.save(xpath)
    _normalise_zip(xpath)

    # truth
    faults = []
    for c in calls:
        if c.get("fault"):
            lr = None
            if c["fault"] == "DUPLICATE_ENTRY":
                lr = c["duprow"]["序号"]
            elif c.get("row") is not None:
                lr = c["row"]["序号"]
            faults.append(dict(kind=c["fault"], uniqueid=c["uid"], ledger_row=lr, why=c["why"]))
    for r in orph:
        faults.append(dict(kind="ORPHAN_ENTRY", uniqueid=None, ledger_row=r["序号"],
                           why=f"来电 row for {r['联系电话']} with no CDR from/to that number within a day"))
    order = ["UNLOGGED_CALL", "ORPHAN_ENTRY", "DUPLICATE_ENTRY", "CONTENT_MISMATCH", "LATE_REGISTRATION",
             "SLOW_ANSWER", "MISSED_NO_CALLBACK", "CALLBACK_OVERDUE", "RECORDING_MISSING", "DURATION_MISMATCH"]
    faults.sort(key=lambda f: (order.index(f["kind"]), f["uniqueid"] or "", f["ledger_row"] or 0))
    counts = {k: sum(1 for f in faults if f["kind"] == k) for k in order}
    clean = [c["uid"] for c in calls if c["kind"] != "internal" and not c.get("fault")]
    near = []
    for c in calls:
        if c.get("near") and not c.get("fault"):
            near.append(dict(uniqueid=c["uid"], ledger_row=(c["row"]["序号"] if c.get("row") else None),
                             why=c["near"]))
    quirks = []
    qwhy = {"transfer": "transferred to 8002: second CDR row (same uniqueid prefix, dst 8002, from-internal); one ledger row, one recording (desk leg)",
            "transfer_app": "transferred: first leg lastapp=Transfer, second leg to 8002 with same uniqueid prefix; one ledger row, one recording",
            "park": "answered then parked (lastapp Park, lastdata 701); billsec includes hold",
            "nameonly": "caller ID is the name only (src empty, clid without <number>); ledger has the number the caller gave",
            "anonymous": "withheld number (src anonymous); ledger has the number the caller gave verbally",
            "landline": "landline caller 057188123456 (shop); ledger writes 0571-88123456",
            "internal": "call from a colleague's extension (from-internal): not a resident call, no recording, no ledger row"}
    for c in calls:
        if c["quirk"]:
            d = dict(uniqueid=c["uid"], quirk=c["quirk"], why=qwhy[c["quirk"]],
                     ledger_row=(c["row"]["序号"] if c.get("row") else None))
            if c.get("uid2"):
                d["second_leg_uniqueid"] = c["uid2"]
            quirks.append(d)
    cbrows = [dict(ledger_row=o["row"]["序号"], outbound_uniqueid=o["uid"],
                   why="row registered from the desk's callback of a missed call (outbound CDR from 8001 behind it): not ORPHAN")
              for o in outbound if o.get("regd")]
    walk = [r["序号"] for r in rows if r["来电/来访"] == "来访"]
    text_time = [r["序号"] for r in rows if isinstance(r["登记时间"], str)]
    truth = dict(
        month="2026-03", timezone="Asia/Shanghai", desk=DESK, did=DID, seed=SEED,
        rules=dict(ring_cadence="1 s on / 4 s off; rings at 0,5,10,15 s; slow if answer-start >= 15 s",
                   register_within_s=60, missed_callback_within_h=2, repair_callback_within_h=2,
                   duration_mismatch="recording far shorter than billsec (faults are <= 40 %; 1 s shortfalls are noise)"),
        counts=counts, total_faults=len(faults), faults=faults,
        clean_calls=clean, near_misses=near, quirks=quirks, callback_registered_rows=cbrows,
        walk_in_rows=walk, hand_typed_time_rows=text_time)
    with open(os.path.join(OUT, "truth.json"), "w", encoding="utf-8") as f:
        json.dump(truth, f, ensure_ascii=False, indent=1)
        f.write("\n")
    return truth


def _normalise_zip(path):
    """Rewrite an xlsx with fixed timestamps so output is byte-identical run to run."""
    with zipfile.ZipFile(path) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items:
            if name == "docProps/core.xml":
                import re
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>2026-04-01T08:00:00Z\g<2>", data)
                data = re.sub(rb"(<dcterms:created[^>]*>)[^<]*(<)", rb"\g<1>2026-03-01T08:00:00Z\g<2>", data)
            zi = zipfile.ZipInfo(name, date_time=(2026, 4, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, data)


def validate():
    """Self-check: the faults are what truth says and the clean calls carry no accidental fault."""
    probs = []
    ans_in = {}   # number -> list of answer times (answered inbound)
    ans_out = {}
    for _, r in cdr:
        if r[14] != "ANSWERED":
            continue
        t = dt.datetime.strptime(r[10], "%Y-%m-%d %H:%M:%S")
        if r[1] == DESK:
            ans_out.setdefault(r[2], []).append(t)
        else:
            ans_in.setdefault(r[1], []).append(t)
    for c in calls:
        f = c.get("fault")
        if c["kind"] == "answered":
            ring = (c["answer"] - c["start"]).total_seconds()
            if (ring >= 15) != (f == "SLOW_ANSWER"):
                probs.append(("ring", c["uid"], ring, f))
            if c.get("row") is not None and not isinstance(c["row"]["登记时间"], str):
                lag = (c["row"]["登记时间"] - c["end"]).total_seconds()
                if (lag > 60) != (f == "LATE_REGISTRATION"):
                    probs.append(("lag", c["uid"], lag, f))
        if c["kind"] in ("missed", "busy"):
            win = lambda ts: any(c["start"] < t <= c["start"] + S(7200) for t in ts)
            ok = win(ans_out.get(c["src"], [])) or win(ans_in.get(c["src"], []))
            if ok == (f == "MISSED_NO_CALLBACK"):
                probs.append(("missed", c["uid"], c["resolution"], f))
    for r in rows:
        if r["类别"] == "报修" and r.get("返单时间"):
            m = ((r["回访时间"] or dt.datetime(2099, 1, 1)) - r["返单时间"]).total_seconds() / 60
            c = r.get("_dup_of")
            is_f = any(x.get("row") is r and x.get("fault") == "CALLBACK_OVERDUE" for x in calls) or \
                (c is not None and c.get("fault") == "CALLBACK_OVERDUE")
            if (m > 120) != is_f:
                probs.append(("cb", r["序号"], m))
    for r in orph:
        p = r["联系电话"].replace(" ", "").replace("-", "")
        t = regkey(r)
        near = [x for x in ans_in.get(p, []) + ans_out.get(p, []) if abs((x - t).total_seconds()) < 86400]
        near += [c["start"] for c in calls if c.get("src") == p and abs((c["start"] - t).total_seconds()) < 86400]
        if near:
            probs.append(("orphan", r["序号"], near))
    return probs


if __name__ == "__main__":
    if "--unpack" in sys.argv:
        dest = sys.argv[sys.argv.index("--unpack") + 1]
        with zipfile.ZipFile(os.path.join(OUT, "recordings.zip")) as z:
            z.extractall(dest)
        print("extracted to", os.path.join(dest, "recordings"))
        sys.exit(0)
    tr = write_all("--with-dir" in sys.argv)
    pr = validate()
    for x in pr:
        print("VALIDATION:", x)
    print(json.dumps(tr["counts"], ensure_ascii=False), "total", tr["total_faults"])
    print("calls", len(calls), "cdr rows", len(cdr), "ledger rows", len(rows), "recordings", len(recs))
