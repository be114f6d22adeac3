"""The choice lists of poverty-return monitoring and elderly care (DOMAIN 1-2), each declared once.

Each list maps a stored value to its words (marked for translation; shown in Chinese, Uyghur
and English). The schema takes its choices from these lists, the pages their labels, the
checks their groups (which measures are a safety net, which tier is visited how often).
"""
from types import MappingProxyType

from village.i18n_markers import N_


def terms(**words):
    """Return a read-only {stored value: label} in the order given."""
    return MappingProxyType(words)


PROGRAMMES = terms(return_poverty=N_("return-to-poverty monitoring"), low_income=N_("low-income monitoring"))

CATEGORIES = terms(
    unstable_exited=N_("unstable after leaving poverty"),
    edge_vulnerable=N_("on the edge, at risk of poverty"),
    sudden_hardship=N_("sudden serious hardship"),
)

RISKS = terms(
    illness=N_("illness"), disability=N_("disability"), schooling=N_("schooling costs"), disaster=N_("natural disaster"),
    accident=N_("accident"), failed_enterprise=N_("failed enterprise"), unstable_work=N_("unstable work"),
    lack_of_labour=N_("lack of labour"), unsafe_housing=N_("unsafe housing"), unsafe_water=N_("unsafe drinking water"),
    other=N_("other"),
)

CHANNELS = terms(
    self_report=N_("the household reported it"), cadre_screening=N_("village cadres' screening"),
    department_alert=N_("a department's data alert"), supervision=N_("supervision feedback"),
)

MEASURE_TYPES = terms(
    enterprise_grant=N_("enterprise grant"), job_grant=N_("job grant"), welfare_post=N_("public-welfare post"),
    vocational_aid=N_("vocational-school aid"), microcredit=N_("microcredit"),
    minimum_allowance=N_("minimum living allowance"), extreme_poverty_support=N_("extreme-poverty support"),
    disability_allowance=N_("disability allowance"), medical_insurance=N_("medical insurance and aid"),
    house_repair=N_("house repair"), water_supply=N_("drinking water"), poverty_insurance=N_("anti-poverty insurance"),
    family_support=N_("family-support mediation"),
)
# Support for those who cannot work: a household living on it without labour is never eliminated.
SAFETY_NET = frozenset({"minimum_allowance", "extreme_poverty_support", "disability_allowance"})
MEDICAL = frozenset({"medical_insurance"})

ELIMINATIONS = terms(after_support=N_("eliminated after support"), natural=N_("eliminated naturally"))

TIERS = terms(high=N_("high (weekly)"), key=N_("key (monthly)"), general=N_("general (quarterly)"))
VISIT_EVERY_DAYS = MappingProxyType({"high": 7, "key": 30, "general": 91})

VISIT_MODES = terms(
    at_home=N_("at home"), phone_video=N_("phone or video"), third_party=N_("through a third party"),
    volunteer=N_("paired volunteer"), relative_neighbour=N_("relative or neighbour"), smart_alarm=N_("smart alarm"),
    hotline=N_("hotline"),
)

LABOUR = terms(full=N_("can work"), partial=N_("can work a little"), no_labour=N_("cannot work"))
HEALTH = terms(healthy=N_("healthy"), chronic=N_("chronic illness"), serious=N_("serious illness"),
               disabled=N_("living with a disability"))
SCHOOL_STAGES = terms(
    not_in_school=N_("not in school"), preschool=N_("preschool"), primary=N_("primary school"),
    junior=N_("junior middle school"), senior=N_("senior middle school"), vocational=N_("vocational school"),
    higher=N_("college or university"),
)
WORK = terms(farming=N_("farming"), local_work=N_("works locally"), migrant_work=N_("works away from home"),
             self_employed=N_("self-employed"), no_work=N_("no work"))
PLOT_CONDITIONS = terms(good=N_("good"), fair=N_("fair"), poor=N_("poor"), failed=N_("crop failed"))
EVIDENCE_KINDS = terms(
    consent_scan=N_("signed consent form"), minutes=N_("deliberation minutes"), attendance=N_("attendance list"),
    photo=N_("photo"), notice_photo=N_("photo of the posted notice"),
)

# Emergency alerts (DOMAIN 4): a CAP severity's warning colour (红 橙 黄 蓝), its CSS name and words.
# An alert of one of these colours fills the kiosk's screen; one of unknown severity is urgent only.
ALERT_COLOURS = MappingProxyType({
    "Extreme": ("red", N_("Red warning")), "Severe": ("orange", N_("Orange warning")),
    "Moderate": ("yellow", N_("Yellow warning")), "Minor": ("blue", N_("Blue warning")),
})
CAP_STATUS_WORDS = terms(Actual=N_("actual"), Exercise=N_("exercise"), System=N_("system message"),
                         Test=N_("test"), Draft=N_("draft"))

# Market prices (DOMAIN 5): what a unit of the official file is worth in 元/公斤, the one unit stored.
PRICE_UNIT = "元/公斤"
PRICE_UNITS = MappingProxyType({"元/公斤": 1, "元/千克": 1, "元/kg": 1, "元/斤": 2, "元/500克": 2})
PRICE_STALE_DAYS = 3  # a price older than this many days is shown as stale
PRICE_JUMP = 3  # a price more than this many times (or less than 1/this of) the last one is a warning

ALL = (PROGRAMMES, CATEGORIES, RISKS, CHANNELS, MEASURE_TYPES, ELIMINATIONS, TIERS, VISIT_MODES, LABOUR, HEALTH,
       SCHOOL_STAGES, WORK, PLOT_CONDITIONS, EVIDENCE_KINDS)


def label_of(value):
    """Return the untranslated words of a stored choice value of these lists (None if it is none of theirs)."""
    return next((words[value] for words in ALL if value in words), None)
