"""Default classification of facilities (部件) and service points.

Codes follow the layout of Chinese digital city management (CJ/T 214 as cities apply it):
a 2-digit major class and a 2-digit minor class, so ``0101`` is public facilities /
water-supply manhole cover. Local handbooks differ in the minor numbers; this table is the
default a deployment starts from, and it may add classes of its own (the ``facility_class``
table in the database is the one in force).

Convenience service points (community service station, health station, police room) are
points of interest rather than components; they get their own major class ``90``, outside
the CJ/T 214 range, so that they never collide with a city's component codes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FacilityClass:
    """One class of facility.

    Parameters
    ----------
    code : str
        4-digit class code, major + minor (``"0101"``).
    name : str
        Chinese name (``"上水井盖"``).
    name_en : str
        English name, for logs and the API.
    """

    code: str
    name: str
    name_en: str

    @property
    def major(self) -> str:
        """The 2-digit major class."""
        return self.code[:2]


MAJOR_CLASSES: dict[str, str] = {
    "01": "公用设施",
    "02": "道路交通",
    "03": "市容环境",
    "04": "园林绿化",
    "05": "房屋土地",
    "06": "其他设施",
    "90": "便民服务点",
}

DEFAULT_CLASSES: tuple[FacilityClass, ...] = (
    FacilityClass("0101", "上水井盖", "water-supply manhole cover"),
    FacilityClass("0102", "污水井盖", "sewage manhole cover"),
    FacilityClass("0103", "雨水井盖", "storm-water manhole cover"),
    FacilityClass("0105", "电力井盖", "power manhole cover"),
    FacilityClass("0107", "通信井盖", "telecom manhole cover"),
    FacilityClass("0110", "热力井盖", "heating manhole cover"),
    FacilityClass("0111", "燃气井盖", "gas manhole cover"),
    FacilityClass("0115", "消火栓", "fire hydrant"),
    FacilityClass("0116", "电线杆", "utility pole"),
    FacilityClass("0117", "路灯", "street lamp"),
    FacilityClass("0118", "变压器", "transformer"),
    FacilityClass("0119", "监控电子眼", "surveillance camera"),
    FacilityClass("0120", "配电箱", "switch box"),
    FacilityClass("0121", "公用电话亭", "telephone booth"),
    FacilityClass("0122", "报刊亭", "newsstand"),
    FacilityClass("0123", "邮筒", "mailbox"),
    FacilityClass("0201", "公交站亭", "bus shelter"),
    FacilityClass("0202", "停车场", "car park"),
    FacilityClass("0301", "公共厕所", "public toilet"),
    FacilityClass("0304", "垃圾箱", "trash bin"),
    FacilityClass("0305", "垃圾收集点", "waste collection point"),
    FacilityClass("0401", "古树名木", "heritage tree"),
    FacilityClass("0402", "街头绿地", "pocket green space"),
    FacilityClass("0601", "其他设施", "other facility"),
    FacilityClass("9001", "社区服务站/居委会", "community service station / committee office"),
    FacilityClass("9002", "社区卫生服务站", "community health station"),
    FacilityClass("9003", "警务室", "police room"),
    FacilityClass("9004", "医院", "hospital"),
    FacilityClass("9005", "学校", "school"),
    FacilityClass("9006", "便民服务点", "other convenience service point"),
)

FACILITY_STATUSES: dict[str, str] = {
    "intact": "完好",
    "damaged": "损坏",
    "lost": "丢失",
    "removed": "移除",
}
