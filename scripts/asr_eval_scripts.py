"""What the callers of the ASR yardstick say (tests/data/asr_eval), written for it alone.

Each recording is a list of parts said with a pause before each (seconds), or for a
two-party call a list of turns. ``expect`` is what a front-desk agent would register
from the call: the address as the ledger writes it (``4-2-301``), the caller's phone
number as digits, the category. Numbers are written as they are said (幺 for 1 in
phone numbers, rooms digit by digit). These texts were written for the yardstick and
are used for no tuning of the product: only the dev split may be looked at while tuning.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Script:
    id: str
    parts: tuple[tuple[float, str], ...]  # (pause before, text); the first pause is the lead-in
    category: str
    address: str | None = None
    phone: str | None = None
    kind: str = "plain"  # plain | digits | tail (a number said last, after a pause)


@dataclass(frozen=True)
class Call:
    id: str
    turns: tuple[tuple[str, float, str], ...]  # (speaker, pause before, text)
    category: str
    address: str | None = None
    phone: str | None = None
    kind: str = "call"
    noise: bool = False  # room noise on the caller's side


def s(id_: str, category: str, *parts, address=None, phone=None, kind="plain") -> Script:
    """Parts are texts (said after a short pause) or (pause_s, text) pairs."""
    ps = tuple(p if isinstance(p, tuple) else (0.3, p) for p in parts)
    return Script(id_, ps, category, address, phone, kind)


# ---- the dev split: tune on these only ------------------------------------------------
DEV: list[Script] = [
    s("dev_window", "报修", "喂，你好，我家阳台的窗户关不上了，风一吹就响",
      "我是七栋三单元八零二的", address="7-3-802"),
    s("dev_parking", "投诉", "我要反映一下，地下车库有辆车天天占我的车位，说了好几次也不挪"),
    s("dev_fee_card", "咨询", "你好，我想问一下，停车月卡怎么办理，要带什么证件"),
    s("dev_dog", "投诉", "小区里有人遛狗不牵绳，今天早上差点把我家小孩吓哭了，你们管一管"),
    s("dev_tap", "报修", "我家厨房的水龙头拧不紧，一直滴水", "地址是二栋一单元四零三",
      "电话幺三七，幺二六八，八四五五", address="2-1-403", phone="13712688455", kind="digits"),
    s("dev_old_lady", "求助", "我妈妈一个人在家，腿脚不方便，电话一直打不通",
      "能不能麻烦你们上去看一眼，五栋二单元六零一", address="5-2-601"),
    s("dev_tail_phone", "报修", "客厅的灯一开就跳闸，我是三栋一单元五零二",
      (2.0, "哦对了，我电话是幺五零，二二三三，四四五五"),
      address="3-1-502", phone="15022334455", kind="tail"),
    s("dev_digits_one", "咨询", "我想查一下我家的水费，房号是十一栋二单元幺零零二",
      "手机号码是、幺、八、六、零、二、五、五、五、五、三、七", address="11-2-1002",
      phone="18602555537", kind="digits"),
    s("dev_suggest_bike", "建议", "我建议在三号楼旁边多装几个电动车充电桩，现在晚上都抢不到"),
    s("dev_elevator_noise", "投诉", "九栋一单元的电梯运行起来声音特别大，晚上睡不着觉",
      "我住一零零一", address="9-1-1001"),
    s("dev_tail_room", "求助", "我出门忘带钥匙了，能不能请开锁师傅过来",
      (2.5, "地址是六栋二单元二零零三"), address="6-2-2003", kind="tail"),
    s("dev_garbage", "投诉", "垃圾桶好几天没清了，味道很大，苍蝇到处飞，就在八栋楼下"),
    s("dev_gas_smell", "求助", "楼道里有一股煤气味，我有点害怕，你们能派人来看看吗",
      "我是十栋一单元三零二的", address="10-1-302"),
    s("dev_tail_both", "报修", "暖气片不热了，整个屋子都很冷",
      (2.0, "我家是四栋三单元七零一"), (1.8, "电话幺三三，零零九九，八八七六"),
      address="4-3-701", phone="13300998876", kind="tail"),
    s("dev_repeat_digits", "咨询", "我上个月交的物业费没有收据，我是二栋二单元二零二",
      "你们核对一下，我手机是幺三九，九九九九，零零零零", address="2-2-202",
      phone="13999990000", kind="digits"),
    s("dev_praise", "建议", "你们的保安小王态度特别好，我建议表扬一下，也希望大家向他学习"),
    s("dev_ceiling", "报修", "卫生间天花板往下滴水，应该是楼上漏的",
      "我家是一栋四单元幺幺零二，电话幺八九，五六七八，一二三四", address="1-4-1102",
      phone="18956781234", kind="digits"),
    s("dev_power_cut", "咨询", "请问今天下午是不是停电，什么时候能来电"),
]

# ---- the test split: frozen, never looked at while tuning -----------------------------
TEST: list[Script] = [
    s("t_drain", "报修", "你好，厨房下水道又堵了，水都漫出来了", "我是五栋一单元三零四的",
      address="5-1-304"),
    s("t_neighbour_music", "投诉", "隔壁每天晚上放音乐到十二点，声音特别大，我想投诉一下",
      "我住三栋二单元五零一", address="3-2-501"),
    s("t_property_fee", "咨询", "物业费是按季度交还是按年交，有没有优惠"),
    s("t_door_lock", "报修", "单元门的门禁坏了，刷卡打不开，外面的人随便就能进来",
      "就是八栋二单元", ),
    s("t_trapped_lift", "求助", "救命，我被关在电梯里了，电梯停在半中间不动了",
      "我在四栋一单元的电梯里"),
    s("t_suggest_light", "建议", "小区东门那条路晚上太黑了，建议多装几盏路灯"),
    s("t_leak_phone_groups", "报修", "我家主卧的墙面渗水，墙皮都掉了", "地址是六栋一单元九零二",
      "电话是幺三八，六六七七，二二零一", address="6-1-902", phone="13866772201",
      kind="digits"),
    s("t_tail_phone_pause", "报修", "马桶一直在流水，关不住，我是二栋三单元六零三的",
      (2.5, "电话是幺五九，零三四五，六七八九"), address="2-3-603", phone="15903456789",
      kind="tail"),
    s("t_digits_one_by_one", "咨询", "你好，我要开一张物业费发票",
      "手机、幺、三、五、零、零、七、七、八、八、六、六", "房号十二栋一单元幺零零二",
      address="12-1-1002", phone="13500778866", kind="digits"),
    s("t_tail_room_pause", "报修", "楼上往我家阳台扔烟头，已经好几次了，差点烧着衣服",
      (2.2, "我是九栋二单元二零零三"), address="9-2-2003", kind="tail"),
    s("t_smell_garbage", "投诉", "楼下的垃圾站太臭了，夏天根本不敢开窗户"),
    s("t_fee_wrong", "咨询", "我这个月的电费怎么比上个月多了一倍，能帮我查一下吗",
      "我是七栋一单元四零二", address="7-1-402"),
    s("t_five_fives", "报修", "空调外机的支架松了，摇摇晃晃的，怕掉下去砸到人",
      "我家三栋三单元三零三", "电话是幺三六，五五五五，幺二三四", address="3-3-303",
      phone="13655551234", kind="digits"),
    s("t_kid_lost", "求助", "我家孩子找不到了，六岁，穿红色衣服，你们能不能帮忙看一下监控"),
    s("t_tail_both", "报修", "燃气热水器打不着火，洗不了澡",
      (2.0, "我是一栋二单元一零零二"), (2.0, "电话幺八二，四四六六，零零七七"),
      address="1-2-1002", phone="18244660077", kind="tail"),
    s("t_suggest_gym", "建议", "我建议会所的健身房周末延长开放时间，晚上九点关门太早了"),
    s("t_water_pressure", "报修", "这两天家里水压特别小，热水器都打不着", "我住十栋三单元幺二零一",
      address="10-3-1201"),
    s("t_renovation", "投诉", "楼上装修中午也在打钻，我们家老人没法休息", "我是四栋四单元八零四的",
      address="4-4-804"),
    s("t_parcel", "咨询", "请问快递柜的取件码过期了怎么办"),
    s("t_zero_dong", "报修", "门口的感应灯不亮了，我家是五栋二单元五零零",
      "电话幺三零，零零八八，零零六六", address="5-2-500", phone="13000880066", kind="digits"),
    s("t_tail_phone_only", "求助", "我在小区门口摔倒了，腿动不了，能不能派个人来扶我一下",
      (2.5, "我电话是幺七七，三三二二，幺幺零零"), phone="17733221100", kind="tail"),
    s("t_leak_ceiling", "报修", "卧室的天花板在漏水，应该是楼上水管坏了", "我家是八栋一单元六零二",
      address="8-1-602"),
    s("t_dog_bark", "投诉", "对门家的狗一叫就是一整天，我们在家根本没法工作"),
    s("t_water_bill", "咨询", "我想问一下，水费是在物业交还是去自来水公司交"),
    s("t_mixed_digits", "报修", "我家的门锁坏了，房号是十一栋一单元三零零三",
      "手机幺八八，八八八八，二二二二", address="11-1-3003", phone="18888882222",
      kind="digits"),
    s("t_suggest_bins", "建议", "建议每栋楼下都放一个旧衣服回收箱，很多人都有需要"),
]

# two-party calls, about one to two minutes: the agent greets, asks, reads back
CALLS_DEV: list[Call] = [
    Call("dev_call_leak", (
        ("agent", 0.5, "您好，物业客服中心，请问有什么可以帮您"),
        ("caller", 0.6, "你好，我家洗手间的水管漏水了，地上全是水"),
        ("agent", 0.5, "好的，请问您家的地址是哪里"),
        ("caller", 0.7, "七栋二单元五零三"),
        ("agent", 0.5, "七栋二单元五零三，请问漏得厉害吗，需要先关总阀吗"),
        ("caller", 0.6, "挺厉害的，总阀在哪里我也不知道"),
        ("agent", 0.5, "总阀一般在厨房水槽下面，您先顺时针拧紧，师傅马上过去"),
        ("caller", 0.8, "好的，我去看看"),
        ("agent", 0.5, "请问您怎么称呼，留个电话给师傅"),
        ("caller", 0.6, "我姓陈，电话是幺三九，八八七七，六六五五"),
        ("agent", 0.5, "陈女士，幺三九八八七七六六五五，对吗"),
        ("caller", 0.5, "对的"),
        ("agent", 0.5, "好的，维修师傅十分钟内到，请您保持电话畅通"),
        ("caller", 1.5, "还有，师傅来了直接上楼就行"),
    ), "报修", address="7-2-503", phone="13988776655"),
    Call("dev_call_complaint", (
        ("agent", 0.5, "您好，这里是物业服务中心"),
        ("caller", 0.6, "我要投诉你们的保洁，楼道已经一个星期没拖了"),
        ("agent", 0.5, "非常抱歉，请问是哪一栋哪个单元"),
        ("caller", 0.6, "三栋一单元，从一楼到六楼都很脏"),
        ("agent", 0.5, "好的，我马上通知保洁主管，今天之内给您打扫干净"),
        ("caller", 0.6, "以后能不能按时打扫，我们物业费一分没少交"),
        ("agent", 0.5, "您的意见我们记下了，会加强检查，请问怎么联系您"),
        ("caller", 0.8, "我电话幺五二，零零三三，四四九九"),
        ("agent", 0.5, "好的，处理好以后给您回电话"),
    ), "投诉", phone="15200334499"),
]

CALLS_TEST: list[Call] = [
    Call("t_call_pipe", (
        ("agent", 0.5, "您好，物业客服，请讲"),
        ("caller", 0.6, "你好，我家厨房的水管爆了，水喷得到处都是"),
        ("agent", 0.5, "请您先把厨房水槽下面的阀门关上，您家在几栋几单元"),
        ("caller", 0.7, "十二栋一单元，幺五零二"),
        ("agent", 0.5, "十二栋一单元幺五零二，对吗"),
        ("caller", 0.5, "对，快点来人"),
        ("agent", 0.5, "好的，师傅马上出发，请问您贵姓"),
        ("caller", 0.6, "我姓刘"),
        ("agent", 0.5, "刘先生，麻烦留一个电话"),
        ("caller", 0.6, "幺三八，零零幺二，三四五六"),
        ("agent", 0.5, "幺三八零零幺二三四五六，师傅五分钟左右到"),
        ("caller", 0.5, "好，谢谢"),
        ("agent", 0.5, "不客气，有问题随时打过来"),
        ("caller", 1.6, "对了，楼下可能也被淹了"),
        ("agent", 0.5, "好的，我们顺便去楼下看看"),
    ), "报修", address="12-1-1502", phone="13800123456"),
    Call("t_call_noise", (
        ("agent", 0.5, "您好，物业服务中心，请问有什么事"),
        ("caller", 0.6, "我要投诉楼上，每天半夜拖椅子，吵得我们一家都睡不着"),
        ("agent", 0.5, "明白，请问您家的地址"),
        ("caller", 0.7, "我是六栋三单元四零二，楼上是五零二"),
        ("agent", 0.5, "好的，六栋三单元四零二，我们今天会上门和五零二沟通"),
        ("caller", 0.6, "已经说过好几次了，一点用都没有"),
        ("agent", 0.5, "理解您，这次我们安排管家当面协调，并做书面记录"),
        ("caller", 0.6, "那你们处理完告诉我一声"),
        ("agent", 0.5, "好的，请问您的联系电话"),
        ("caller", 0.8, "幺八六，幺幺二二，三三四四"),
        ("agent", 0.5, "收到，明天中午之前给您回复"),
    ), "投诉", address="6-3-402", phone="18611223344", noise=True),
    Call("t_call_inquiry", (
        ("agent", 0.5, "您好，客服中心"),
        ("caller", 0.6, "你好，我刚买了你们小区的房子，想问一下入住要办什么手续"),
        ("agent", 0.5, "您需要带房产证和身份证到物业办公室办理入住登记"),
        ("caller", 0.6, "要交什么费用吗"),
        ("agent", 0.5, "要预交一年的物业费，还有装修押金"),
        ("caller", 0.6, "物业费多少钱一平米"),
        ("agent", 0.5, "住宅是每平米两块五一个月"),
        ("caller", 0.6, "好的，我是二栋一单元九零一的，我周末过来办"),
        ("agent", 0.5, "好的，周末上午九点到下午五点都有人"),
    ), "咨询", address="2-1-901"),
    Call("t_call_help_tail", (
        ("agent", 0.5, "您好，物业客服中心，请问有什么可以帮您"),
        ("caller", 0.6, "你好，我家老人在卫生间摔倒了，我一个人扶不起来"),
        ("agent", 0.5, "别着急，我马上叫保安过去帮忙，您家在哪里"),
        ("caller", 0.6, "八栋二单元七零三"),
        ("agent", 0.5, "八栋二单元七零三，需要帮您叫救护车吗"),
        ("caller", 0.6, "先不用，人还清醒，就是起不来"),
        ("agent", 0.5, "好的，保安两分钟就到，留一个您的电话"),
        ("caller", 2.2, "幺三幺，四四五五，六六七七"),
    ), "求助", address="8-2-703", phone="13144556677"),
]

# a second talker in the room for the noisy condition (not in any reference)
BACKGROUND = (
    "今天菜市场的西红柿又涨价了，你说这日子怎么过",
    "一会儿记得去接孩子放学，别忘了带伞",
    "电视声音开小一点，我在打电话呢",
)
