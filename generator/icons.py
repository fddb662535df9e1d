"""Channel and marker icons: original line drawings on a 24 x 24 grid.

Every icon is path data meant to be stroked (no fill) with round caps and joins, in the current
colour, at a stroke width of about 1.8 units; the SVG renderer scales it to the size it needs. The
names of the channel icons are the ones site_config.yml may use (schema.ICONS).
"""
from __future__ import annotations

from .schema import ICONS

VIEWBOX = 24

# Channel icons, one per name in schema.ICONS.
ICON_PATHS: dict[str, str] = {
    # a circle with the equator and two meridians
    "globe": "M21 12a9 9 0 1 1-18 0a9 9 0 1 1 18 0z"
             "M3 12h18"
             "M12 3c2.4 2.6 3.6 5.6 3.6 9s-1.2 6.4-3.6 9"
             "M12 3c-2.4 2.6-3.6 5.6-3.6 9s1.2 6.4 3.6 9",
    # a handset with a speaker slot
    "phone": "M8.5 2.5h7a2 2 0 0 1 2 2v15a2 2 0 0 1-2 2h-7a2 2 0 0 1-2-2v-15a2 2 0 0 1 2-2z"
             "M10.5 18.5h3",
    # an envelope
    "mail": "M4.5 5h15a1.5 1.5 0 0 1 1.5 1.5v11a1.5 1.5 0 0 1-1.5 1.5h-15a1.5 1.5 0 0 1-1.5-1.5v-11"
            "a1.5 1.5 0 0 1 1.5-1.5z"
            "M3.5 6.5l8.5 6l8.5-6",
    # a loudspeaker horn with a handle and a sound wave
    "megaphone": "M3.5 10v4a1 1 0 0 0 1 1h2.5l8 4.5v-15l-8 4.5h-2.5a1 1 0 0 0-1 1z"
                 "M7 15l1.2 4.5h2.3l-0.8-3.7"
                 "M18.5 9.5a3.5 3.5 0 0 1 0 5",
    # a shop front with a scalloped awning and a door
    "store": "M3.5 9l1.8-5h13.4l1.8 5"
             "M3.5 9a2.8 2.8 0 0 0 5.7 0a2.8 2.8 0 0 0 5.6 0a2.8 2.8 0 0 0 5.7 0"
             "M5 11.5v8.5h14v-8.5"
             "M10 20v-5h4v5",
    # a headband with ear cups and a microphone arm
    "headset": "M4.5 14v-2a7.5 7.5 0 0 1 15 0v2"
               "M4.5 13.5h2.5v5h-1.5a1 1 0 0 1-1-1z"
               "M19.5 13.5h-2.5v5h1.5a1 1 0 0 0 1-1z"
               "M17.5 18.5c0 1.6-1.8 2.5-4.5 2.5h-1",
    # a speech bubble with three dots
    "chat": "M5 4.5h14a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2h-8l-4.5 3.5v-3.5h-1.5a2 2 0 0 1-2-2v-9a2 2 0 0 1 2-2z"
            "M8.5 11h0.01M12 11h0.01M15.5 11h0.01",
    # a delivery van: cargo box, cab and two wheels
    "truck": "M2.5 6h11v10.5h-11z"
             "M13.5 9.5h4l3 3.5v3.5h-7"
             "M8.5 18a2 2 0 1 1-4 0a2 2 0 1 1 4 0z"
             "M19 18a2 2 0 1 1-4 0a2 2 0 1 1 4 0z",
    # a payment card with a stripe and a chip line
    "card": "M4.5 5.5h15a1.5 1.5 0 0 1 1.5 1.5v10a1.5 1.5 0 0 1-1.5 1.5h-15a1.5 1.5 0 0 1-1.5-1.5v-10"
            "a1.5 1.5 0 0 1 1.5-1.5z"
            "M3 9.5h18"
            "M6.5 14.5h4",
    # a five-pointed star
    "star": "M12 3.3L14.5 9.4L21 9.9L16 14.1L17.6 20.5L12 17L6.4 20.5L8 14.1L3 9.9L9.5 9.4z",
    # a head and shoulders
    "user": "M16 8a4 4 0 1 1-8 0a4 4 0 1 1 8 0z"
            "M4.5 20.5a7.5 7.5 0 0 1 15 0",
    # a parcel seen from above one corner
    "box": "M12 2.8l8 4.4v9.6l-8 4.4l-8-4.4v-9.6z"
           "M4 7.2l8 4.4l8-4.4"
           "M12 11.6v9.6"
           "M8 5l8 4.4",
}

# Glyphs drawn in white inside the round pain-point and opportunity badges.
MARKER_ICONS: dict[str, str] = {
    # an exclamation mark
    "alert": "M12 6.5v6.5M12 17.2v0.3",
    # a light bulb: a filled glass over a two-line screw base
    "bulb": "M12 3.5a5.8 5.8 0 0 0-3.4 10.5c0.7 0.5 1.1 1.2 1.1 2h4.6c0-0.8 0.4-1.5 1.1-2A5.8 5.8 0 0 0 12 3.5z"
            "M9.8 18.6h4.4M10.6 21h2.8",
}

assert set(ICON_PATHS) == set(ICONS), "every icon name in schema.ICONS needs a drawing"


def icon_path(name: str) -> str:
    """Path data of a channel icon; unknown names get the globe (validation reports them)."""
    return ICON_PATHS.get(name, ICON_PATHS["globe"])
