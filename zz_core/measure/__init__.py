"""Measurement: decoded audio in, figures to the broadcast standards out.

Decoding, BS.1770 / EBU R128 loudness and LRA, true peak, peaks and dynamics, the STFT
pass (bands, spectrum), stereo, and the low-rate feature pass behind tempo, key and
transients. Nothing here knows about genres, verdicts, advice or storage.
"""
