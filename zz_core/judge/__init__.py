"""Judgement: what the measured figures mean for this track.

Genre targets and context rules (data files), located issues, the status of each headline
figure, streaming-platform outcomes, the reference comparison, album cohesion, the result
models and the analysis pipeline that ties measurement and judgement together.
"""
