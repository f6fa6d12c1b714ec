"""Advice: feedback models, language-model providers, token accounting, prompts, the
offline engine, the assistant that picks between them, presets and Docs answers."""
