"""A sheet's columns as the exports declare them (models/exports.py): a header in Spanish, what
kind of value the column holds, and its width. files/xlsx.py writes them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    TEXT = "text"
    DATETIME = "datetime"  # a naive local datetime: a real Excel date-time with DATETIME_FORMAT
    DATE = "date"  # a date: a real Excel date with DATE_FORMAT
    INTEGER = "integer"
    LIGHT = "light"  # a text whose cell is filled with the color the text names (files/xlsx.py LIGHT_FILLS)


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = Kind.TEXT
    width: float = 15
