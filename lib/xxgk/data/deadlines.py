"""When a body's report on a year is due (条例第四十九条), for rule P1 and for a region's coverage alike.

Both the check of one report (P1, in :mod:`xxgk.check.publishing`) and a government counting who
reported on time (:mod:`xxgk.data.regions`) must agree on which bodies publish a government's report
and on the day each is due, so the rule lives here, in the layer both may read. A region may set
earlier local days (怀化: 市直 bodies by 28 January); the statutory days are the latest allowed.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

_GOVERNMENT_OFFICES = ("人民政府办公室", "人民政府办公厅")
_GOVERNMENT = "人民政府"
_MONTH_DAY = re.compile(r"(\d{1,2})-(\d{1,2})")
_ANY_YEAR = 2001
"""A year that is not a leap year: a day that does not exist in every year (02-29) is no yearly deadline."""


class MonthDay(NamedTuple):
    """A day of the year following the report year (``01-31``): deadlines recur each year, so no year is written."""

    month: int
    day: int

    def on(self, report_year: int) -> dt.date:
        """The deadline of the report on ``report_year`` (it falls in the following year)."""
        return dt.date(report_year + 1, self.month, self.day)

    def __str__(self) -> str:
        return f"{self.month:02d}-{self.day:02d}"

    @classmethod
    def parse(cls, text: str) -> MonthDay:
        """``MM-DD`` as a day; ValueError (in Chinese) when it is no day that recurs every year."""
        m = _MONTH_DAY.fullmatch(text)
        if m is None:
            raise ValueError("应写成“月-日”，如 01-31（不写年份：截止日期每年相同）")
        month, day = int(m.group(1)), int(m.group(2))
        try:
            dt.date(_ANY_YEAR, month, day)
        except ValueError:
            raise ValueError("不是每年都有的日期（月份应为 01–12，且这个月应有这一天；不能用 02-29）") from None
        return cls(month, day)


DEPARTMENT_DEADLINE = MonthDay(1, 31)
"""Departments publish by 31 January of the following year (条例第四十九条)."""
GOVERNMENT_DEADLINE = MonthDay(3, 31)
"""A government's own report is published by 31 March of the following year (条例第四十九条)."""


def is_government_report(name: str) -> bool:
    """Whether a body of this name publishes a 本级人民政府 report (due 31 March) rather than its own.

    A government (its name ends with 人民政府; a township's, for which 第四十九条 sets no date of its own, is given the
    government's) or its office, which compiles and publishes the government's report. Every other body,
    a 委员会 or 局 of the government included, is a department. Only the name is read: the audit knows no more.
    """
    return name.endswith(_GOVERNMENT) or any(office in name for office in _GOVERNMENT_OFFICES)


def deadline(
    name: str,
    year: int,
    *,
    departments: MonthDay = DEPARTMENT_DEADLINE,
    government: MonthDay = GOVERNMENT_DEADLINE,
) -> dt.date:
    """The last day the report of the body ``name`` on ``year`` may be published (a region may set earlier days)."""
    return (government if is_government_report(name) else departments).on(year)
