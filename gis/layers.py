"""Schemas of the layers wangge imports: canonical field names, types and aliases.

A user's file names its columns in many ways (``户数``, ``住户数``, ``hh``…). Each
canonical field lists the aliases it accepts; matching ignores case, surrounding blanks,
and the difference between ``-``, ``_`` and spaces. An explicit mapping given by the user
(``--field households=某列``) wins over every alias.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

GeometryKind = Literal["polygon", "point"]
FieldType = Literal["str", "int", "float"]


@dataclass(frozen=True)
class FieldSpec:
    """One canonical field of a layer.

    Parameters
    ----------
    name : str
        Canonical column name, as stored in the database.
    type : {"str", "int", "float"}
        Value type after import.
    aliases : tuple of str
        Column names accepted for this field, besides ``name`` itself.
    required : bool
        Whether the import fails when no column matches.
    description : str
        What the field holds, shown in error messages.
    """

    name: str
    type: FieldType
    aliases: tuple[str, ...] = ()
    required: bool = False
    description: str = ""

    def accepted(self) -> tuple[str, ...]:
        """Every column name that matches this field, canonical name first."""
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class LayerSchema:
    """The canonical form of one importable layer.

    Parameters
    ----------
    name : str
        Layer name as used on the command line (``streets``, ``buildings``…).
    title : str
        Chinese title, for reports.
    geometry : {"polygon", "point"}
        Kind of geometry the layer holds.
    fields : tuple of FieldSpec
        Attribute fields.
    """

    name: str
    title: str
    geometry: GeometryKind
    fields: tuple[FieldSpec, ...] = field(default_factory=tuple)

    def field(self, name: str) -> FieldSpec:
        """Return the field named ``name``.

        Raises
        ------
        KeyError
            If the layer has no such field.
        """
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        """Canonical names of all fields, in order."""
        return tuple(f.name for f in self.fields)


_SOURCE_ID = FieldSpec(
    "source_id",
    "str",
    ("id", "osm_id", "fid", "objectid", "object_id", "编号", "要素编号", "唯一标识"),
    description="the feature's id in the source data; re-imports update by it",
)
_NAME = ("名称", "name", "mc")
_COMMUNITY_CODE = FieldSpec(
    "community_code",
    "str",
    ("社区编码", "社区代码", "社区区划代码", "所属社区编码", "comm_code", "community"),
    description="12-digit statistical division code of the community (社区)",
)

STREETS = LayerSchema(
    "streets",
    "街道",
    "polygon",
    (
        FieldSpec(
            "code",
            "str",
            ("街道编码", "街道代码", "区划代码", "编码", "代码", "street_code"),
            required=True,
            description="9-digit code of the street (街道): county + township part",
        ),
        FieldSpec("name", "str", ("街道名称", *_NAME), required=True, description="street name"),
        _SOURCE_ID,
    ),
)

COMMUNITIES = LayerSchema(
    "communities",
    "社区",
    "polygon",
    (
        FieldSpec(
            "code",
            "str",
            (
                "社区编码",
                "社区代码",
                "区划代码",
                "统计用区划代码",
                "编码",
                "代码",
                "community_code",
            ),
            required=True,
            description="12-digit statistical division code (统计用区划代码) of the community",
        ),
        FieldSpec("name", "str", ("社区名称", "居委会", *_NAME), required=True, description="name"),
        FieldSpec(
            "street_code",
            "str",
            ("街道编码", "街道代码", "所属街道编码"),
            description="9-digit code of its street; derived from the community code if absent",
        ),
        FieldSpec("street_name", "str", ("街道名称", "所属街道", "street"), description="street"),
        _SOURCE_ID,
    ),
)

COMPOUNDS = LayerSchema(
    "compounds",
    "小区/楼院",
    "polygon",
    (
        FieldSpec("name", "str", ("小区名称", "楼院名称", *_NAME), description="compound name"),
        _COMMUNITY_CODE,
        _SOURCE_ID,
    ),
)

BUILDINGS = LayerSchema(
    "buildings",
    "建筑",
    "polygon",
    (
        FieldSpec(
            "name", "str", ("楼号", "楼栋号", "楼栋名称", "建筑名称", *_NAME), description="楼号"
        ),
        FieldSpec(
            "address", "str", ("地址", "门牌地址", "addr", "addr_full"), description="address"
        ),
        FieldSpec(
            "use",
            "str",
            ("用途", "建筑用途", "使用性质", "房屋用途", "building", "type"),
            description="residential or not (住宅/非住宅)",
        ),
        FieldSpec(
            "floors",
            "int",
            (
                "层数",
                "楼层数",
                "地上层数",
                "总层数",
                "building_levels",
                "levels",
                "building:levels",
            ),
            description="number of floors above ground",
        ),
        FieldSpec(
            "height_m", "float", ("高度", "建筑高度", "height"), description="height in metres"
        ),
        FieldSpec(
            "households",
            "int",
            ("户数", "住户数", "总户数", "hh", "households_count", "dwellings"),
            description="number of households (户)",
        ),
        FieldSpec(
            "compound",
            "str",
            ("小区", "所属小区", "小区名称", "小区编号", "compound_id", "compound_name"),
            description="the compound (小区) it belongs to, by source id or name",
        ),
        _COMMUNITY_CODE,
        _SOURCE_ID,
    ),
)

FACILITIES = LayerSchema(
    "facilities",
    "部件/设施",
    "point",
    (
        FieldSpec(
            "class_code",
            "str",
            ("类别代码", "部件类别代码", "小类代码", "分类代码", "class", "type_code"),
            description="4-digit class code: 2-digit major + 2-digit minor class (e.g. 0101)",
        ),
        FieldSpec(
            "class_name",
            "str",
            ("类别", "部件类别", "小类名称", "部件名称", "类型", "type"),
            description="class name, used when no class code is given (e.g. 路灯)",
        ),
        FieldSpec("name", "str", _NAME, description="name"),
        FieldSpec(
            "code",
            "str",
            ("部件编码", "部件标识码", "标识码", "component_code"),
            description="16-digit component code: county + class + serial",
        ),
        FieldSpec(
            "status", "str", ("状态", "部件状态", "condition"), description="完好/损坏/丢失/移除"
        ),
        _COMMUNITY_CODE,
        _SOURCE_ID,
    ),
)

INCIDENTS = LayerSchema(
    "incidents",
    "事件/矛盾纠纷",
    "point",
    (
        FieldSpec(
            "class_code",
            "str",
            ("事件类别代码", "小类代码", "类别代码", "事件小类代码", "分类代码", "class"),
            description="4-digit subclass code of the incident classification (e.g. 0102)",
        ),
        FieldSpec(
            "category",
            "str",
            ("类别", "事件类别", "事件类型", "类型", "事件分类", "category", "type", "offense"),
            description="a foreign category, turned into a class code by the category map",
        ),
        FieldSpec(
            "description",
            "str",
            ("描述", "事件描述", "问题描述", "内容", "descript", "desc", "details"),
            description="what was reported",
        ),
        FieldSpec(
            "reported_at",
            "str",
            (
                "上报时间",
                "发生时间",
                "报告时间",
                "受理时间",
                "日期",
                "datetime",
                "date",
                "reported",
                "timestamp",
            ),
            required=True,
            description="date, or date and time, of the report (local time unless an offset "
            "is given)",
        ),  # fmt: skip
        FieldSpec(
            "reported_time",
            "str",
            ("时间", "上报时刻", "time", "time_of_day"),
            description="time of day (16:00) when the date is in a column of its own",
        ),
        FieldSpec(
            "source",
            "str",
            ("来源", "事件来源", "上报渠道", "渠道", "channel"),
            description="patrol/resident/hotline/other (网格员巡查/居民上报/12345热线/其他渠道)",
        ),
        FieldSpec(
            "reporter_name",
            "str",
            ("上报人", "报告人", "反映人", "联系人", "reporter", "name"),
            description="the reporter's name (personal data)",
        ),
        FieldSpec(
            "reporter_phone",
            "str",
            ("联系电话", "电话", "手机", "手机号", "phone", "tel", "mobile"),
            description="the reporter's phone (personal data)",
        ),
        FieldSpec(
            "parties",
            "str",
            ("当事人", "涉及人员", "纠纷当事人", "parties"),
            description="the parties of a dispute (personal data)",
        ),
        FieldSpec(
            "source_id",
            "str",
            (
                "编号",
                "事件编号",
                "案件编号",
                "工单号",
                "id",
                "incident_id",
                "incidntnum",
                "case_id",
                "fid",
                "objectid",
            ),
            description="the incident's id in the source data; re-imports update by it",
        ),  # fmt: skip
    ),
)

LAYERS: dict[str, LayerSchema] = {
    s.name: s for s in (STREETS, COMMUNITIES, COMPOUNDS, BUILDINGS, FACILITIES, INCIDENTS)
}


def layer_schema(name: str) -> LayerSchema:
    """Return the schema of layer ``name``.

    Raises
    ------
    gis.errors.InputError
        If ``name`` is not a known layer; the message lists the known ones.
    """
    from gis.errors import InputError

    try:
        return LAYERS[name]
    except KeyError:
        raise InputError(
            f"unknown layer {name!r}", fix=f"use one of: {', '.join(LAYERS)}"
        ) from None
