"""Exports that are not one table: conflicts, and monitored households as the national system takes them."""
import json

from village.records.terms import CATEGORIES, CHANNELS, ELIMINATIONS, MEASURE_TYPES, PROGRAMMES, RISKS
from village.records.workflows import CASES

CONFLICT_COLUMNS = ["id", "tbl", "row_id", "field", "kept_value", "kept_version", "lost_value", "lost_version",
                    "recorded_at", "resolved_at", "resolved_by"]

# The national monitoring system's household sheet, in its order (docs/cli.md lists them with
# their meaning): a county pastes these columns under its template's header row.
MONITORED_COLUMNS = ["行政区划", "户编号", "户主姓名", "户主证件号码", "联系电话", "家庭人口数", "监测类型", "监测对象类别",
                     "主要风险", "其他风险", "风险发现渠道", "发现日期", "县级审定日期", "人均纯收入(元)", "帮扶措施",
                     "当前环节", "风险消除类型", "风险消除日期"]
_CASE_QUERY = (
    "SELECT c.id, c.area, h.code, h.head_name, h.id_number, h.phone, h.members, c.programme, c.category, c.risks, "
    "c.channel, c.lead_on, c.county_on, c.income_per_person, c.status, c.elimination_type, c.eliminated_on "
    "FROM monitor_cases c JOIN households h ON h.id = c.household_id "
    "WHERE c._deleted = 0 AND c.status IN ('monitored', 'elimination_checked', 'elimination_deliberated', "
    "'elimination_notice', 'eliminated') ORDER BY c.area, h.code")


def monitored_households(db, gettext):
    """Return (columns, records) of the monitored households, one row per case, words in `gettext`'s language."""
    def word(words, value):
        return gettext(words[value]) if value in words else (value or "")

    def records():
        for row in db.execute(_CASE_QUERY):
            (case_id, area, code, head, id_number, phone, members, programme, category, risks, channel, lead_on,
             county_on, income, status, elimination, eliminated_on) = row
            risks = json.loads(risks or "[]")
            measures = [word(MEASURE_TYPES, r[0]) for r in db.execute(
                "SELECT type FROM measures WHERE case_id = ? AND _deleted = 0 ORDER BY start_on", [case_id])]
            values = [area, code, head, id_number, phone, members, word(PROGRAMMES, programme),
                      word(CATEGORIES, category), word(RISKS, risks[0]) if risks else "",
                      "、".join(word(RISKS, r) for r in risks[1:]), word(CHANNELS, channel), lead_on, county_on,
                      income, "、".join(measures), gettext(CASES.step(status).label),
                      word(ELIMINATIONS, elimination), eliminated_on]
            yield dict(zip(MONITORED_COLUMNS, values))
    return MONITORED_COLUMNS, records()


def conflicts(db, _gettext):
    """Return (columns, records) of the sync conflicts recorded here."""
    cursor = db.execute(f"SELECT {', '.join(CONFLICT_COLUMNS)} FROM _conflicts ORDER BY id")
    return CONFLICT_COLUMNS, (dict(zip(CONFLICT_COLUMNS, row)) for row in cursor)


REPORTS = {"conflicts": conflicts, "monitored": monitored_households}
LANGUAGE = {"monitored": "zh_Hans"}  # the national system reads Chinese whatever the node's language
