"""A synthetic journeymap project of any size, for benchmarks and tests.

    python benchmarks/synthetic.py OUT_DIR --journeys 100 --touchpoints 50 [--seed 1]

writes OUT_DIR/site_config.yml and OUT_DIR/content/: N journeys x M touchpoints (five stages per
journey), every facet filled with text of realistic length (titles of 3-7 words, actions and
thoughts of one or two sentences, 1-3 frontstage/backstage/support items, 0-2 pain points and
opportunities, 1-2 evidence links, a Markdown body of one to three paragraphs with relative links),
emotions (a shared score, or one per persona on some steps), six personas, stage metrics, a
current/future pair for every tenth journey and some cross-journey `next` references.

The output depends only on the arguments: the same seed gives byte-identical files. The content
validates without errors (the benchmark and tests build it with --strict off but expect no errors).
"""
from __future__ import annotations

import argparse
import bisect
import itertools
import random
from pathlib import Path

DOMAIN = ("customer compares jackets sizes prices delivery options reads reviews asks chat about fit returns "
          "parcel store app account payment confirmation email tracking refund survey loyalty points friend "
          "recommends waterproof breathable layers checkout basket voucher courier invoice subscription "
          "renewal contract upgrade plan advisor branch appointment booking form upload document identity "
          "check approval notification reminder balance statement card replacement warranty repair "
          "technician visit installation setup wifi router signal outage status page social post campaign "
          "newsletter discount bundle premium member agent callback queue wait minutes hours days week "
          "quickly finally again later first second missing unclear confusing helpful friendly slow fast").split()
STOPWORDS = ("the a to and of in it is for on that with they she he we not but have was this their at be "
             "from by as are or so if when what can there all one would about more".split())
SYLLABLES = ("ba be bi bo bu ca ce co cu da de di do du fa fe fi fo ga ge go ha he hi ho ka ke ki ko la le li lo "
             "lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve "
             "vi vo wa we wi ya yo za ze zi zo an en in on un ar er ir or ur st tr pl gr br").split()


def vocabulary(size: int = 4000) -> list[str]:
    """Stopwords first, then domain words, then made-up words: ranks for a Zipf distribution.

    Real text has a long tail of rare words (what a search index is made of); a small fixed word list
    would give every word a posting list as long as the site and make the index atypically heavy.
    """
    rng = random.Random(12345)
    words = list(dict.fromkeys(STOPWORDS + DOMAIN))
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 4))))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


WORDS = vocabulary()
WEIGHTS = [1.0 / (rank + 1) for rank in range(len(WORDS))]
CUMULATIVE = list(itertools.accumulate(WEIGHTS))
PERSONAS = [
    ("maya", "Maya Okafor", "First-time buyer, 29, commutes by bike all year"),
    ("ruth", "Ruth Lindqvist", "Retired teacher, 67, walks with her group every Sunday"),
    ("daniel", "Daniel Brooks", "Small business owner, 41, buys for a team of twelve"),
    ("amira", "Amira Haddad", "Student, 21, shops on her phone between lectures"),
    ("tomas", "Tomás Novak", "Field engineer, 35, needs things to work first time"),
    ("grace", "Grace Mensah", "Parent of three, 38, plans everything a week ahead"),
]
CHANNELS = [("web", "Web shop", "globe"), ("app", "Mobile app", "phone"), ("email", "Email", "mail"),
            ("social", "Social media", "megaphone"), ("store", "Store", "store"),
            ("phone", "Contact centre", "headset"), ("chat", "Chat", "chat"), ("delivery", "Delivery", "truck")]
TEAMS = [("ecommerce", "E-commerce team"), ("app", "App team"), ("marketing", "Brand and marketing"),
         ("retail", "Retail operations"), ("care", "Customer care"), ("logistics", "Logistics"),
         ("loyalty", "CRM and loyalty"), ("billing", "Billing")]
PHASES = [("acquire", "Acquire"), ("convert", "Convert"), ("onboard", "Onboard"), ("retain", "Retain"),
          ("advocate", "Advocate")]
STAGES = [("awareness", "Awareness"), ("consideration", "Consideration"), ("purchase", "Purchase"),
          ("onboarding", "Onboarding"), ("retention", "Retention")]
LEVELS = ["low", "medium", "high"]
STAGE_COUNT = 5


class Text:
    """Deterministic words, sentences and paragraphs from one random.Random."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def words(self, low: int, high: int) -> str:
        count = self.rng.randint(low, high)
        total = CUMULATIVE[-1]
        return " ".join(WORDS[bisect.bisect(CUMULATIVE, self.rng.random() * total)] for _ in range(count))

    def title(self, low: int = 3, high: int = 7) -> str:
        text = self.words(low, high)
        return text[0].upper() + text[1:]

    def sentence(self, low: int = 8, high: int = 18) -> str:
        return self.title(low, high) + "."

    def sentences(self, count: int) -> str:
        return " ".join(self.sentence() for _ in range(count))

    def items(self, low: int, high: int) -> list[str]:
        return [self.title(2, 6) for _ in range(self.rng.randint(low, high))]


def q(text: str) -> str:
    """A YAML double-quoted scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def yaml_list(name: str, items: list[str], indent: str = "") -> list[str]:
    if not items:
        return []
    return [f"{indent}{name}:"] + [f"{indent}  - {q(item)}" for item in items]


def config_text() -> str:
    lines = ["site_name: Synthetic journeys", "site_description: A generated organisation-scale journey site.",
             "site_url: https://journeys.example.com/", "repo_url: https://github.com/example/journeys",
             "review_period_days: 0", "emotion_scale:", "  min: 1", "  max: 5", "  labels:",
             "    1: Frustrated", "    2: Uneasy", "    3: Neutral", "    4: Pleased", "    5: Delighted",
             "impact_scale: [low, medium, high]", "effort_scale: [low, medium, high]", "channels:"]
    for cid, title, icon in CHANNELS:
        lines += [f"  {cid}:", f"    title: {title}", f"    icon: {icon}"]
    lines.append("teams:")
    for tid, title in TEAMS:
        lines += [f"  {tid}:", f"    title: {title}", f"    contact: {tid}@example.com"]
    lines.append("phases:")
    for pid, title in PHASES:
        lines += [f"  {pid}:", f"    title: {title}"]
    return "\n".join(lines) + "\n"


def persona_text(text: Text, name: str, role: str) -> str:
    lines = ["---", f"name: {q(name)}", f"role: {q(role)}"]
    lines += yaml_list("goals", [text.sentence(6, 12) for _ in range(3)])
    lines += yaml_list("frustrations", [text.sentence(6, 12) for _ in range(3)])
    lines += [f"quote: {q(text.sentence(8, 16))}", "tags: [synthetic]", "extra:", f"  segment: {q(text.title(2, 3))}",
              "---", text.sentences(4), "", text.sentences(3), ""]
    return "\n".join(lines)


def journey_text(text: Text, index: int, personas: list[str], compares_with: str | None, state: str) -> str:
    lines = ["---", f"title: {q(f'Journey {index}: ' + text.title(2, 5))}", f"summary: {q(text.sentences(2))}",
             f"personas: [{', '.join(personas)}]", f"owner: {TEAMS[index % len(TEAMS)][0]}", "status: published",
             f"state: {state}"]
    if compares_with:
        lines.append(f"compares_with: {compares_with}")
    lines += [f"tags: [synthetic, group-{index % 7}]", "extra:", f"  interviews: {text.rng.randint(5, 30)}", "---",
              text.sentences(3), "", "## Findings", "", text.sentences(4), "",
              f"Start with [the first stage](stages/01-{STAGES[0][0]}.md); the people on this map are "
              + " and ".join(f"[{p}](../../personas/{p}.md)" for p in personas) + ".", ""]
    return "\n".join(lines)


def stage_text(text: Text, number: int) -> str:
    stage_id, title = STAGES[number]
    lines = ["---", f"title: {title}", f"goal: {q(text.sentence(8, 14))}", f"phase: {PHASES[number][0]}",
             f"emotion: {text.rng.randint(2, 4)}", "metrics:"]
    for _ in range(2):
        lines += [f"  - name: {q(text.title(2, 4))}", f"    value: \"{text.rng.randint(1, 99)}%\"",
                  f"    note: {q(text.sentence(4, 8))}"]
    lines += ["---", text.sentences(3), ""]
    return "\n".join(lines)


def touchpoint_text(text: Text, journey_id: str, stage_id: str, personas: list[str], step: int,
                    cross: str | None) -> str:
    rng = text.rng
    channel = CHANNELS[rng.randrange(len(CHANNELS))][0]
    lines = ["---", f"title: {q(text.title())}", f"stage: {stage_id}", f"channel: {channel}",
             f"action: {q(text.sentences(rng.randint(1, 2)))}", f"thought: {q(text.sentence(6, 14))}"]
    if step % 3 == 0 and len(personas) > 1:
        lines.append("emotion:")
        lines += [f"  {p}: {rng.randint(1, 5)}" for p in personas]
    else:
        lines.append(f"emotion: {rng.randint(1, 5)}")
    lines += yaml_list("frontstage", text.items(1, 3))
    lines += yaml_list("backstage", text.items(1, 3))
    lines += yaml_list("support", text.items(1, 2))
    pains = rng.randint(0, 2)
    if pains:
        lines.append("pain_points:")
        for _ in range(pains):
            lines += [f"  - title: {q(text.title(3, 8))}", f"    severity: {rng.choice(LEVELS)}",
                      f"    description: {q(text.sentence(8, 20))}"]
    opps = rng.randint(0, 2)
    if opps:
        lines.append("opportunities:")
        for _ in range(opps):
            lines += [f"  - title: {q(text.title(3, 8))}", f"    impact: {rng.choice(LEVELS)}",
                      f"    effort: {rng.choice(LEVELS)}"]
    lines += [f"owner: {TEAMS[rng.randrange(len(TEAMS))][0]}", "evidence:"]
    for _ in range(rng.randint(1, 2)):
        lines += [f"  - title: {q(text.title(3, 6))}",
                  f"    url: https://research.example.com/{journey_id}/{rng.randint(1000, 9999)}",
                  f"    kind: {rng.choice(['survey', 'interview', 'analytics'])}"]
    lines.append("last_reviewed: 2026-01-15")
    if cross:
        lines.append(f"next: [{cross}]")
    lines += ["extra:", f"  kpi: {q(text.title(2, 4) + ' ' + str(rng.randint(1, 99)) + '%')}", "---",
              text.sentences(rng.randint(2, 4)), ""]
    if step % 4 == 0:
        lines += [text.sentences(2) + f" See [the stage](../stages/01-{STAGES[0][0]}.md).", ""]
    return "\n".join(lines)


def generate(out: Path, journeys: int, touchpoints: int, seed: int = 1) -> Path:
    """Write the project into `out` (created; must be empty or missing). Returns `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise SystemExit(f"{out} is not empty")
    rng = random.Random(seed)
    text = Text(rng)
    (out / "site_config.yml").write_text(config_text(), encoding="utf-8")
    personas_dir = out / "content" / "personas"
    personas_dir.mkdir(parents=True)
    for pid, name, role in PERSONAS:
        (personas_dir / f"{pid}.md").write_text(persona_text(text, name, role), encoding="utf-8")
    ids = [f"journey-{index:04d}" for index in range(journeys)]
    per_stage = [touchpoints // STAGE_COUNT + (1 if s < touchpoints % STAGE_COUNT else 0) for s in range(STAGE_COUNT)]
    for index, journey_id in enumerate(ids):
        folder = out / "content" / "journeys" / journey_id
        (folder / "stages").mkdir(parents=True)
        (folder / "touchpoints").mkdir()
        personas = [PERSONAS[(index + k) % len(PERSONAS)][0] for k in range(2 + index % 2)]
        compares_with, state = None, "current"
        if index % 10 == 1:  # every tenth journey is the future state of the one before it
            compares_with, state = ids[index - 1], "future"
        (folder / "journey.md").write_text(journey_text(text, index, personas, compares_with, state), encoding="utf-8")
        step = 0
        for number, (stage_id, _) in enumerate(STAGES[:STAGE_COUNT]):
            (folder / "stages" / f"{number + 1:02d}-{stage_id}.md").write_text(stage_text(text, number), encoding="utf-8")
            for _ in range(per_stage[number]):
                step += 1
                cross = None
                if step == touchpoints and journeys > 1:  # the last step leads into the next journey
                    cross = f"{ids[(index + 1) % journeys]}/step-1"
                body = touchpoint_text(text, journey_id, stage_id, personas, step, cross)
                (folder / "touchpoints" / f"{step:03d}-step-{step}.md").write_text(body, encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--journeys", type=int, default=10)
    parser.add_argument("--touchpoints", type=int, default=50, help="touchpoints per journey")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.out, args.journeys, args.touchpoints, args.seed)
    print(f"wrote {args.journeys} journeys x {args.touchpoints} touchpoints into {args.out}")


if __name__ == "__main__":
    main()
