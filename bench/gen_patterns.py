"""Generate a realistic repository of orchestration patterns for benchmarks and tests.

    python bench/gen_patterns.py OUT_DIR --count 10000 --invalid-ratio 0.1 --seed 1

writes OUT_DIR/pubflow.yaml and OUT_DIR/patterns/<id>.json. Patterns look like the ones in
examples/repo: 4-8 KB each, Markdown sections, two Mermaid sequence diagrams of 8-18 messages
among 3-7 actors with notes and alt/loop/opt/rect blocks, scorecards that pass (some of them
marginal), and relatedPatterns that point at other generated patterns.

A share of the files (`--invalid-ratio`) carries exactly one defect, drawn evenly from a list
that mirrors examples/invalid/: schema, scorecard, diagram budget, Mermaid syntax, and
repository links. Every file stays well-formed JSON, so a plain `json.loads` loop can serve as a
baseline. The output depends only on the arguments: the same seed gives byte-identical files.

Stdlib only. Importable: `generate(out_dir, count, invalid_ratio, seed)` returns a summary
that also maps each defective file to its defect and the rule pubflow must report.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DIMENSIONS = ("ownership", "timeSla", "capacity", "visibility", "customerLoop", "escalation",
              "handoffs", "documentation")

# defect -> the rule pubflow reports for it (one finding per defective file)
DEFECT_RULES: dict[str, str] = {
    "unknown-field": "schema.unknown-field",
    "missing-required": "schema.required",
    "wrong-type": "schema.type",
    "empty-section": "schema.empty",
    "bad-semver": "schema.format",
    "bad-email": "schema.format",
    "id-not-kebab": "schema.format",
    "id-filename": "repo.id-filename",
    "duplicate-industries": "schema.uniqueItems",
    "criterion-missing-then": "schema.required",
    "dimension-min": "scorecard.dimension-min",
    "total-min": "scorecard.total-min",
    "score-range": "schema.range",
    "missing-dimension": "schema.required",
    "related-missing": "repo.related-missing",
    "actor-budget": "diagram.actor-budget",
    "step-budget": "diagram.step-budget",
    "alt-budget": "diagram.alt-budget",
    "nested-alt": "diagram.nested-alt",
    "not-sequence": "diagram.wrong-diagram-type",
    "unclosed-alt": "diagram.parse-error",
}
DEFECTS = tuple(DEFECT_RULES)


# --------------------------------------------------------------------------- vocabulary

@dataclass(frozen=True)
class Domain:
    industries: tuple[str, ...]
    label: str
    requester: tuple[str, str]          # (id, label); drawn as `actor`
    roles: tuple[tuple[str, str], ...]  # people and teams of the as-is process
    systems: tuple[tuple[str, str], ...]
    orchestrator: tuple[str, str]
    processes: tuple[tuple[str, str], ...]  # (process name, the work item it moves)
    checks: tuple[str, ...]
    tags: tuple[str, ...]


DOMAINS: tuple[Domain, ...] = (
    Domain(("saas",), "SaaS Support", ("Customer", "Customer"),
           (("Agent", "Support Agent"), ("Lead", "Support Lead"), ("Eng", "On-call Engineer"),
            ("PM", "Product Manager"), ("Billing", "Billing Team"), ("Sec", "Security Team")),
           (("Desk", "Support Desk"), ("Pager", "Paging Service"), ("Status", "Status Page"),
            ("CRM", "CRM")),
           ("Orch", "Escalation Orchestrator"),
           (("Incident Escalation", "ticket"), ("Refund Approval", "refund request"),
            ("Data Export Request", "export request"),
            ("Security Questionnaire Response", "questionnaire"),
            ("Cancellation Save Desk", "cancellation request"),
            ("Feature Request Triage", "feature request")),
           ("the entitlement", "the SLA tier", "the account owner", "the severity criteria"),
           ("support", "on-call", "sla", "escalation", "customer-success", "billing")),
    Domain(("manufacturing",), "Manufacturing", ("Buyer", "Customer Buyer"),
           (("Sales", "Sales Rep"), ("Planner", "Production Planner"), ("QA", "Quality Engineer"),
            ("WH", "Warehouse"), ("AR", "Accounts Receivable"), ("Proc", "Procurement")),
           (("ERP", "ERP"), ("MES", "MES"), ("WMS", "Warehouse System")),
           ("Hub", "Order Orchestrator"),
           (("Order-to-Cash Handoff", "order"), ("Engineering Change Approval", "change request"),
            ("Non-Conformance Handling", "non-conformance report"),
            ("Supplier Shortage Response", "shortage alert"),
            ("Returns Authorization", "return authorization")),
           ("the credit limit", "the bill of materials", "the quality plan", "available-to-promise"),
           ("order-to-cash", "erp", "quality", "supply-chain", "edi")),
    Domain(("insurance",), "Insurance", ("Policyholder", "Policyholder"),
           (("Adj", "Adjuster"), ("CC", "Call Centre"), ("UW", "Underwriter"),
            ("SIU", "Fraud Investigator"), ("Broker", "Broker")),
           (("PAS", "Policy System"), ("Claims", "Claims System"), ("Docs", "Document Store")),
           ("Triage", "Claims Orchestrator"),
           (("Claims Intake", "claim"), ("Subrogation Referral", "subrogation case"),
            ("Policy Endorsement", "endorsement request"),
            ("Catastrophe Surge Triage", "catastrophe claim"),
            ("Broker Quote Request", "quote request")),
           ("coverage", "the deductible", "the fraud score", "the authority limit"),
           ("claims", "fnol", "underwriting", "fraud", "broker")),
    Domain(("healthcare",), "Healthcare", ("Patient", "Patient"),
           (("Doc", "Attending Physician"), ("Nurse", "Ward Nurse"), ("Pharm", "Pharmacy"),
            ("CM", "Case Manager"), ("Transport", "Patient Transport"), ("Lab", "Laboratory")),
           (("EHR", "EHR"), ("Beds", "Bed Board"), ("Sched", "Scheduling System")),
           ("Care", "Care Coordinator"),
           (("Patient Discharge", "discharge"), ("Specialist Referral", "referral"),
            ("Critical Lab Result Follow-up", "critical result"),
            ("Prior Authorization", "authorization request"), ("Bed Assignment", "bed request")),
           ("the care plan", "the payer rules", "the medication list", "bed availability"),
           ("patient-flow", "care-transitions", "clinical", "bed-management")),
    Domain(("logistics", "distribution"), "Logistics", ("Shipper", "Shipper"),
           (("Dispatch", "Dispatcher"), ("Driver", "Driver"), ("Carrier", "Carrier"),
            ("Customs", "Customs Broker"), ("CS", "Customer Service")),
           (("TMS", "TMS"), ("WMS", "WMS"), ("Track", "Tracking Portal")),
           ("Flow", "Shipment Orchestrator"),
           (("Delivery Exception Handling", "delivery exception"),
            ("Customs Hold Resolution", "customs entry"), ("Carrier Tender", "load tender"),
            ("Proof of Delivery Dispute", "POD dispute")),
           ("the service level", "the customs documents", "the carrier contract", "the route plan"),
           ("shipping", "customs", "carrier", "last-mile")),
    Domain(("banking", "fintech"), "Banking", ("Applicant", "Applicant"),
           (("Officer", "Loan Officer"), ("Credit", "Credit Underwriter"), ("KYC", "KYC Analyst"),
            ("Ops", "Loan Operations"), ("Legal", "Legal Counsel")),
           (("LOS", "Loan Origination System"), ("Core", "Core Banking"), ("Screen", "Screening Service")),
           ("Flow", "Onboarding Orchestrator"),
           (("Small Business Loan Origination", "loan application"),
            ("Customer Onboarding KYC", "onboarding case"), ("Card Dispute Handling", "dispute"),
            ("Wire Transfer Exception", "wire exception")),
           ("the credit policy", "sanctions lists", "the KYC checklist", "the approval matrix"),
           ("lending", "kyc", "compliance", "onboarding", "payments")),
    Domain(("telecom",), "Telecom", ("Subscriber", "Subscriber"),
           (("NOC", "Network Operations"), ("Tech", "Field Technician"), ("Store", "Retail Store"),
            ("Prov", "Provisioning Team"), ("Care", "Customer Care")),
           (("OSS", "OSS"), ("BSS", "BSS"), ("Sched", "Workforce Scheduler")),
           ("Svc", "Service Orchestrator"),
           (("Fiber Installation Scheduling", "installation order"),
            ("Number Porting", "port request"), ("Outage Credit Handling", "credit request"),
            ("Business Line Provisioning", "provisioning order")),
           ("serviceability", "the porting window", "the outage record", "the contract terms"),
           ("provisioning", "field-service", "network", "billing")),
    Domain(("public-sector",), "Public Sector", ("Citizen", "Citizen"),
           (("Clerk", "Permit Clerk"), ("Inspector", "Building Inspector"),
            ("Zoning", "Zoning Planner"), ("Fire", "Fire Marshal"), ("Cashier", "Cashier")),
           (("Permits", "Permit System"), ("GIS", "GIS"), ("Portal", "Citizen Portal")),
           ("Desk", "Permit Orchestrator"),
           (("Building Permit Review", "permit application"),
            ("Benefit Claim Processing", "benefit claim"),
            ("Business Licence Renewal", "licence renewal")),
           ("the zoning rules", "the fee schedule", "the eligibility rules", "the fire code"),
           ("permits", "citizen-services", "inspections", "licensing")),
    Domain(("retail", "ecommerce"), "Retail", ("Shopper", "Shopper"),
           (("Assoc", "Store Associate"), ("DC", "Distribution Center"), ("CS", "Customer Service"),
            ("Merch", "Merchandising"), ("Fin", "Finance")),
           (("OMS", "Order Management"), ("POS", "Point of Sale"), ("Inv", "Inventory Service")),
           ("Flow", "Fulfilment Orchestrator"),
           (("Buy Online Pick Up in Store", "order"), ("Return and Refund", "return"),
            ("Price Discrepancy Resolution", "price discrepancy"),
            ("Marketplace Seller Onboarding", "seller application")),
           ("stock levels", "the return policy", "the price book", "the seller checklist"),
           ("omnichannel", "fulfilment", "returns", "marketplace")),
)

AUTHORS = (
    ("jmercer", "Jane Mercer", "jane.mercer@example.org"),
    ("pdubois", "Paul Dubois", "paul.dubois@example.org"),
    ("mokafor", "Mara Okafor", "mara.okafor@example.org"),
    ("snair", "Sunita Nair", "s.nair@example.org"),
    ("rlee", "Robin Lee", "r.lee@example.org"),
    ("tkowalski", "Tomasz Kowalski", "t.kowalski@example.com"),
    ("abrown", "Amara Brown", "amara.brown@example.net"),
    ("lgarcia", "Lucía García", "lucia.garcia@example.org"),
    ("hnguyen", "Hoa Nguyen", "hoa.nguyen@example.com"),
    ("kschmidt", "Katrin Schmidt", "k.schmidt@example.de"),
    ("oadeyemi", "Ola Adeyemi", "ola.adeyemi@example.org"),
    ("mrossi", "Marco Rossi", "marco.rossi@example.it"),
)

# Message texts. Placeholders: {art} work item, {sys} a system, {check} what gets checked,
# {h} hours, {d} days. No '#' or ';' (Mermaid ends message text there).
ASIS_FROM_REQUESTER = (
    "Submit the {art} by email", "Call to report the {art}", "Ask for the status of the {art}",
    "Send the missing documents", "Chase by phone, again", "Resend the {art} with attachments",
)
ASIS_TO_REQUESTER = (
    "Ask for the same details again", "Reply {d} days later", "No update, still in progress",
    "Letter asking for more information", "Outcome without explanation", "Wrong form, please resubmit",
)
ASIS_INTERNAL = (
    "Forward the {art} by email", "Re-key the {art} into {sys}", "Who owns this {art}?",
    "Check {check} manually", "Print and hand over the {art}", "Post in the team channel",
    "Raise it at the weekly meeting", "Export a spreadsheet from {sys}",
    "Approve by reply-all", "Look up the history in {sys}", "Ask for a second opinion",
    "Put the {art} in the shared inbox",
)
ASIS_REPLY = (
    "Reply {d} days later", "Missing information, please resend", "Approved without context",
    "Status unknown", "Sends an outdated version", "Done (nothing recorded)",
    "Not our team", "Will look at it tomorrow",
)
ASIS_SELF = ("Re-check the {art}", "Search old emails for context", "Work out the priority alone",
             "Copy data between screens", "Wait for a reply")
ASIS_NOTES = (
    "No owner for {h} hours", "The {art} sits in a shared inbox", "Nobody sees the SLA clock",
    "The same data is typed {n} times", "The requester is told nothing", "Context is lost here",
    "Decision depends on who is on shift", "Work waits for the weekly batch",
)
ASIS_ALT = (("Information is missing", "Everything is complete"),
            ("Approver is out of office", "Approver is available"),
            ("Marked urgent", "Normal priority"), ("Value above the threshold", "Small value"))
ASIS_LOOP = ("Until someone answers", "Every morning until resolved",
             "Until the documents are complete", "While the requester keeps chasing")
ASIS_OPT = ("Requester chases", "A manager notices the delay", "The deadline is close")

ORCH_FROM_REQUESTER = (
    "Submit the {art} through the portal", "Upload the requested documents",
    "Confirm the proposed date", "Accept the outcome", "Answer the follow-up questions",
)
ORCH_TO_REQUESTER = (
    "Acknowledge with a reference and an ETA", "Request specific missing items",
    "Status update: in review", "Decision with reasons", "Confirm completion and next steps",
    "Proactive update before the SLA",
)
ORCH_TO_ROLE = (
    "Assign the {art} by skill and workload ({h}h SLA)", "Route to the owning team",
    "Request a decision with full context", "Escalate to the team lead",
    "Schedule the work in {sys}", "Ask for sign-off", "Hand over with a checklist",
)
ORCH_TO_SYSTEM = (
    "Validate the {art} against {check}", "Record the decision in {sys}", "Create the {art} in {sys}",
    "Fetch history from {sys}", "Reserve capacity in {sys}", "Update {sys}",
)
ORCH_REPLY = (
    "Decision recorded", "Done, with evidence attached", "Accepted, starting now",
    "Needs more information", "Validated", "Capacity confirmed", "Result available",
)
ORCH_SELF = ("Check {check}", "Compute the priority", "Start the SLA clock", "Close the {art} with a summary")
ORCH_NOTES = (
    "SLA clock starts", "Every step is timestamped", "One owner at every moment",
    "The queue is visible on the dashboard", "Escalation is automatic, not heroic",
    "The requester always knows the next step",
)
ORCH_ALT = (("Auto-approvable", "Needs a specialist"), ("Within policy", "Exception"),
            ("Complete on arrival", "Items missing"), ("Low risk", "Flagged for review"))
ORCH_LOOP = ("Every {h} hours until closed", "Until all items are received", "While the SLA runs")
ORCH_OPT = ("SLA at risk", "No response within {h} hours", "Requester asked for a call")
RECT_COLOURS = ("rgb(230, 245, 255)", "rgb(240, 255, 240)", "rgb(255, 250, 240)")


# --------------------------------------------------------------------------- diagrams

@dataclass
class DiagramSpec:
    actors: int            # distinct actors Mermaid will count
    messages: int          # arrows Mermaid will count
    alts: int = 1
    nested_alt: bool = False
    orchestrated: bool = False


@dataclass
class _Cast:
    requester: tuple[str, str]
    hub: tuple[str, str]
    others: list[tuple[str, str]]
    implicit: str | None = None


class _Writer:
    """Emits messages between the cast with texts that fit who talks to whom."""

    def __init__(self, rng: random.Random, cast: _Cast, spec: DiagramSpec, words: dict[str, str],
                 systems: set[str]) -> None:
        self.rng, self.cast, self.spec, self.words, self.systems = rng, cast, spec, words, systems
        self.lines: list[str] = []
        self.count = 0
        self.last_other = cast.others[0][0] if cast.others else cast.hub[0]

    def fill(self, template: str) -> str:
        return template.format(**self.words)

    def pick(self, pool: tuple[str, ...]) -> str:
        return self.fill(self.rng.choice(pool))

    def message(self, indent: str) -> None:
        rng, cast = self.rng, self.cast
        req, hub = cast.requester[0], cast.hub[0]
        other_ids = [o[0] for o in cast.others]
        if self.count == 0:
            sender, receiver = req, hub
        elif cast.implicit is not None and self.count == 1:
            sender, receiver = hub, cast.implicit
        else:
            roll = rng.random()
            other = rng.choice(other_ids) if other_ids else hub
            if roll < 0.15:
                sender, receiver = hub, req
            elif roll < 0.25:
                sender, receiver = req, hub
            elif roll < 0.33:
                sender = receiver = rng.choice([hub, other])
            elif roll < 0.6:
                sender, receiver = hub, other
            elif roll < 0.8:
                sender, receiver = other, hub
            else:
                choices = [o for o in other_ids if o != other] or [hub]
                sender, receiver = other, rng.choice(choices)
        arrow = "->>"
        orch = self.spec.orchestrated
        if sender == receiver:
            text = self.pick(ORCH_SELF if orch else ASIS_SELF)
        elif sender == req:
            text = self.pick(ORCH_FROM_REQUESTER if orch else ASIS_FROM_REQUESTER)
        elif receiver == req:
            text, arrow = self.pick(ORCH_TO_REQUESTER if orch else ASIS_TO_REQUESTER), "-->>"
        elif receiver == hub and sender != hub:
            text, arrow = self.pick(ORCH_REPLY if orch else ASIS_REPLY), "-->>"
        elif orch:
            text = self.pick(ORCH_TO_SYSTEM if receiver in self.systems else ORCH_TO_ROLE)
            if rng.random() < 0.1:
                arrow = "-)"
        else:
            text = self.pick(ASIS_INTERNAL)
            if rng.random() < 0.06:
                arrow, text = "-x", "Message lost in a busy inbox"
            elif rng.random() < 0.1:
                arrow = "->"
        self.lines.append(f"{indent}{sender}{arrow}{receiver}: {text}")
        self.count += 1

    def note(self, indent: str) -> None:
        rng = self.rng
        ids = [self.cast.hub[0]] + [o[0] for o in self.cast.others]
        text = self.pick(ORCH_NOTES if self.spec.orchestrated else ASIS_NOTES)
        where = rng.random()
        if where < 0.4 and len(ids) > 1:
            a, b = rng.sample(ids, 2)
            self.lines.append(f"{indent}Note over {a},{b}: {text}")
        elif where < 0.7:
            self.lines.append(f"{indent}Note right of {rng.choice(ids)}: {text}")
        else:
            self.lines.append(f"{indent}Note over {rng.choice(ids)}: {text}")


def _plan(rng: random.Random, spec: DiagramSpec) -> list[tuple[str, Any]]:
    """Split the message budget into plain messages and blocks; exact totals by construction."""
    budget = spec.messages - 2  # the opening request and the closing message stay plain
    blocks: list[tuple[str, Any]] = []
    alts = spec.alts - (1 if spec.nested_alt else 0)
    for k in range(alts):
        inner = spec.nested_alt and k == 0
        first = 2 if inner else rng.randint(1, 2)
        second = rng.randint(0, 2) if rng.random() < 0.75 else 0
        if inner:
            second = max(second, 1)
        blocks.append(("alt", (first, second, inner)))
        budget -= first + second + (2 if inner else 0)
    if rng.random() < 0.6:
        n = rng.randint(1, 3)
        blocks.append(("loop", n))
        budget -= n
    if rng.random() < 0.5:
        n = rng.randint(1, 2)
        blocks.append(("opt", n))
        budget -= n
    if rng.random() < 0.25:
        n = rng.randint(1, 2)
        blocks.append(("rect", n))
        budget -= n
    # Too many messages in blocks: shrink the optional blocks, then the alt branches.
    while budget < 0:
        for i, (kind, arg) in enumerate(blocks):
            if budget >= 0:
                break
            if kind in ("loop", "opt", "rect") and arg > 1:
                blocks[i] = (kind, arg - 1)
                budget += 1
            elif kind == "alt" and arg[1] > (1 if arg[2] else 0):
                blocks[i] = (kind, (arg[0], arg[1] - 1, arg[2]))
                budget += 1
            elif kind == "alt" and arg[0] > (2 if arg[2] else 1):
                blocks[i] = (kind, (arg[0] - 1, arg[1], arg[2]))
                budget += 1
        else:
            if budget < 0:
                removable = [i for i, b in enumerate(blocks) if b[0] in ("loop", "opt", "rect")]
                if not removable:
                    raise ValueError(f"cannot fit {spec} into {spec.messages} messages")
                kind, arg = blocks.pop(removable[-1])
                budget += arg
    items: list[tuple[str, Any]] = blocks + [("msg", None)] * budget
    rng.shuffle(items)
    notes = rng.randint(1, 3)
    for _ in range(notes):
        items.insert(rng.randint(0, len(items)), ("note", None))
    return [("msg", None), *items, ("msg", None)]


def make_diagram(rng: random.Random, domain: Domain, spec: DiagramSpec, words: dict[str, str]) -> str:
    """A Mermaid sequence diagram with exactly spec.actors actors and spec.messages messages."""
    req = domain.requester
    hub = domain.orchestrator if spec.orchestrated else rng.choice(domain.roles)
    pool = [r for r in (*domain.roles, *domain.systems) if r[0] != hub[0]]
    wanted = spec.actors - 2
    others: list[tuple[str, str]] = []
    extra = 0
    while len(others) < wanted:
        if pool:
            others.append(pool.pop(rng.randrange(len(pool))))
        else:  # a big defective cast: invent more teams
            extra += 1
            others.append((f"Team{extra}", f"Regional Team {extra}"))
    implicit = None
    if others and rng.random() < 0.15:
        implicit = others[-1][0]  # never declared: Mermaid creates it from its first message
    cast = _Cast(req, hub, others, implicit)
    systems = {s[0] for s in domain.systems}
    writer = _Writer(rng, cast, spec, words, systems)
    lines = ["sequenceDiagram"]
    if spec.orchestrated and rng.random() < 0.5:
        lines.append("  autonumber")
    if rng.random() < 0.2:
        lines.append(f"  title {words['Process']}{' (as-is)' if not spec.orchestrated else ''}")
    declared = [("actor", req), ("participant", hub)] + [
        ("participant", o) for o in others if o[0] != implicit]
    for keyword, (ident, label) in declared:
        lines.append(f"  {keyword} {ident}" + (f" as {label}" if label != ident else ""))
    plan = _plan(rng, spec)
    activated = False
    writer.lines = lines
    alt_labels = ORCH_ALT if spec.orchestrated else ASIS_ALT
    for index, (kind, arg) in enumerate(plan):
        if kind == "msg":
            writer.message("  ")
            if spec.orchestrated and index == 0:
                lines.append(f"  activate {hub[0]}")
                activated = True
        elif kind == "note":
            writer.note("  ")
        elif kind in ("loop", "opt"):
            label_pool = (ORCH_LOOP if kind == "loop" else ORCH_OPT) if spec.orchestrated else (
                ASIS_LOOP if kind == "loop" else ASIS_OPT)
            lines.append(f"  {kind} {writer.pick(label_pool)}")
            for _ in range(arg):
                writer.message("    ")
            if rng.random() < 0.3:
                writer.note("    ")
            lines.append("  end")
        elif kind == "rect":
            lines.append(f"  rect {rng.choice(RECT_COLOURS)}")
            writer.note("    ")
            for _ in range(arg):
                writer.message("    ")
            lines.append("  end")
        elif kind == "alt":
            first, second, inner = arg
            yes, no = rng.choice(alt_labels)
            lines.append(f"  alt {yes}")
            if inner:
                writer.message("    ")
                iyes, ino = rng.choice(alt_labels)
                lines.append(f"    alt {iyes}")
                writer.message("      ")
                lines.append(f"    else {ino}")
                writer.message("      ")
                lines.append("    end")
                for _ in range(first - 1):
                    writer.message("    ")
            else:
                for _ in range(first):
                    writer.message("    ")
            if second:
                lines.append(f"  else {no}")
                for _ in range(second):
                    writer.message("    ")
            lines.append("  end")
        if spec.orchestrated and activated and index == len(plan) - 2:
            lines.append(f"  deactivate {hub[0]}")
            activated = False
    if activated:
        lines.append(f"  deactivate {hub[0]}")
    assert writer.count == spec.messages, (writer.count, spec)
    return "\n".join(lines)


def flowchart(words: dict[str, str]) -> str:
    return "\n".join([
        "flowchart TD",
        f"  A[{words['Requester']}] -->|{words['art']}| B[Intake]",
        "  B --> C{Complete?}",
        "  C -->|no| A",
        "  C -->|yes| D[Review]",
        "  D --> E[Done]",
    ])


# --------------------------------------------------------------------------- markdown

HOOKS = (
    "A {art} that takes {h} hours of actual work routinely takes **{d} days** to get through "
    "{process_lc}, and almost none of that time is work.",
    "Ask five people who owns a {art} once it leaves the first desk and you will hear five "
    "different answers. That is the whole problem with {process_lc} in most {label_lc} teams.",
    "{Process} looks simple on a whiteboard: {n} teams, one {art}, one outcome. In practice "
    "every handoff adds a queue, and every queue adds **{d} days**.",
    "The fastest step in {process_lc} is the one nobody waits for. Today that is only the "
    "first one.",
)
HOOK_SECOND = (
    "This pattern puts an orchestrator in the middle: it owns the {art} from intake to "
    "closure, starts every clock, and tells the {requester_lc} what happens next.",
    "The tools usually exist already. What is missing is a single owner of the handoffs and "
    "a rule for when to escalate.",
    "Teams that adopt it report fewer status calls within weeks, because the {requester_lc} "
    "no longer has to ask.",
)
PROBLEM_BULLETS = (
    "**Nobody owns the {art} between steps.** It waits in a shared inbox until someone "
    "picks it up.",
    "**Data is typed again at every desk.** The {sys} record and the email thread disagree "
    "within a day.",
    "**Priorities are a judgement call.** Urgent cases wait behind routine ones because "
    "nothing says which is which.",
    "**Checks happen late.** {Check} is verified only after the work has started, so "
    "rework is common.",
    "**The {requester_lc} is kept in the dark.** Updates happen when they chase, not when "
    "something changes.",
    "**Escalation depends on who you know.** A blocked {art} moves only when someone "
    "phones a manager.",
    "**Nothing is measured.** Nobody can say how long a {art} takes, let alone where the "
    "time goes.",
    "**Approvals come by reply-all.** The decision and its reasons are buried in an email "
    "thread.",
)
PROBLEM_CLOSE = (
    "The result is a median of **{d} days** for work that needs {h} hours, and a {requester_lc} "
    "who learns the outcome last.",
    "Each step is locally reasonable. Together they add {d} days and a steady stream of "
    "status calls.",
    "Measured end to end, {pct} % of the elapsed time is waiting between steps.",
)
SIGNALS = (
    "More than a third of inbound contacts are status chasers",
    "The same {art} is entered into {sys} more than once",
    "{Art}s older than {d} days have no named owner",
    "Urgent and routine {art}s take the same time",
    "Escalations happen by phone and leave no record",
    "Nobody can report the median time from request to outcome",
    "Work is released in weekly batches rather than as it arrives",
    "Reviewers ask the {requester_lc} for information the first desk already had",
)
ORCH_INTRO = (
    "In the orchestrated process the **{orchestrator_lc}** owns every {art} from intake to "
    "closure. People still make the decisions; the orchestrator makes sure each decision is "
    "asked for, on time, with context.",
    "The {orchestrator_lc} replaces the shared inbox with explicit states, owners and "
    "deadlines, and triggers each team instead of waiting for an email.",
)
ORCH_STEPS = (
    "**Structured intake.** Every channel produces the same {art} record in {sys}.",
    "**Check early.** {Check} is validated automatically before anyone starts work.",
    "**Route by rule.** The {art} goes to the owning team by skill and workload, with a "
    "{h}-hour SLA.",
    "**Escalate automatically.** An SLA at risk notifies the team lead before it is breached.",
    "**Keep the {requester_lc} informed.** Every state change sends an update with the next step.",
    "**Close with evidence.** The outcome, its reasons and the timeline are recorded.",
    "**Fast-track the simple cases.** Low-risk {art}s skip manual review entirely.",
    "**Measure the flow.** Queue age and time per step are on the team dashboard.",
)
ORCH_CLOSE = (
    "Exceptions still go to people, but they arrive complete and with a deadline.",
    "The first version can be a rule set in the existing {sys}; a dedicated service is "
    "rarely needed.",
    "Start with the highest-volume {art} type and extend once the SLA reports are trusted.",
)
CRITERIA = (
    ("a new {art} from any channel", "intake completes",
     "a {art} record with an owner and a due date exists in {sys}"),
    ("a {art} whose SLA is at risk", "less than 20 % of the SLA remains",
     "the team lead is notified and the escalation is recorded on the {art}"),
    ("a {art} that is missing information", "the orchestrator validates it",
     "the {requester_lc} receives one request listing every missing item"),
    ("a low-risk {art}", "it passes the automatic checks",
     "it is completed without manual review and the {requester_lc} is informed"),
    ("any state change of a {art}", "the state is saved",
     "the {requester_lc} receives an update naming the next step and its ETA"),
    ("a closed {art}", "the monthly report runs",
     "time per step and queue age are reported per team"),
)
CHECKLIST = (
    "Define the {art} record and map every intake channel onto it",
    "Name an owning team for each {art} type and record it in {sys}",
    "Agree the SLA per priority with the teams involved",
    "Automate the check of {check} at intake",
    "Configure the escalation rule for SLAs at risk",
    "Send status notifications to the {requester_lc} on every state change",
    "Build the queue-age dashboard and review it weekly",
    "Retire the shared inbox once the orchestrator is live",
    "Document the exception path and who may override the rules",
)


def _markdown_words(rng: random.Random, domain: Domain, process: str, art: str) -> dict[str, str]:
    system = rng.choice(domain.systems)[1]
    check = rng.choice(domain.checks)
    return {
        "art": art, "Art": art[:1].upper() + art[1:], "sys": system, "check": check,
        "Check": check[:1].upper() + check[1:], "Process": process, "process_lc": process.lower(),
        "label_lc": domain.label.lower(), "requester_lc": domain.requester[1].lower(),
        "Requester": domain.requester[1], "orchestrator_lc": domain.orchestrator[1].lower(),
        "h": str(rng.choice((2, 4, 8, 24, 48))), "d": str(rng.randint(3, 21)),
        "n": str(rng.randint(3, 6)), "pct": str(rng.randint(70, 95)),
    }


def _fill(rng: random.Random, pool: tuple[str, ...], k: int, words: dict[str, str]) -> list[str]:
    return [t.format(**words) for t in rng.sample(pool, k)]


# --------------------------------------------------------------------------- patterns

def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _scorecard(rng: random.Random, marginal: bool) -> dict[str, int]:
    while True:
        scores = {d: rng.choice((3, 4, 4, 4, 5, 5)) for d in DIMENSIONS}
        total = sum(scores.values())
        if (30 <= total <= 32) if marginal else (33 <= total <= 39):
            return scores


def _pattern(rng: random.Random, index: int) -> tuple[dict[str, Any], Domain, dict[str, str]]:
    domain = DOMAINS[index % len(DOMAINS)] if index < len(DOMAINS) else rng.choice(DOMAINS)
    process, art = rng.choice(domain.processes)
    words = _markdown_words(rng, domain, process, art)
    name = f"{process} in {domain.label}"
    pid = f"{_slug(process)[:60]}-{index + 1:05d}"
    author = rng.choice(AUTHORS)
    major, minor, patch = rng.randint(0, 3), rng.randint(0, 9), rng.randint(0, 12)
    version = f"{max(major, 1)}.{minor}.{patch}" + (f"-rc.{rng.randint(1, 3)}" if rng.random() < 0.05 else "")
    industries = list(domain.industries[: rng.randint(1, len(domain.industries))])
    problem = [
        f"Today {words['process_lc']} runs on email, spreadsheets and goodwill:",
        "",
        *("- " + b for b in _fill(rng, PROBLEM_BULLETS, rng.randint(4, 6), words)),
        "",
        rng.choice(PROBLEM_CLOSE).format(**words),
    ]
    picked = sorted(rng.sample(range(len(ORCH_STEPS)), rng.randint(4, 6)))  # keep the flow's order
    steps = [ORCH_STEPS[i].format(**words) for i in picked]
    orchestrated = [
        rng.choice(ORCH_INTRO).format(**words),
        "",
        *(f"{i}. {s}" for i, s in enumerate(steps, 1)),
        "",
        rng.choice(ORCH_CLOSE).format(**words),
    ]
    as_is = DiagramSpec(actors=rng.randint(3, 7), messages=rng.randint(8, 18), alts=rng.randint(0, 2))
    orch = DiagramSpec(actors=rng.randint(4, 7), messages=rng.randint(10, 18), alts=rng.randint(1, 2),
                       orchestrated=True)
    doc: dict[str, Any] = {
        "id": pid,
        "name": name,
        "version": version,
        "author": {"id": author[0], "name": author[1], "email": author[2]},
        "industries": industries,
        "tags": rng.sample(domain.tags, rng.randint(2, min(5, len(domain.tags)))),
        "hookMarkdown": rng.choice(HOOKS).format(**words) + "\n\n" + rng.choice(HOOK_SECOND).format(**words),
        "problemMarkdown": "\n".join(problem),
        "brokenSignals": _fill(rng, SIGNALS, rng.randint(3, 6), words),
        "asIsDiagramMermaid": make_diagram(rng, domain, as_is, words),
        "orchestratedMarkdown": "\n".join(orchestrated),
        "orchestratedDiagramMermaid": make_diagram(rng, domain, orch, words),
        "scorecard": _scorecard(rng, marginal=rng.random() < 0.1),
        "acceptanceCriteria": [
            {"given": g.format(**words), "when": w.format(**words), "then": t.format(**words)}
            for g, w, t in rng.sample(CRITERIA, rng.randint(2, 4))
        ],
        "implementationChecklist": _fill(rng, CHECKLIST, rng.randint(4, 8), words),
    }
    return doc, domain, words


def _apply_defect(rng: random.Random, doc: dict[str, Any], kind: str, domain: Domain,
                  words: dict[str, str]) -> tuple[dict[str, Any], str]:
    """Give `doc` exactly one defect; returns the document and the file stem to write it as."""
    stem = doc["id"]
    if kind == "unknown-field":
        typo, value = rng.choice((("scorcard", {"documentation": 5}), ("descripton", doc["name"]),
                                  ("implementationChecklists", ["Review the checklist"]),
                                  ("relatedPattern", "incident-escalation")))
        doc[typo] = value
    elif kind == "missing-required":
        del doc[rng.choice(("problemMarkdown", "brokenSignals", "orchestratedMarkdown",
                            "acceptanceCriteria", "implementationChecklist", "version"))]
    elif kind == "wrong-type":
        key = rng.choice(("industries", "brokenSignals", "tags"))
        doc[key] = doc[key][0] if doc[key] else "text"
    elif kind == "empty-section":
        doc[rng.choice(("hookMarkdown", "problemMarkdown", "orchestratedMarkdown"))] = ""
    elif kind == "bad-semver":
        doc["version"] = rng.choice(("1.0", "v1.2.0", "2", "1.0.0.1", "01.2.3"))
    elif kind == "bad-email":
        local = doc["author"]["email"].split("@")[0]
        doc["author"]["email"] = rng.choice((f"{local}.example.org", f"{local}@example", f"{local}@@example.org"))
    elif kind == "id-not-kebab":
        doc["id"] = stem = "_".join(p.capitalize() for p in stem.split("-"))
    elif kind == "id-filename":
        doc["id"] = stem + "-v2"
    elif kind == "duplicate-industries":
        doc["industries"] = [*doc["industries"], doc["industries"][0]]
    elif kind == "criterion-missing-then":
        del doc["acceptanceCriteria"][rng.randrange(len(doc["acceptanceCriteria"]))]["then"]
    elif kind == "dimension-min":
        while True:
            sc = {d: rng.choice((4, 5)) for d in DIMENSIONS}
            sc[rng.choice(DIMENSIONS)] = rng.choice((1, 2))
            if sum(sc.values()) >= 30:  # only the per-dimension rule may fail
                break
        doc["scorecard"] = sc
    elif kind == "total-min":
        while True:
            sc = {d: rng.choice((3, 3, 4)) for d in DIMENSIONS}
            if sum(sc.values()) < 30:
                break
        doc["scorecard"] = sc
    elif kind == "score-range":
        doc["scorecard"][rng.choice(DIMENSIONS)] = rng.choice((0, 6, 10))
    elif kind == "missing-dimension":
        del doc["scorecard"][rng.choice(DIMENSIONS)]
    elif kind == "related-missing":
        doc["relatedPatterns"] = [*doc.get("relatedPatterns", []), f"retired-pattern-{rng.randint(1, 999)}"]
    elif kind in ("actor-budget", "step-budget", "alt-budget", "nested-alt", "not-sequence",
                  "unclosed-alt"):
        field_name = rng.choice(("asIsDiagramMermaid", "orchestratedDiagramMermaid"))
        orchestrated = field_name == "orchestratedDiagramMermaid"
        spec = DiagramSpec(actors=rng.randint(4, 6), messages=rng.randint(10, 16), alts=1,
                           orchestrated=orchestrated)
        if kind == "actor-budget":
            spec.actors = rng.randint(8, 9)
        elif kind == "step-budget":
            spec.messages = rng.randint(19, 22)
        elif kind == "alt-budget":
            spec.alts, spec.messages = 3, rng.randint(12, 18)
        elif kind == "nested-alt":
            spec.alts, spec.nested_alt = 2, True
        if kind == "not-sequence":
            doc[field_name] = flowchart(words)
        else:
            diagram = make_diagram(rng, domain, spec, words)
            if kind == "unclosed-alt":
                lines = diagram.split("\n")
                start = next(i for i, ln in enumerate(lines) if ln.strip().startswith("alt "))
                end = next(i for i in range(start + 1, len(lines)) if lines[i] == "  end")
                del lines[end]
                diagram = "\n".join(lines)
            doc[field_name] = diagram
    else:  # pragma: no cover - DEFECTS and this function are kept in step
        raise ValueError(kind)
    return doc, stem


PUBFLOW_YAML = """\
# Generated by bench/gen_patterns.py (seed {seed}): a benchmark repository.
patterns_dir: patterns
reviewers:
  - id: rlee
    email: r.lee@example.org
    industries: [saas, telecom, banking, fintech]
    max_queue: 50
  - id: mokafor
    email: mara.okafor@example.org
    industries: [insurance, healthcare, public-sector]
    max_queue: 50
  - id: pdubois
    email: paul.dubois@example.org
    industries: [manufacturing, logistics, distribution, retail, ecommerce]
    max_queue: 50
review_sla_days: 3
environments: [staging, production]
notifications:
  team: [editors@example.org]
  outbox: .pubflow/outbox
"""


def generate(out_dir: str | Path, count: int, invalid_ratio: float = 0.1, seed: int = 1) -> dict[str, Any]:
    """Write `count` patterns under out_dir/patterns and out_dir/pubflow.yaml; return a summary.

    Existing `*.json` files in out_dir/patterns are removed first, so the folder holds exactly
    this run's patterns.
    """
    if count < 0 or not 0 <= invalid_ratio <= 1:
        raise ValueError("count must be >= 0 and invalid_ratio between 0 and 1")
    out = Path(out_dir)
    patterns_dir = out / "patterns"
    patterns_dir.mkdir(parents=True, exist_ok=True)
    for old in patterns_dir.glob("*.json"):
        old.unlink()
    (out / "pubflow.yaml").write_text(PUBFLOW_YAML.format(seed=seed), encoding="utf-8")

    rng = random.Random(seed)
    n_invalid = round(count * invalid_ratio)
    defective = sorted(rng.sample(range(count), n_invalid))
    order = list(DEFECTS)
    rng.shuffle(order)  # a small run still gets a varied selection of defects
    kinds = [order[i % len(order)] for i in range(n_invalid)]
    rng.shuffle(kinds)
    defect_of = dict(zip(defective, kinds, strict=True))

    built = [_pattern(rng, i) for i in range(count)]
    linkable = [doc["id"] for i, (doc, _, _) in enumerate(built) if i not in defect_of]

    invalid_files: dict[str, dict[str, str]] = {}
    defect_counts = dict.fromkeys(DEFECTS, 0)
    marginal = total_bytes = 0
    for i, (doc, domain, words) in enumerate(built):
        if linkable and rng.random() < 0.7:
            choices = [x for x in rng.sample(linkable, min(4, len(linkable))) if x != doc["id"]]
            if choices:
                doc["relatedPatterns"] = choices[: rng.randint(1, 3)]
        stem = doc["id"]
        if i in defect_of:
            kind = defect_of[i]
            doc, stem = _apply_defect(rng, doc, kind, domain, words)
            invalid_files[f"{stem}.json"] = {"defect": kind, "rule": DEFECT_RULES[kind]}
            defect_counts[kind] += 1
        elif sum(doc["scorecard"].values()) <= 32:
            marginal += 1
        data = (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        total_bytes += len(data)
        (patterns_dir / f"{stem}.json").write_bytes(data)

    return {
        "out_dir": str(out),
        "patterns": count,
        "valid": count - n_invalid,
        "invalid": n_invalid,
        "marginal": marginal,
        "bytes": total_bytes,
        "defects": {k: v for k, v in defect_counts.items() if v},
        "invalid_files": invalid_files,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a repository of pattern files for benchmarks.")
    parser.add_argument("out_dir", type=Path, help="folder to write pubflow.yaml and patterns/ into")
    parser.add_argument("--count", type=int, default=10_000, help="number of patterns (default 10000)")
    parser.add_argument("--invalid-ratio", type=float, default=0.1,
                        help="share of patterns with exactly one defect (default 0.1)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    try:
        summary = generate(args.out_dir, args.count, args.invalid_ratio, args.seed)
    except ValueError as exc:
        parser.error(str(exc))
    avg = summary["bytes"] / summary["patterns"] / 1024 if summary["patterns"] else 0
    print(f"wrote {summary['patterns']} patterns to {summary['out_dir']}/patterns "
          f"({summary['valid']} valid, {summary['marginal']} of them marginal; "
          f"{summary['invalid']} with one defect; {avg:.1f} KB on average)")
    for kind, n in summary["defects"].items():
        print(f"  {kind:24} {n:6}  -> {DEFECT_RULES[kind]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
