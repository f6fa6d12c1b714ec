"""Measurement: decoded audio in, figures to the broadcast standards out.

Decoding, BS.1770 / EBU R128 loudness and LRA, true peak, peaks and dynamics, the STFT
pass (bands, spectrum), stereo, and the low-rate feature pass behind tempo, key and
transients. Nothing here knows about genres, verdicts, advice or storage.

The audio is measured block by block as it decodes (``measure.passes``), so memory does
not grow with its length; the longest file accepted is ``MAX_DURATION_S`` (defined here,
where the command line can read it without loading the decoders).
"""

MAX_DURATION_S = 3 * 3600
"""The longest audio accepted, in seconds (3 h): longer files are refused from their
header when it states or estimates the length, else when decoding passes it."""
