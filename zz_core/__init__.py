"""ZoundZcope core: standards-grade audio analysis for mixes and masters.

Pure Python, never imports streamlit. See README.md for the module map.
"""

__version__ = "0.1.0"
