"""Fixtures for the report tests: a small synthetic run directory (the run-directory format, written by
hand so the report is tested independently of the simulation) and a headless Debian Chromium."""

from __future__ import annotations

import csv
import json
import random
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

PARIS = ZoneInfo("Europe/Paris")
PROFILES = {"alleo": 6, "allset": 4, "progetcom": 4, "allocloud": 3}
PREFIX = {"alleo": "LEO", "allset": "SET", "progetcom": "PGC", "allocloud": "CLD"}
MONTHS = ["2026-01", "2026-02", "2026-03"]
CAUSES = ["network", "access_link", "router", "customer", "operator"]
KINDS = {
    "network": "platform",
    "access_link": "access_link",
    "router": "router",
    "customer": "handset",
    "operator": "access_link",
}
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
APT_HINT = "apt-get install -y chromium chromium-driver"


def _write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow(r)


LIFECYCLE_COLUMNS = [
    "site",
    "profile",
    "event",
    "on",
    "appointment_at",
    "billed",
    "fee_eur",
    "clause",
    "new_departement",
    "keeps_numbers",
]
# replication 0's figures agree with lifecycle_rows; other replications draw (summary.json keys, sim.summary)
LIFE_REP0 = {
    "terminations": {"alleo": 2, "allset": 1},
    "termination_fees_eur": {"alleo": 12520.0, "allset": 7200.0},
    "moves": {"alleo": 2, "allset": 1},
    "move_fees_eur": {"alleo": 500.0},
    "cancellations": {"alleo": 2, "progetcom": 1},
    "cancellations_billed": {"alleo": 1, "progetcom": 1},
    "cancellation_fees_eur": {"alleo": 120.0, "progetcom": 150.0},
    "tickets_provider_detected": {"alleo": 3, "allset": 2, "progetcom": 2, "allocloud": 1},
    "non_responses": {"progetcom": 2},
}
LIFE = {
    "terminations": lambda r: r.randint(0, 3),
    "termination_fees_eur": lambda r: round(r.uniform(0, 20000), 2),
    "moves": lambda r: r.randint(0, 2),
    "move_fees_eur": lambda r: 250.0 * r.randint(0, 2),
    "cancellations": lambda r: r.randint(0, 4),
    "cancellations_billed": lambda r: r.randint(0, 2),
    "cancellation_fees_eur": lambda r: 120.0 * r.randint(0, 2),
    "tickets_provider_detected": lambda r: r.randint(0, 6),
    "non_responses": lambda r: r.randint(0, 3),
}


def lifecycle_rows(sites: dict[str, list[str]]) -> list[dict]:
    """lifecycle.csv of replication 0: every kind of event the report shows (issue 16)."""
    leo, st = sites["alleo"], sites["allset"]
    move = "000 §3.5 (the new Bon de Commande de Service of a move: new initial fees)"
    cancel = "000 §7.3 (iv) « annulation … moins de quarante-huit (48) heures ouvrées avant la date »"
    rows = [
        (leo[0], "alleo", "termination", "2026-01-20", "", 1, "300.00", "000 §6.4 (link fees)", "", ""),
        (
            leo[2],
            "alleo",
            "termination",
            "2026-02-10",
            "",
            1,
            "12220.00",
            "000 §6.2; 000 §6.3; 000 §6.4",
            "",
            "",
        ),
        (leo[3], "alleo", "move", "2026-02-15", "", 1, "250.00", move, "92", 1),
        (leo[4], "alleo", "move", "2026-03-02", "", 1, "250.00", move, "67", 0),
        (
            leo[5],
            "alleo",
            "cancellation",
            "2026-01-12",
            "2026-01-13T09:00:00+01:00",
            1,
            "120.00",
            cancel,
            "",
            "",
        ),
        (leo[5], "alleo", "cancellation", "2026-01-02", "2026-01-09T09:00:00+01:00", 0, "", cancel, "", ""),
        (st[1], "allset", "move", "2026-02-01", "", 0, "", "allset: its seed has no move clause", "44", 0),
        (
            st[1],
            "allset",
            "termination",
            "2026-02-01",
            "",
            1,
            "7200.00",
            "001 §5 (initial, 1st year)",
            "",
            "",
        ),
        (
            sites["progetcom"][0],
            "progetcom",
            "cancellation",
            "2026-01-20",
            "2026-01-21T09:00:00+01:00",
            1,
            "150.00",
            "002 §3 « moins de 48h ouvrées avant la date du rendez-vous »",
            "",
            "",
        ),
    ]
    return [dict(zip(LIFECYCLE_COLUMNS, r, strict=True)) for r in rows]


def make_run_dir(path: Path, *, replications: int = 8, seed: int = 7) -> Path:
    """Write a complete, small run directory that follows the run-directory format exactly."""
    rnd = random.Random(seed)
    path.mkdir(parents=True)
    sites = {p: [f"{PREFIX[p]}-{i:03d}" for i in range(n)] for p, n in PROFILES.items()}
    site_profile = {s: p for p, ss in sites.items() for s in ss}
    scenario = {
        "name": "synthetic",
        "seed": seed,
        "replications": replications,
        "start": "2026-01-01",
        "months": 3,
        "fleet": [{"profile": p, "sites": n} for p, n in PROFILES.items()],
        "failures": {"access_link": {"distribution": "exponential", "mtbf_days": 400}},
    }
    (path / "scenario.yaml").write_text(
        "name: synthetic\nseed: 7\nreplications: 8\nfleet:\n"
        + "".join(f"  - {{profile: {p}, sites: {n}}}\n" for p, n in PROFILES.items()),
        encoding="utf-8",
    )
    (path / "scenario.resolved.json").write_text(json.dumps(scenario, indent=1), encoding="utf-8")

    events, incidents, restorations = [], [], []
    t0 = datetime(2026, 1, 5, 9, 0, tzinfo=PARIS)
    ticket = 0
    for rep in range(replications):
        for site, profile in site_profile.items():
            for _ in range(rnd.randint(0, 3)):
                cause = rnd.choice(CAUSES)
                down = t0 + timedelta(days=rnd.uniform(0, 80), minutes=rnd.randint(0, 600))
                dur = timedelta(minutes=rnd.choice([45, 120, 300, 900, 3000]) + rnd.randint(0, 60))
                up = down + dur
                total = int(cause in ("network", "access_link", "router"))
                events.append(
                    {
                        "replication": rep,
                        "component": f"{site}/{KINDS[cause]}",
                        "kind": KINDS[cause],
                        "site": site,
                        "profile": profile,
                        "down_at": down.isoformat(),
                        "up_at": up.isoformat(),
                        "cause": cause,
                        "total_outage": total,
                    }
                )
                if not total:
                    continue
                ticket += 1
                notified = down + timedelta(minutes=rnd.randint(5, 40))
                tk = f"T{ticket:05d}"
                if rep == 0:
                    # issue 16: every third ticket opened on detection; ProgetCom's may wait for the customer
                    waits = profile == "progetcom" and ticket % 2 == 0
                    answered = notified + timedelta(hours=5) if waits and ticket % 4 == 0 else None
                    incidents.append(
                        {
                            "ticket": tk,
                            "site": site,
                            "notified_at": notified.isoformat(),
                            "restored_at": up.isoformat(),
                            "cause": cause,
                            "replication": 0,
                            "profile": profile,
                            "detected_by": "provider" if ticket % 3 == 0 else "customer",
                            "pending_since": (notified + timedelta(hours=1)).isoformat() if waits else "",
                            "answered_at": answered.isoformat() if answered else "",
                        }
                    )
                wall = (up - notified).total_seconds() / 60
                business = wall * 0.45
                equipment = cause == "router"
                objective = {"alleo": 240, "allset": 240, "progetcom": 240, "allocloud": 240}[profile]
                if equipment and profile in ("progetcom", "allset"):
                    objective = 72 * 60 if profile == "progetcom" else 96 * 60
                clock_min = wall if (equipment or profile in ("allset", "allocloud")) else business
                restorations.append(
                    {
                        "replication": rep,
                        "ticket": tk,
                        "site": site,
                        "profile": profile,
                        "cause": cause,
                        "kind": KINDS[cause],
                        "notified_at": notified.isoformat(),
                        "restored_at": up.isoformat(),
                        "business_minutes": f"{business:.1f}",
                        "wallclock_minutes": f"{wall:.1f}",
                        "objective_minutes": objective,
                        "within_objective": int(clock_min <= objective),
                    }
                )
    # an open incident (no restoration yet) must not break anything
    incidents.append(
        {
            "ticket": "T99999",
            "site": sites["alleo"][0],
            "notified_at": "2026-03-30T10:00:00+02:00",
            "restored_at": "",
            "cause": "network",
            "replication": 0,
            "profile": "alleo",
        }
    )
    _write_csv(
        path / "events.csv",
        ["replication", "component", "kind", "site", "profile", "down_at", "up_at", "cause", "total_outage"],
        events,
    )
    _write_csv(
        path / "incidents.csv",
        [
            "ticket",
            "site",
            "notified_at",
            "restored_at",
            "cause",
            "replication",
            "profile",
            "detected_by",
            "pending_since",
            "answered_at",
        ],
        incidents,
    )
    _write_csv(path / "lifecycle.csv", LIFECYCLE_COLUMNS, lifecycle_rows(sites))
    _write_csv(
        path / "restorations.csv",
        [
            "replication",
            "ticket",
            "site",
            "profile",
            "cause",
            "kind",
            "notified_at",
            "restored_at",
            "business_minutes",
            "wallclock_minutes",
            "objective_minutes",
            "within_objective",
        ],
        restorations,
    )
    billing = [
        {
            "site": s,
            "month": m,
            "recurring_fees": "250.00",
            "usage_charges": "40.50",
            "departement": "57" if i % 3 == 0 else "75",
            "profile": p,
        }
        for p, ss in sites.items()
        for i, s in enumerate(ss)
        for m in MONTHS
    ]
    _write_csv(
        path / "billing.csv",
        ["site", "month", "recurring_fees", "usage_charges", "departement", "profile"],
        billing,
    )
    installs = []
    for p, ss in sites.items():
        for i, s in enumerate(ss):
            indicative = date(2025, 11, 3) + timedelta(days=7 * i)
            start = indicative + timedelta(days=rnd.choice([10, 20, 27, 30, 40]))
            installs.append(
                {
                    "site": s,
                    "handsets": rnd.randint(4, 30),
                    "indicative_date": indicative.isoformat(),
                    "service_start": "" if (p, i) == ("allset", 3) else start.isoformat(),
                    "customer_caused": int(i % 4 == 1),
                    "appointments": 1,
                    "profile": p,
                }
            )
    _write_csv(
        path / "installs.csv",
        [
            "site",
            "handsets",
            "indicative_date",
            "service_start",
            "customer_caused",
            "appointments",
            "profile",
        ],
        installs,
    )
    porting = []
    outcomes = ["ported", "ported", "ported", "rejected", "resubmitted_ported", "expired"]
    reasons = {"rejected": "wrong holder", "resubmitted_ported": "wrong address", "expired": ""}
    for k, s in enumerate(site_profile):
        outcome = outcomes[k % len(outcomes)]
        submitted = datetime(2026, 1, 10, 10, tzinfo=PARIS) + timedelta(days=k)
        ported = submitted + timedelta(days=rnd.randint(5, 25)) if "ported" in outcome else None
        porting.append(
            {
                "site": s,
                "mandate": f"M{k:04d}",
                "submitted_at": submitted.isoformat(),
                "outcome": outcome,
                "reason": reasons.get(outcome, ""),
                "ported_at": ported.isoformat() if ported else "",
            }
        )
    _write_csv(
        path / "porting.csv", ["site", "mandate", "submitted_at", "outcome", "reason", "ported_at"], porting
    )

    statements = {p: [] for p in PROFILES}
    for inc in incidents:
        if not inc["restored_at"]:
            continue
        p = inc["profile"]
        minutes = datetime.fromisoformat(inc["restored_at"]) - datetime.fromisoformat(inc["notified_at"])
        month = inc["notified_at"][:7]
        row = {
            "site": inc["site"],
            "month": month,
            "downtime_minutes": round(minutes.total_seconds() / 60, 1),
            "availability": round(100 - minutes.total_seconds() / 60 / 120, 4),
            "credit_pct": 5,
            "credit_eur": 14.52 if p in ("alleo", "allset") else 0.0,
            "lost_to_cap_eur": 0.0,
        }
        if p == "progetcom":
            row["credit_eur"] = 12.5
            row["incidents"] = [
                {
                    "ticket": inc["ticket"],
                    "restored_at": inc["restored_at"],
                    "restoration_minutes": row["downtime_minutes"],
                    "credit_pct": 5,
                    "credit_eur": 12.5,
                }
            ]
        statements[p].append(row)
    statements["alleo"].append(
        {
            "site": sites["alleo"][1],
            "month": "2026-02",
            "downtime_minutes": 0,
            "availability": 100.0,
            "credit_pct": 0,
            "credit_eur": 0.0,
            "lost_to_cap_eur": 3.25,
        }
    )
    choices = {
        "alleo": {"tier_at_99_2": 5, "router_counts": False},
        "allset": {"clock": "wallclock"},
        "progetcom": {},
        "allocloud": {},
    }
    sla = {
        "provenance": {p: {"profile": p, "sha256": "ab" * 32, "choices": choices[p]} for p in PROFILES},
        "statements": statements,
    }
    (path / "sla.json").write_text(json.dumps(sla, indent=1), encoding="utf-8")

    per_rep = []
    life_rnd = random.Random(seed + 16)  # its own stream: the other draws stay as they were
    for rep in range(replications):
        per_rep.append(
            {
                "replication": rep,
                "availability": {
                    p: round(99.9 - rnd.random() * (1.2 if p == "allset" else 0.4), 4) for p in PROFILES
                },
                "credits_owed_eur": {
                    p: round(rnd.uniform(0, 900) if p != "allocloud" else 0.0, 2) for p in PROFILES
                },
                "credits_claimed_eur": {p: 0.0 for p in PROFILES},
                "restoration_within_objective": {p: round(rnd.random(), 3) for p in PROFILES},
                "install_credits_eur": float(15 * rnd.randint(0, 40)),
                "outages": {p: rnd.randint(0, 12) for p in PROFILES},
                # issue 16: lifecycle and ticket figures per profile (sim.summary)
                **{
                    k: {p: (v(life_rnd) if rep else LIFE_REP0[k].get(p, 0)) for p in PROFILES}
                    for k, v in LIFE.items()
                },
            }
        )

    def stats(values):
        s = sorted(values)
        return {"mean": sum(s) / len(s), "p50": s[len(s) // 2], "p95": s[-1]}

    summary = {
        "scenario": "synthetic",
        "seed": seed,
        "replications": replications,
        "sites": dict(PROFILES),
        "per_replication": per_rep,
        "aggregate": {
            "availability": {
                p: {
                    "mean": sum(r["availability"][p] for r in per_rep) / replications,
                    "ci95": [
                        min(r["availability"][p] for r in per_rep) + 0.05,
                        max(r["availability"][p] for r in per_rep) - 0.05,
                    ],
                }
                for p in PROFILES
            },
            "credits_owed_eur": {p: stats([r["credits_owed_eur"][p] for r in per_rep]) for p in PROFILES},
            "credits_claimed_eur": {p: stats([0.0] * replications) for p in PROFILES},
            "restoration_within_objective": {p: {"mean": 0.5, "ci95": [0.4, 0.6]} for p in PROFILES},
            "install_credits_eur": stats([r["install_credits_eur"] for r in per_rep]),
            **{k: {p: stats([r[k][p] for r in per_rep]) for p in PROFILES} for k in LIFE},
        },
        "choices": choices,
    }
    (path / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    _inventory_files(path, rnd)
    return path


def _inventory_files(path: Path, rnd: random.Random) -> None:
    """provisioning.json and sip.json as `centrex run --sip` writes them (issue 15), with plausible data."""
    zones = {"01": 1000, "04": 1000, "05": 1000, "09": 100}
    ranges = []
    for zone, size in zones.items():
        used = rnd.randint(50, size // 2)
        ranges.append(
            {
                "start": f"+33{zone[1]}70000000",
                "size": size,
                "zone": zone,
                "kind": "operator",
                "allocated": used,
                "quarantined": 0,
                "free": size - used,
            }
        )
    ranges.append(
        {
            "start": "+33140000000",
            "size": 12,
            "zone": "01",
            "kind": "ported",
            "allocated": 12,
            "quarantined": 0,
            "free": 0,
        }
    )
    by_zone: dict[str, dict[str, int]] = {}
    for r in ranges:
        z = by_zone.setdefault(r["zone"], {"size": 0, "allocated": 0, "quarantined": 0, "free": 0})
        for k in z:
            z[k] += r[k]
    provisioning = {
        "ranges": ranges,
        "zones": by_zone,
        "blocks": [
            {"size": 1, "kind": "extensions", "blocks": 140},
            {"size": 10, "kind": "extensions", "blocks": 61},
            {"size": 2, "kind": "ported", "blocks": 6},
        ],
        "mandates": {"ported": 31, "rejected": 3, "postponed": 1},
        "rejections": [
            {"outcome": "rejected", "reason": "wrong_holder", "mandates": 2},
            {"outcome": "resubmitted_ported", "reason": "non_exhaustive_list", "mandates": 4},
        ],
        "ports_completed": 31,
        "exhausted": [{"site": "allset-lyon-00031", "reason": "numbers_exhausted"}],
        "sites": {"in_service": 14, "moved": 2, "terminated": 3},
        "moves": {"kept_numbers": 1, "new_numbers": 1, "refused": []},
    }
    (path / "provisioning.json").write_text(json.dumps(provisioning, indent=1), encoding="utf-8")
    tenants = [
        {
            "tenant": name,
            "channel_limit": limit,
            "accounts": n,
            "limit": "held",
            "evidence": f"limit {limit}: {limit} calls → [200]; call {limit + 1} → 401→503",
        }
        for name, limit, n in (("acme", 4, 12), ("globex", 12, 20), ("initech", 9, 8))
    ]
    sip = {
        "accounts": 40,
        "registered": 39,
        "refused": 1,
        "tenants": tenants,
        "security": [{"check": "security:open_relay", "passed": True}],
        "passed": False,
        "checks": [],
    }
    (path / "sip.json").write_text(json.dumps(sip, indent=1), encoding="utf-8")


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A fresh synthetic run directory."""
    return make_run_dir(tmp_path / "run")


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory):
    """Debian's headless Chromium driven by selenium; fails (never skips) when it is not installed."""
    chromium = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    chromedriver = CHROMEDRIVER if Path(CHROMEDRIVER).exists() else shutil.which("chromedriver")
    if chromium is None or chromedriver is None:
        missing = [
            name for name, path in (("chromium", chromium), ("chromedriver", chromedriver)) if not path
        ]
        pytest.fail(f"{', '.join(missing)} not found; install with: {APT_HINT}", pytrace=False)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,2000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real run directory: the README's demo scenario, 2 replications, its fleet provisioned."""
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    out = tmp_path_factory.mktemp("demo") / "run"
    cmd = [sys.executable, "-m", "centrex.cli", "-q", "run", str(repo / "scenarios" / "demo.yaml")]
    cmd += ["--replications", "2", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="session")
def lifecycle_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real run directory of issue 16's scenario (moves, terminations, cancellations, tickets), 2
    replications, its fleet provisioned."""
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    out = tmp_path_factory.mktemp("lifecycle") / "run"
    cmd = [sys.executable, "-m", "centrex.cli", "-q", "run", str(repo / "scenarios" / "lifecycle.yaml")]
    cmd += ["--replications", "2", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr
    return out
