"""Bring journeys in from other formats and take them back out: spreadsheets (CSV) and Mermaid diagrams.

Every importer turns its source into an in-memory `NewJourney` (writer.py), which is written as
ordinary content files in one step: all files are written into a temporary folder first and moved
into place only when the whole source was valid, so a failed import never leaves a half-written
journey. Every exporter reads a loaded `Site` (model.py).

- csvsheet.py: one row per touchpoint (docs/import-export.md documents the columns).
- mermaid.py: Mermaid `journey` diagrams, following Mermaid's own parser (journey.jison).
- commands.py: the `journeymap import ...` and `journeymap export ...` click groups.
"""
