"""The typed definition of every content file and of site_config.yml.

One definition serves validation (pydantic) and the published JSON Schemas (`journeymap schema`).
Every field is documented where it is declared; docs/content-format.md and docs/configuration.md
describe the same fields for people.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}\Z|^#[0-9a-fA-F]{3}\Z")  # \Z: "$" would accept "#fff\n"
PALETTE_TOKENS = ("primary", "accent", "neutral", "positive", "negative")
BUILTIN_LANES: dict[str, str] = {
    "actions": "Actions",
    "thoughts": "Thoughts",
    "emotion": "Emotion",
    "channels": "Channel",
    "frontstage": "Frontstage",
    "backstage": "Backstage",
    "support": "Support systems",
    "pain_points": "Pain points",
    "opportunities": "Opportunities",
    "owner": "Owner",
}
DEFAULT_LANES = ["actions", "thoughts", "emotion", "channels", "frontstage", "backstage", "pain_points", "opportunities"]
ICONS = ("globe", "phone", "mail", "megaphone", "store", "headset", "chat", "truck", "card", "star", "user", "box")


def _as_list(value: Any) -> Any:
    """Accept a single string where a list of strings is expected."""
    return [value] if isinstance(value, str) else value


def _as_titled(value: Any) -> Any:
    """Accept a plain string where a {title: ...} item is expected."""
    return {"title": value} if isinstance(value, str) else value


def _as_emotion(value: Any) -> Any:
    """An emotion is a whole number, or a map of persona id -> whole number."""
    if isinstance(value, dict):
        return {key: _whole_number(score) for key, score in value.items()}
    return _whole_number(value)


def _whole_number(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError("emotion must be a whole number, or a map of persona id to a whole number")
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueError(f"emotion must be a whole number, not '{value}'") from None


StrList = Annotated[list[str], BeforeValidator(_as_list, json_schema_input_type=str | list[str])]
Emotion = Annotated[int | dict[str, int], BeforeValidator(_as_emotion, json_schema_input_type=int | dict[str, int])]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- content files --------------------------------------------------------------------------------


class PainPoint(Strict):
    """A problem the customer meets at a touchpoint."""

    title: str = Field(description="The problem, in one line.")
    severity: Literal["low", "medium", "high"] = Field("medium", description="How much it hurts the experience.")
    description: str = Field("", description="Detail and evidence.")


class Opportunity(Strict):
    """An idea that would improve a touchpoint, with impact and effort on the site's scales."""

    title: str = Field(description="The idea, in one line.")
    impact: str | None = Field(None, description="Expected impact: a value of the site's impact_scale.")
    effort: str | None = Field(None, description="Expected effort: a value of the site's effort_scale.")
    description: str = Field("", description="Detail.")


class Evidence(Strict):
    """A source of data behind a touchpoint: a survey, interview, analytics dashboard..."""

    title: str = Field(description="What the evidence is.")
    url: str | None = Field(None, description="Link to the evidence (http, https, mailto or relative).")
    kind: str = Field("", description="Free text: survey, interview, analytics, support tickets...")


class Metric(Strict):
    """A stage metric such as reach, conversion or drop-off."""

    name: str = Field(description="What is measured.")
    value: str = Field(description="The figure, as it should be shown (e.g. '6.1%').")
    note: str = Field("", description="Context: period, trend, source.")


class PersonaMeta(Strict):
    """Front matter of content/personas/<persona>.md."""

    name: str = Field(description="Display name of the persona.")
    role: str = Field("", description="One line: who they are.")
    goals: StrList = Field(default_factory=list, description="What they want to achieve.")
    frustrations: StrList = Field(default_factory=list, description="What gets in their way.")
    quote: str = Field("", description="A typical sentence, in their words.")
    image: str | None = Field(None, description="Relative path inside content/, or an https URL, of a portrait.")
    tags: StrList = Field(default_factory=list, description="Free labels.")
    extra: dict[str, Any] = Field(default_factory=dict, description="Free-form data.")


class LaneSpec(Strict):
    """A lane of the map: a built-in facet, or a custom lane showing a key of touchpoints' `extra`."""

    id: str = Field(description="A built-in lane id, or a new id for a custom lane.")
    title: str | None = Field(None, description="Row title; defaults to the built-in title or the id.")
    extra: str | None = Field(None, description="For a custom lane: the key of each touchpoint's `extra` map to show.")
    color: str | None = Field(None, description="Hex colour (#1f5fa8) or palette token (primary, accent, neutral, positive, negative).")

    @field_validator("color")
    @classmethod
    def _colour(cls, value: str | None) -> str | None:
        if value is not None and not (HEX_COLOUR.match(value) or value in PALETTE_TOKENS):
            raise ValueError(f"colour must be a hex colour like #1f5fa8 or one of {', '.join(PALETTE_TOKENS)}")
        return value


Lane = Annotated[LaneSpec, BeforeValidator(lambda v: {"id": v} if isinstance(v, str) else v, json_schema_input_type=str | LaneSpec)]


class JourneyMeta(Strict):
    """Front matter of content/journeys/<journey>/journey.md."""

    title: str = Field(description="The journey's name.")
    summary: str = Field("", description="One or two sentences for cards and search.")
    personas: StrList = Field(default_factory=list, description="Ids of the personas who travel this journey.")
    owner: str | None = Field(None, description="Id of the team accountable for the journey.")
    status: Literal["draft", "published"] = Field("published", description="Drafts are left out of a build unless --drafts is given.")
    state: Literal["current", "future"] = Field("current", description="The map of today, or the desired future.")
    compares_with: str | None = Field(None, description="Id of the journey this one is compared with.")
    lanes: list[Lane] | None = Field(None, description="Lanes of the map, in order; defaults to the site's lanes.")
    stages: StrList | None = Field(None, description="Stage order; overrides the NN- prefixes of stage files.")
    tags: StrList = Field(default_factory=list, description="Free labels.")
    extra: dict[str, Any] = Field(default_factory=dict, description="Free-form data.")


class StageMeta(Strict):
    """Front matter of content/journeys/<journey>/stages/<NN>-<stage>.md."""

    title: str = Field(description="Stage name shown above its columns.")
    goal: str = Field("", description="What the customer or the organisation wants from this stage.")
    phase: str | None = Field(None, description="Id of the site-wide lifecycle phase this stage maps to.")
    emotion: Emotion | None = Field(None, description="Coarse emotion for the stage, used when its touchpoints have none.")
    metrics: list[Metric] = Field(default_factory=list, description="Stage metrics: reach, conversion, drop-off...")
    touchpoints: StrList | None = Field(None, description="Touchpoint order within the stage; overrides NN- prefixes.")
    extra: dict[str, Any] = Field(default_factory=dict, description="Free-form data.")


class TouchpointMeta(Strict):
    """Front matter of content/journeys/<journey>/touchpoints/<NN>-<touchpoint>.md: one step, every facet."""

    title: str = Field(description="The step's name: the column heading on the map.")
    stage: str = Field(description="Id of the stage this step belongs to.")
    channel: str | None = Field(None, description="Id of the channel it happens on (site `channels`).")
    actor: Literal["customer", "frontstage", "backstage"] = Field("customer", description="Who performs the step.")
    action: str = Field("", description="What the customer does.")
    thought: str = Field("", description="What the customer thinks or says.")
    emotion: Emotion | None = Field(None, description="How the customer feels: a number on the emotion scale, or a map persona id -> number.")
    frontstage: StrList = Field(default_factory=list, description="What people the customer meets do.")
    backstage: StrList = Field(default_factory=list, description="What people and systems the customer does not see do.")
    support: StrList = Field(default_factory=list, description="Supporting systems and tools.")
    pain_points: list[Annotated[PainPoint, BeforeValidator(_as_titled, json_schema_input_type=str | PainPoint)]] = Field(default_factory=list, description="Problems found here.")
    opportunities: list[Annotated[Opportunity, BeforeValidator(_as_titled, json_schema_input_type=str | Opportunity)]] = Field(default_factory=list, description="Ideas to improve this step.")
    owner: str | None = Field(None, description="Id of the team that owns this touchpoint.")
    evidence: list[Evidence] = Field(default_factory=list, description="Data behind the step.")
    last_reviewed: dt.date | None = Field(None, description="When the step was last checked (YYYY-MM-DD).")
    next: StrList = Field(default_factory=list, description="Alternative next steps: touchpoint ids, or journey/touchpoint.")
    extra: dict[str, Any] = Field(default_factory=dict, description="Free-form data; custom lanes show a key of it.")


# --- site_config.yml ------------------------------------------------------------------------------


class EmotionScale(Strict):
    """The integer scale of emotion scores."""

    min: int = Field(1, description="Lowest score.")
    max: int = Field(5, description="Highest score.")
    labels: dict[int, str] = Field(default_factory=dict, description="Names for some points of the scale.")

    @field_validator("max")
    @classmethod
    def _max_above_min(cls, value: int, info: Any) -> int:
        low = info.data.get("min", 1)
        if value <= low:
            raise ValueError(f"max ({value}) must be greater than min ({low})")
        return value


class Channel(Strict):
    """A channel touchpoints happen on."""

    title: str = Field(description="Display name.")
    icon: Literal[ICONS] = Field("globe", description="Icon name from the theme's set.")  # type: ignore[valid-type]


class Team(Strict):
    """A team that owns journeys and touchpoints."""

    title: str = Field(description="Display name.")
    contact: str = Field("", description="How to reach the team (email, chat channel).")


class Phase(Strict):
    """A site-wide lifecycle phase that journey stages map to."""

    title: str = Field(description="Display name.")


class ThemeConfig(Strict):
    """Theme settings."""

    custom_dir: str | None = Field(None, description="Folder whose templates and assets override the theme's.")
    palette: dict[Literal["primary", "accent"], str] = Field(default_factory=dict, description="Hex colours.")
    logo: str | None = Field(None, description="Header logo: a path in custom_dir or content.")
    favicon: str | None = Field(None, description="Favicon path.")
    font: str | None = Field(None, description="TTF/OTF file used to measure and draw map text; defaults to the bundled font.")

    @field_validator("palette")
    @classmethod
    def _hex(cls, value: dict[str, str]) -> dict[str, str]:
        for key, colour in value.items():
            if not HEX_COLOUR.match(colour):
                raise ValueError(f"palette.{key} must be a hex colour like #1f5fa8, not '{colour}'")
        return value


class SiteConfig(Strict):
    """site_config.yml: site settings and the vocabularies every journey shares."""

    site_name: str = Field(description="Shown in the header and page titles.")
    site_description: str = Field("", description="Shown on the home page and in meta tags.")
    site_url: str | None = Field(None, description="Published address; enables sitemap.xml and canonical links.")
    repo_url: str | None = Field(None, description="Content repository; enables 'edit this file' links.")
    edit_uri: str = Field("edit/main/", description="Appended to repo_url, then the file's path.")
    content_dir: str = Field("content", description="Folder of content files, relative to site_config.yml.")
    site_dir: str = Field("site", description="Output folder, relative to site_config.yml.")
    use_directory_urls: bool = Field(True, description="'x/' links when true, 'x/index.html' when false.")
    review_period_days: int = Field(365, ge=0, description="last_reviewed older than this warns (JM202); 0 turns it off.")
    today: dt.date | None = Field(None, description="Date the review check compares with; defaults to SOURCE_DATE_EPOCH or today.")
    emotion_scale: EmotionScale = Field(default_factory=EmotionScale, description="Integer scale of emotion scores.")
    impact_scale: StrList = Field(default_factory=lambda: ["low", "medium", "high"], description="Opportunity impacts, lowest first.")
    effort_scale: StrList = Field(default_factory=lambda: ["low", "medium", "high"], description="Opportunity efforts, lowest first.")
    channels: dict[str, Channel] = Field(default_factory=dict, description="Channels touchpoints may name.")
    teams: dict[str, Team] = Field(default_factory=dict, description="Teams that own journeys and touchpoints.")
    phases: dict[str, Phase] = Field(default_factory=dict, description="Lifecycle phases stages map to.")
    lanes: list[Lane] = Field(default_factory=lambda: [LaneSpec(id=lane) for lane in DEFAULT_LANES], description="Default lanes of every map.")
    theme: ThemeConfig = Field(default_factory=ThemeConfig, description="Theme settings.")
    keep_files: StrList = Field(default_factory=list, description="Files in site_dir a build never removes (CNAME, .nojekyll, _headers always kept).")

    @field_validator("site_url", "repo_url")
    @classmethod
    def _readable_url(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                urlsplit(value)
            except ValueError as problem:  # an unclosed IPv6 host ('http://[x'), for instance
                raise ValueError(f"'{value}' is not a valid URL ({problem})") from None
        return value


META_MODELS: dict[str, type[BaseModel]] = {
    "config": SiteConfig,
    "persona": PersonaMeta,
    "journey": JourneyMeta,
    "stage": StageMeta,
    "touchpoint": TouchpointMeta,
}
SCHEMA_FILES: dict[str, str] = {
    "config": "site_config.schema.json",
    "persona": "persona.schema.json",
    "journey": "journey.schema.json",
    "stage": "stage.schema.json",
    "touchpoint": "touchpoint.schema.json",
}


# --- JSON Schema ----------------------------------------------------------------------------------


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one file kind, as editors (yaml-language-server) consume it."""
    schema = META_MODELS[kind].model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://journeymap.dev/schemas/{SCHEMA_FILES[kind]}"
    return schema


def schema_texts() -> dict[str, str]:
    """File name -> JSON text of every schema, deterministic (sorted keys, trailing newline)."""
    import json

    return {SCHEMA_FILES[kind]: json.dumps(json_schema(kind), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
            for kind in sorted(META_MODELS)}
