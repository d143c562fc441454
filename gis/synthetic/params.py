"""Parameters of the synthetic city: sizes, distances, building kinds and names."""

import numpy as np

METRIC_CRS = "EPSG:4547"
CENTRE_LONLAT = (114.3, 30.6)
SIZES = {"tiny": 2, "district": 30, "city": 290}  # communities
# Wuhan's districts (GB/T 2260): 武昌, 江岸, 江汉, 硚口, 汉阳, 青山, 洪山, 东西湖…
COUNTIES = (
    "420106 420102 420103 420104 420105 420107 420111 420112 420113 420114 420115 420116 420117"
).split()
PANEL = (4, 3)  # superblocks per street: columns, rows
PAIR_SHARE = 0.3  # share of communities made of two superblocks
SUPERBLOCK_M = (520.0, 760.0)
MAIN_HALF_M, LOCAL_HALF_M = 15.0, 6.0  # half widths of the roads
WALL_M, MARGIN_M, GAP_M = 2.0, 5.0, 8.0  # wall to road, building to wall, between buildings
MIN_HOUSEHOLDS, MAX_HOUSEHOLDS = 1500, 6000  # per community, guaranteed
TARGET_SINGLE, TARGET_PAIR = (1800, 4000), (3800, 5600)  # households wanted per community
CAPACITY_BAND = (1.2, 1.5)  # room for households in a community, × its target
THREE_CELLS_M = (620.0, 720.0)  # a superblock side longer than this gets 3 cells, else 2

# Building kinds: walk-up, mid-rise, high-rise, then service buildings inside compounds.
WALKUP, MIDRISE, HIGHRISE, SERVICE = range(4)
FLOORS = np.array([[5, 7], [9, 12], [18, 33], [2, 4]])
HOUSEHOLDS = np.array([[12, 36], [40, 90], [100, 200], [0, 0]])
DEPTH_M = np.array([[10.0, 12.5], [12.0, 16.0], [16.0, 26.0], [12.0, 20.0]])
DWELLING_M2 = (85.0, 125.0)  # gross floor area of one dwelling
# Compound styles: slot pitch (x, y) in metres, and the mix of walk-up, mid-rise, high-rise.
STYLE_PITCH = np.array([[64.0, 30.0], [70.0, 42.0], [56.0, 60.0]])
STYLE_MIX = np.array([[0.88, 0.12, 0.0], [0.45, 0.40, 0.15], [0.0, 0.30, 0.70]])
STYLE_START = (0.62, 0.26, 0.12)
P_SERVICE, P_EMPTY = 0.05, 0.06  # of compound slots: shops or kindergarten; green space
SERVICE_USES = ("commercial", "kindergarten")
# Cells between local roads: compound, open block (no compound), non-residential plot.
COMPOUND, OPEN, PLOT = range(3)
CELL_KINDS = (0.74, 0.10, 0.16)
PLOT_PITCH = (85.0, 55.0)
PLOT_USES = ("school", "commercial", "office", "hospital")
PLOT_USE_P = (0.35, 0.35, 0.2, 0.1)
PLOT_FLOORS = np.array([[3, 5], [2, 8], [8, 25], [5, 15]])
PLOT_LABELS = ("小学", "商业楼", "办公楼", "医院")

ROAD_WORDS = (
    "中山 解放 建设 和平 友谊 民主 胜利 光明 复兴 长江 汉江 黄鹤 珞珈 东湖 南湖 沙湖 楚河 武珞 "
    "雄楚 中南 中北 徐东 团结 青年 江汉 首义 紫阳 积玉 三阳 车站 花桥 临江 滨江 晴川 鹦鹉 梅苑 "
    "杨园 友爱 新华 白沙"
).split()
PLACE_WORDS = (
    "幸福 阳光 锦绣 翠园 金色 丽都 华庭 桂花 紫荆 银杏 枫林 碧水 新华 永安 康居 和美 怡景 春晖 "
    "海棠 芳草 水岸 文昌 宝通 卓刀 粮道 昙华 石洞 静安 福星 瑞祥 惠民 兴隆 丰收 育才 书城 "
    "东亭 晒湖 傅家 徐家 南湖"
).split()
PLACE_ENDINGS = ("", "新村", "花园", "里", "苑", "坊", "湾", "桥", "门", "路")
COMPOUND_ENDINGS = ("小区", "花园", "家园", "新村", "苑", "公寓", "雅居", "名城")
CN_NUMBERS = "一二三四五六七八九十"
