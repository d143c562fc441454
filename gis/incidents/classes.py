"""The default two-level classification of incidents and disputes, with handling deadlines.

Events follow the major classes of Chinese digital city management (市容环境, 宣传广告,
施工管理, 街面秩序, 突发事件, plus facility damage and others); disputes the kinds a
community mediates (邻里, 婚姻家庭, 物业, 劳资, 征地拆迁, 消费, others). A code is a
2-digit major class followed by a 2-digit subclass; events use majors 01–49, disputes 51–99,
so a code alone says which kind it is. Deadlines are in hours from dispatch (派遣), as local
handbooks set them (e.g. illegal construction and exposed rubbish within 4 hours); a
deployment changes them or adds classes in the ``incident_class`` table.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Report sources: grid worker patrol, resident, the 12345 hotline, another channel.
SOURCES = {
    "patrol": "网格员巡查",
    "resident": "居民上报",
    "hotline": "12345热线",
    "other": "其他渠道",
}


@dataclass(frozen=True)
class IncidentClass:
    """One class of incident or dispute.

    Parameters
    ----------
    code : str
        2 digits for a major class, 4 for a subclass (``"0102"``).
    name : str
        Chinese name (``"暴露垃圾"``).
    deadline_hours : float or None
        Hours allowed from dispatch to handling; ``None`` for a major class (its
        subclasses carry the deadline).
    """

    code: str
    name: str
    deadline_hours: float | None = None

    @property
    def kind(self) -> str:
        """``"event"`` (事件) or ``"dispute"`` (矛盾纠纷), from the major code."""
        return kind_of(self.code)

    @property
    def parent(self) -> str | None:
        """The major class of a subclass; ``None`` for a major class."""
        return self.code[:2] if len(self.code) == 4 else None


def kind_of(code: str) -> str:
    """``"event"`` for majors 01–49, ``"dispute"`` for 51–99."""
    return "dispute" if int(code[:2]) > 50 else "event"


def _classes() -> tuple[IncidentClass, ...]:
    table = [
        ("01", "市容环境", [("01", "私搭乱建", 4), ("02", "暴露垃圾", 4), ("03", "建筑垃圾", 24),
                          ("04", "道路不洁", 24), ("05", "绿化损毁", 120)]),
        ("02", "宣传广告", [("01", "违规小广告", 24), ("02", "违规户外广告", 72)]),
        ("03", "施工管理", [("01", "施工噪音", 8), ("02", "施工扬尘", 8), ("03", "占道施工", 8)]),
        ("04", "街面秩序", [("01", "无照经营游商", 4), ("02", "占道经营", 4), ("03", "店外揽客", 8),
                          ("04", "消防通道堵塞", 4)]),
        ("05", "突发事件", [("01", "水管爆裂", 2), ("02", "道路塌陷", 2), ("03", "燃气泄漏", 1)]),
        ("06", "设施损坏", [("01", "路灯损坏", 48), ("02", "井盖缺失", 2), ("03", "井盖破损", 24)]),
        ("09", "其他事件", [("01", "其他事件", 72)]),
        ("51", "邻里纠纷", [("01", "邻里纠纷", 168)]),
        ("52", "婚姻家庭纠纷", [("01", "婚姻家庭纠纷", 168)]),
        ("53", "物业纠纷", [("01", "物业纠纷", 168)]),
        ("54", "劳资纠纷", [("01", "劳资纠纷", 168)]),
        ("55", "征地拆迁纠纷", [("01", "征地拆迁纠纷", 336)]),
        ("56", "消费纠纷", [("01", "消费纠纷", 168)]),
        ("59", "其他纠纷", [("01", "其他纠纷", 168)]),
    ]  # fmt: skip
    out: list[IncidentClass] = []
    for major, name, subs in table:
        out.append(IncidentClass(major, name))
        out.extend(IncidentClass(major + minor, sub, float(hours)) for minor, sub, hours in subs)
    return tuple(out)


#: Every default class, majors before their subclasses.
DEFAULT_CLASSES: tuple[IncidentClass, ...] = _classes()
