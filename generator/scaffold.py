"""`journeymap new DIR`: a small site that validates and builds as it is, with editor schemas wired in."""
from __future__ import annotations

from pathlib import Path

from .schema import SCHEMA_FILES, schema_texts


def _schema_comment(kind: str, depth: int) -> str:
    return f"# yaml-language-server: $schema={'../' * depth}schemas/{SCHEMA_FILES[kind]}\n"


SITE_CONFIG = """\
site_name: Our customer journeys
site_description: How our customers find, buy and use what we offer.
content_dir: content
site_dir: site
review_period_days: 365
emotion_scale: {min: 1, max: 5, labels: {1: Frustrated, 3: Neutral, 5: Delighted}}
impact_scale: [low, medium, high]
effort_scale: [low, medium, high]
channels:
  web: {title: Website, icon: globe}
  email: {title: Email, icon: mail}
  phone: {title: Phone, icon: headset}
teams:
  digital: {title: Digital team, contact: digital@example.com}
  service: {title: Customer service, contact: service@example.com}
phases:
  acquire: {title: Acquire}
  serve: {title: Serve}
"""

FILES: dict[str, tuple[str, str]] = {
    "content/personas/alex.md": ("persona", """\
name: Alex
role: A first-time customer
goals: [Get a quote quickly]
frustrations: [Forms that ask the same thing twice]
quote: "Just tell me what it costs."
---
Describe who Alex is, what they need and how they decide.
"""),
    "content/journeys/getting-started/journey.md": ("journey", """\
title: Getting started
summary: From first visit to first order.
personas: [alex]
owner: digital
state: current
---
Describe the journey: why it matters, who it is for, and what we learned mapping it.
See the [first stage](stages/01-discover.md).
"""),
    "content/journeys/getting-started/stages/01-discover.md": ("stage", """\
title: Discover
goal: Alex understands what we offer.
phase: acquire
metrics:
  - {name: Visitors, value: "1,000 / week"}
---
"""),
    "content/journeys/getting-started/stages/02-buy.md": ("stage", """\
title: Buy
goal: Alex places a first order without help.
phase: acquire
---
"""),
    "content/journeys/getting-started/touchpoints/01-visit-website.md": ("touchpoint", """\
title: Visits the website
stage: discover
channel: web
action: Reads the home page and the price list.
thought: "Is this for someone like me?"
emotion: 3
frontstage: [Home page]
backstage: [CMS publishes prices]
owner: digital
---
"""),
    "content/journeys/getting-started/touchpoints/02-asks-question.md": ("touchpoint", """\
title: Emails a question
stage: discover
channel: email
action: Asks whether delivery is possible this week.
thought: "I hope someone answers today."
emotion: 2
frontstage: [Service agent replies]
backstage: [Ticket created in the helpdesk]
pain_points:
  - {title: Reply takes two days, severity: high}
opportunities:
  - {title: Show delivery dates on the product page, impact: high, effort: low}
owner: service
---
"""),
    "content/journeys/getting-started/touchpoints/03-places-order.md": ("touchpoint", """\
title: Places the order
stage: buy
channel: web
action: Pays by card.
thought: "That was easy."
emotion: 4
frontstage: [Checkout]
backstage: [Order sent to the warehouse]
owner: digital
---
"""),
}


def scaffold(directory: Path) -> list[Path]:
    """Write the starter site into `directory`; returns the files written."""
    written: list[Path] = []

    def write(rel: str, text: str) -> None:
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)

    write("site_config.yml", _schema_comment("config", 0) + SITE_CONFIG)
    for rel, (kind, text) in FILES.items():
        front, _, body = text.partition("---\n")
        write(rel, "---\n" + _schema_comment(kind, rel.count("/")) + front + "---\n" + body)
    for name, text in schema_texts().items():
        write(f"schemas/{name}", text)
    write(".gitignore", "site/\n.journeymap-cache/\n")
    return written
