"""The request and grievance workflows, declared once and read by every surface.

A workflow names its table, the word of its clerk queue, the letter of its tickets, the JSON
field that keeps its history and its statuses in order, the first one first. Each status says
which statuses it may become and how it is worded: for the clerk, for a resident, and on the
clerk's button that moves a record into it. The schema, records.services, the kiosk, the clerk
pages and the CLI all read these declarations; adding a status here is the whole change.
"""
from dataclasses import dataclass
from types import MappingProxyType

from village.i18n_markers import N_


@dataclass(frozen=True)
class Step:
    """One status of a workflow, the statuses it may become, and its words."""

    name: str
    next: tuple
    label: str  # the clerk's word for the status
    public: str  # what a resident reads at the kiosk
    action: str = ""  # the clerk's button that moves a record into this status ("" for the first)
    tier: str = "village"  # who moves a record into this status: village, township or county
    needs: tuple = ()  # fields a record must hold once it has passed through this status
    evidence: tuple = ()  # kinds of evidence file (records.terms.EVIDENCE_KINDS) this step is shown with
    stamps: tuple = ()  # fields the move fills in: "..._by" with who moved it, "..._on" with the day

    @property
    def asks(self):
        """Return the fields whoever takes this step gives with it: what it needs and does not stamp."""
        return tuple(name for name in self.needs if name not in self.stamps)


@dataclass(frozen=True)
class Workflow:
    """The statuses a table's records move through, and how their tickets and history are kept."""

    table: str
    queue: str  # the word of the clerk's queue in its URL: /clerk/<queue>
    prefix: str  # the letter that starts a ticket: S-1234-5678
    history: str  # the JSON field keeping each status change: [{status, by, at, note}, ...]
    steps: tuple  # Step, the first status first
    certifiable: tuple = ()  # statuses in which a certificate may be printed

    @property
    def statuses(self):
        """Return the status names, the first status first."""
        return tuple(step.name for step in self.steps)

    @property
    def first(self):
        """Return the status a new record starts in."""
        return self.steps[0].name

    def step(self, status):
        """Return the Step named `status`, or None."""
        return next((step for step in self.steps if step.name == status), None)

    def next_steps(self, status):
        """Return the statuses a record in `status` may become (none for an unknown status)."""
        step = self.step(status)
        return step.next if step else ()

    def path_to(self, status):
        """Return the shortest list of moves from the first status to `status` (None if it cannot be reached)."""
        paths = {self.first: []}
        waiting = [self.first]
        while waiting:
            here = waiting.pop(0)
            for there in self.next_steps(here):
                if there not in paths:
                    paths[there] = paths[here] + [there]
                    waiting.append(there)
        return paths.get(status)


REQUESTS = Workflow(
    table="service_requests", queue="requests", prefix="S", history="history", certifiable=("approved", "issued"),
    steps=(
        Step("submitted", ("in_review",), N_("submitted"), N_("Received")),
        Step("in_review", ("approved", "rejected"), N_("in review"), N_("Being checked"), N_("Start review")),
        Step("approved", ("issued",), N_("approved"), N_("Approved"), N_("Approve")),
        Step("rejected", (), N_("rejected"), N_("Not approved"), N_("Reject")),
        Step("issued", (), N_("issued"), N_("Issued: ready to collect"), N_("Mark as issued")),
    ))

GRIEVANCES = Workflow(
    table="grievances", queue="grievances", prefix="G", history="responses",
    steps=(
        Step("open", ("in_progress",), N_("open"), N_("Received")),
        Step("in_progress", ("resolved",), N_("in progress"), N_("Being handled"), N_("Start work")),
        Step("resolved", ("closed", "in_progress"), N_("resolved"), N_("Resolved"), N_("Mark resolved")),
        Step("closed", (), N_("closed"), N_("Closed"), N_("Close")),
    ))

WORKFLOWS = MappingProxyType({wf.table: wf for wf in (REQUESTS, GRIEVANCES)})  # those with tickets


def _case_step(name, next_, label, action, tier="village", needs=(), evidence=(), stamps=()):
    return Step(name, next_, label, label, action, tier, needs, evidence, stamps)


_UNDECIDED = ("not_included",)
# Identification (DOMAIN 1): steps 1-6 at the village, 7 at the township, 8-9 at the county;
# then follow-ups, and elimination proposed by the village and approved by the county.
CASES = Workflow(
    table="monitor_cases", queue="cases", prefix="", history="steps",
    steps=(
        _case_step("lead", ("home_check", *_UNDECIDED), N_("lead recorded"), "", needs=("lead_on",)),
        _case_step("home_check", ("consent", *_UNDECIDED), N_("home check done"), N_("Record the home check"),
                   evidence=("photo",)),
        _case_step("consent", ("data_matching", *_UNDECIDED), N_("consent signed"), N_("Record the signed consent"),
                   needs=("consent_on", "consent_file"), evidence=("consent_scan",)),
        _case_step("data_matching", ("deliberation", *_UNDECIDED), N_("data matched"), N_("Record the data matching")),
        _case_step("deliberation", ("notice", *_UNDECIDED), N_("village deliberation held"),
                   N_("Record the deliberation"), needs=("deliberation_on",), evidence=("minutes", "attendance", "photo")),
        _case_step("notice", ("township_reviewed", "returned", *_UNDECIDED), N_("public notice posted"),
                   N_("Post the public notice"), needs=("notice_from", "notice_to"), evidence=("notice_photo",)),
        _case_step("township_reviewed", ("monitored", "returned", *_UNDECIDED), N_("township reviewed"),
                   N_("Township review: pass"), "township", needs=("township_on", "township_by"),
                   stamps=("township_by", "township_on")),
        _case_step("returned", ("deliberation",), N_("returned to the village"), N_("Return to the village"),
                   "township", needs=("reason",)),
        _case_step("monitored", ("elimination_checked",), N_("monitored"), N_("County decision: monitor"), "county",
                   needs=("county_on", "county_by", "category"), stamps=("county_by", "county_on")),
        _case_step("not_included", (), N_("not included"), N_("County decision: not included"), "county",
                   needs=("county_on", "county_by"), stamps=("county_by", "county_on")),
        _case_step("elimination_checked", ("elimination_deliberated",), N_("elimination: home check done"),
                   N_("Propose elimination: home check"), evidence=("photo",)),
        _case_step("elimination_deliberated", ("elimination_notice",), N_("elimination: deliberation held"),
                   N_("Record the elimination deliberation"), evidence=("minutes",)),
        _case_step("elimination_notice", ("eliminated", "monitored"), N_("elimination: notice posted"),
                   N_("Post the elimination notice"), needs=("notice_from", "notice_to"), evidence=("notice_photo",)),
        _case_step("eliminated", ("reopened",), N_("risk eliminated"), N_("County approval: eliminate"), "county",
                   needs=("elimination_type", "eliminated_on"), stamps=("eliminated_on",)),
        _case_step("reopened", ("home_check",), N_("reopened"), N_("Reopen: risk returned")),
    ))
FLOWS = MappingProxyType({wf.table: wf for wf in (REQUESTS, GRIEVANCES, CASES)})  # every workflow


def workflow(table):
    """Return the Workflow of `table`; raise KeyError for a table without one."""
    return WORKFLOWS[table]


def by_prefix(letter):
    """Return the Workflow whose tickets start with `letter`, or None."""
    return next((wf for wf in WORKFLOWS.values() if wf.prefix == letter), None)
